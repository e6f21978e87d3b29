"""The one door personal data goes through: AES-256-GCM under a per-subject data key.

A subject is a candidate (`cand:<id>`) or a raw vendor event (`evt:<hash>`). Its data key
exists only wrapped (by the keyring's branch key) in the keys table, which has no
point-in-time recovery: `destroy()` deletes it, and every ciphertext made with it is
unreadable from then on — in the live tables, in S3 and in any backup.
"""

from __future__ import annotations

import base64
import os
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.crypto.keyring import BranchKeyring
from shared.storage import keys
from shared.storage.ddb import is_conditional_failure

TOKEN_PREFIX = "e1:"  # noqa: S105 - a format prefix
BLOB_MAGIC = b"HLE1"


class KeyDestroyed(Exception):
    """The subject's data key is gone (erased): its data can never be read again."""


class Encryptor:
    def __init__(
        self,
        keyring: BranchKeyring,
        keys_table: Any,
        *,
        cache_size: int = 2048,
        cache_s: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keyring = keyring
        self._table = keys_table
        self._cache: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        self._cache_size = cache_size
        self._cache_s = cache_s
        self._clock = clock

    # -- keys -------------------------------------------------------------------
    def data_key(self, subject: str, *, create: bool = False) -> bytes:
        cached = self._cache.get(subject)
        if cached and self._clock() - cached[1] <= self._cache_s:
            self._cache.move_to_end(subject)
            return cached[0]
        item = self._table.get_item(Key=keys.data_key(subject), ConsistentRead=True).get("Item")
        if item is None:
            if not create:
                raise KeyDestroyed(subject)
            dek = self._create(subject)
        else:
            dek = self._unwrap(subject, item)
        self._remember(subject, dek)
        return dek

    def destroy(self, subject: str) -> None:
        self._table.delete_item(Key=keys.data_key(subject))
        self._cache.pop(subject, None)

    def forget_cached(self) -> None:
        self._cache.clear()

    # -- fields (strings in DynamoDB) ---------------------------------------------
    def encrypt_field(self, subject: str, field: str, value: str | None) -> str | None:
        if value is None:
            return None
        dek = self.data_key(subject, create=True)
        nonce = os.urandom(12)
        ct = AESGCM(dek).encrypt(nonce, value.encode(), self._aad(subject, field))
        return TOKEN_PREFIX + base64.b64encode(nonce + ct).decode()

    def decrypt_field(self, subject: str, field: str, token: str | None) -> str | None:
        if token is None:
            return None
        if not token.startswith(TOKEN_PREFIX):
            raise ValueError("not an encrypted field")
        raw = base64.b64decode(token[len(TOKEN_PREFIX) :])
        return self._open(subject, raw[:12], raw[12:], self._aad(subject, field)).decode()

    # -- blobs (S3 objects) -------------------------------------------------------
    def encrypt_blob(self, subject: str, purpose: str, data: bytes) -> bytes:
        dek = self.data_key(subject, create=True)
        nonce = os.urandom(12)
        return BLOB_MAGIC + nonce + AESGCM(dek).encrypt(nonce, data, self._aad(subject, purpose))

    def decrypt_blob(self, subject: str, purpose: str, blob: bytes) -> bytes:
        if not blob.startswith(BLOB_MAGIC):
            raise ValueError("not an encrypted blob")
        body = blob[len(BLOB_MAGIC) :]
        return self._open(subject, body[:12], body[12:], self._aad(subject, purpose))

    # -- internal -----------------------------------------------------------------
    @staticmethod
    def _aad(subject: str, field: str) -> bytes:
        return f"hirelens|{subject}|{field}".encode()

    def _open(self, subject: str, nonce: bytes, ct: bytes, aad: bytes) -> bytes:
        dek = self.data_key(subject)
        try:
            return AESGCM(dek).decrypt(nonce, ct, aad)
        except InvalidTag as exc:
            raise ValueError("ciphertext does not authenticate") from exc

    def _create(self, subject: str) -> bytes:
        version, branch = self._keyring.active()
        dek = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(12)
        wrapped = AESGCM(branch).encrypt(nonce, dek, self._aad(subject, "dek"))
        item = {**keys.data_key(subject), "v": version, "w": base64.b64encode(nonce + wrapped).decode()}
        try:
            self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
            existing = self._table.get_item(Key=keys.data_key(subject), ConsistentRead=True)["Item"]
            return self._unwrap(subject, existing)
        return dek

    def _unwrap(self, subject: str, item: dict[str, Any]) -> bytes:
        branch = self._keyring.get(int(item["v"]))
        raw = base64.b64decode(item["w"])
        return AESGCM(branch).decrypt(raw[:12], raw[12:], self._aad(subject, "dek"))

    def _remember(self, subject: str, dek: bytes) -> None:
        self._cache[subject] = (dek, self._clock())
        self._cache.move_to_end(subject)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)


def candidate_subject(candidate_id: str) -> str:
    return f"cand:{candidate_id}"


def event_subject(event_ref: str) -> str:
    return f"evt:{event_ref}"

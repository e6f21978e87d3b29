"""Blind indexes: keyed HMACs of identifiers, so candidates are found by email, phone or
ATS id without those values ever being stored in clear."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import Any

from botocore.exceptions import ClientError

from shared.storage import keys
from shared.storage.ddb import is_conditional_failure

_NON_DIGIT = re.compile(r"\D+")


def normalize_email(email: str) -> str:
    return email.strip().casefold()


def normalize_phone(phone: str) -> str:
    digits = _NON_DIGIT.sub("", phone)
    if digits.startswith("00"):
        digits = digits[2:]
    if len(digits) == 11 and digits.startswith("1"):  # a mainland-China mobile without +86
        digits = "86" + digits
    return digits


class BlindIndex:
    def __init__(self, kms: Any, keys_table: Any, kms_key_id: str) -> None:
        self._kms = kms
        self._table = keys_table
        self._kms_key_id = kms_key_id
        self._key: bytes | None = None

    def _load(self) -> bytes:
        if self._key is not None:
            return self._key
        ctx = {"hirelens": "blind-index"}
        item = self._table.get_item(Key=keys.BLIND_INDEX_KEY, ConsistentRead=True).get("Item")
        if item is None:
            out = self._kms.generate_data_key(KeyId=self._kms_key_id, KeySpec="AES_256", EncryptionContext=ctx)
            try:
                self._table.put_item(
                    Item={
                        **keys.BLIND_INDEX_KEY,
                        "ciphertext": base64.b64encode(out["CiphertextBlob"]).decode(),
                    },
                    ConditionExpression="attribute_not_exists(pk)",
                )
                self._key = out["Plaintext"]
                return self._key
            except ClientError as exc:
                if not is_conditional_failure(exc):
                    raise
                item = self._table.get_item(Key=keys.BLIND_INDEX_KEY, ConsistentRead=True)["Item"]
        self._key = self._kms.decrypt(CiphertextBlob=base64.b64decode(item["ciphertext"]), EncryptionContext=ctx)[
            "Plaintext"
        ]
        return self._key

    def of(self, kind: str, value: str) -> str:
        return hmac.new(self._load(), f"{kind}\0{value}".encode(), hashlib.sha256).hexdigest()[:40]

    def identities(self, external_id: str | None, email: str | None, phone: str | None) -> list[tuple[str, str]]:
        """(kind, blind value) pairs in matching priority: ATS id, then email, then phone."""
        out = []
        if external_id:
            out.append(("ext", self.of("ext", external_id.strip())))
        if email and normalize_email(email):
            out.append(("email", self.of("email", normalize_email(email))))
        if phone and normalize_phone(phone):
            out.append(("phone", self.of("phone", normalize_phone(phone))))
        return out

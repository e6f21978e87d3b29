"""Hierarchical keyring: a branch key from KMS wraps every per-subject data key.

The branch key's plaintext is fetched from KMS once per cache period and reused for
every candidate, so storing or reading 1,000 results costs a handful of KMS calls, not
1,000. A new branch key version is created after `rotation_days`; older versions stay
readable. The branch keys live KMS-encrypted in the keys table.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from shared.storage import keys
from shared.storage.ddb import is_conditional_failure


@dataclass
class _Cached:
    key: bytes
    loaded_at: float


class BranchKeyring:
    def __init__(
        self,
        kms: Any,
        keys_table: Any,
        kms_key_id: str,
        *,
        cache_s: int = 600,
        rotation_days: int = 90,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._kms = kms
        self._table = keys_table
        self._kms_key_id = kms_key_id
        self._cache_s = cache_s
        self._rotation_s = rotation_days * 86400
        self._clock = clock
        self._versions: dict[int, _Cached] = {}
        self._active: tuple[int, float, float] | None = None  # version, created_at, checked_at
        self.kms_calls = 0

    # -- public -----------------------------------------------------------------
    def active(self) -> tuple[int, bytes]:
        now = self._clock()
        if self._active is None or now - self._active[2] > self._cache_s:
            item = self._table.get_item(Key=keys.BRANCH_ACTIVE, ConsistentRead=True).get("Item")
            if item is None:
                version, created = self._create(1)
            else:
                version, created = int(item["version"]), float(item["created_at"])
            if now - created > self._rotation_s:
                version, created = self._create(version + 1)
            self._active = (version, created, now)
        version = self._active[0]
        return version, self.get(version)

    def get(self, version: int) -> bytes:
        now = self._clock()
        hit = self._versions.get(version)
        if hit and now - hit.loaded_at <= self._cache_s:
            return hit.key
        item = self._table.get_item(Key=keys.branch_key(version), ConsistentRead=True).get("Item")
        if item is None:
            raise KeyError(f"branch key version {version} missing")
        self.kms_calls += 1
        plain = self._kms.decrypt(
            CiphertextBlob=base64.b64decode(item["ciphertext"]),
            EncryptionContext=self._context(version),
        )["Plaintext"]
        self._versions[version] = _Cached(plain, now)
        return plain

    def rotate(self) -> int:
        version, _ = self.active()
        new_version, _ = self._create(version + 1)
        self._active = None
        return new_version

    # -- internal ---------------------------------------------------------------
    def _context(self, version: int) -> dict[str, str]:
        return {"hirelens": "branch-key", "version": str(version)}

    def _create(self, version: int) -> tuple[int, float]:
        now = self._clock()
        self.kms_calls += 1
        out = self._kms.generate_data_key(
            KeyId=self._kms_key_id, KeySpec="AES_256", EncryptionContext=self._context(version)
        )
        try:
            self._table.put_item(
                Item={
                    **keys.branch_key(version),
                    "ciphertext": base64.b64encode(out["CiphertextBlob"]).decode(),
                    "created_at": str(now),
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
            self._versions[version] = _Cached(out["Plaintext"], now)
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
            # another container created this version first: use theirs
        try:
            self._table.put_item(
                Item={**keys.BRANCH_ACTIVE, "version": version, "created_at": str(now)},
                ConditionExpression="attribute_not_exists(pk) OR version < :v",
                ExpressionAttributeValues={":v": version},
            )
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
            item = self._table.get_item(Key=keys.BRANCH_ACTIVE, ConsistentRead=True)["Item"]
            return int(item["version"]), float(item["created_at"])
        return version, now

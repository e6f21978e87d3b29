"""VendorRepository: vendors and their webhook signing secrets (stored KMS-encrypted only)."""

from __future__ import annotations

import base64
import time
from typing import Any

from botocore.exceptions import ClientError

from shared.errors import Conflict, NotFound
from shared.storage import keys
from shared.storage.ddb import from_ddb, is_conditional_failure


class VendorRepository:
    def __init__(self, table: Any, kms: Any, kms_key_id: str, *, secret_cache_s: float = 60.0) -> None:
        self._table = table
        self._kms = kms
        self._kms_key_id = kms_key_id
        self._plain_cache: dict[str, tuple[str, float]] = {}
        self._secret_cache_s = secret_cache_s

    def _seal(self, name: str, secret: str) -> str:
        ct = self._kms.encrypt(
            KeyId=self._kms_key_id,
            Plaintext=secret.encode(),
            EncryptionContext={"hirelens": "webhook-secret", "vendor": name},
        )["CiphertextBlob"]
        return base64.b64encode(ct).decode()

    def _open(self, name: str, sealed: str) -> str:
        hit = self._plain_cache.get(sealed)
        if hit and time.time() - hit[1] < self._secret_cache_s:
            return hit[0]
        plain = self._kms.decrypt(
            CiphertextBlob=base64.b64decode(sealed),
            EncryptionContext={"hirelens": "webhook-secret", "vendor": name},
        )["Plaintext"]
        secret = plain.decode()
        self._plain_cache[sealed] = (secret, time.time())
        return secret

    def create(self, name: str, fmt: str, secret: str, now: float) -> dict[str, Any]:
        item = {
            **keys.vendor(name),
            "gsi2pk": keys.VENDORS,
            "gsi2sk": name,
            "name": name,
            "format": fmt,
            "created_at": int(now),
            "secrets": [{"sealed": self._seal(name, secret), "created_at": int(now)}],
            "unmapped_labels": {},
        }
        try:
            self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as exc:
            if is_conditional_failure(exc):
                raise Conflict(f"vendor {name!r} already exists") from exc
            raise
        return item

    def get(self, name: str) -> dict[str, Any]:
        item = self._table.get_item(Key=keys.vendor(name)).get("Item")
        if item is None:
            raise NotFound(f"vendor {name!r} not found")
        return from_ddb(item)

    def rotate(self, name: str, new_secret: str, now: float, grace_s: int) -> None:
        vendor = self.get(name)
        kept = [s for s in vendor["secrets"] if s.get("expires_at") is None or s["expires_at"] > now]
        limit = int(now + grace_s)
        for s in kept:  # the old secrets stay valid for the grace period, never longer
            s["expires_at"] = limit if s.get("expires_at") is None else min(s["expires_at"], limit)
        secrets_ = [{"sealed": self._seal(name, new_secret), "created_at": int(now)}, *kept]
        self._table.update_item(
            Key=keys.vendor(name),
            UpdateExpression="SET secrets = :s",
            ExpressionAttributeValues={":s": secrets_},
        )

    def set_format(self, name: str, fmt: str, now: float) -> dict[str, Any]:
        """Correct a vendor's registered format (quarantined payloads can then be replayed)."""
        try:
            out = self._table.update_item(
                Key=keys.vendor(name),
                UpdateExpression="SET #f = :f, format_changed_at = :t",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#f": "format"},
                ExpressionAttributeValues={":f": fmt, ":t": int(now)},
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if is_conditional_failure(exc):
                raise NotFound(f"vendor {name!r} not found") from exc
            raise
        return from_ddb(out["Attributes"])

    def valid_secrets(self, vendor: dict[str, Any], now: float) -> list[str]:
        name = vendor["name"]
        return [
            self._open(name, s["sealed"])
            for s in vendor["secrets"]
            if s.get("expires_at") is None or s["expires_at"] > now
        ]

    def count_unmapped(self, name: str, labels: list[str]) -> None:
        for label in set(labels):
            self._table.update_item(
                Key=keys.vendor(name),
                UpdateExpression="SET unmapped_labels.#l = if_not_exists(unmapped_labels.#l, :z) + :n",
                ExpressionAttributeNames={"#l": label[:200]},
                ExpressionAttributeValues={":z": 0, ":n": labels.count(label)},
            )

    def list(self, limit: int, start: dict[str, Any] | None) -> tuple[list[dict[str, Any]], dict | None]:
        kwargs: dict[str, Any] = {
            "IndexName": "gsi2",
            "KeyConditionExpression": "gsi2pk = :p",
            "ExpressionAttributeValues": {":p": keys.VENDORS},
            "Limit": limit,
        }
        if start:
            kwargs["ExclusiveStartKey"] = start
        out = self._table.query(**kwargs)
        return [from_ddb(i) for i in out["Items"]], out.get("LastEvaluatedKey")

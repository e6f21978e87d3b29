"""ChannelRepository: a department's notification channels and how their deliveries went.

A channel's secrets (its URL, which for chat robots carries the access token, its signing
secret, e-mail recipients) are sealed with KMS under an encryption context naming the
department; only the kind, a name, the URL's host and the delivery status are stored in clear.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from shared.notify.models import Channel, ChannelIn
from shared.storage import keys
from shared.storage.ddb import from_ddb, is_conditional_failure
from shared.webhooks.signature import new_secret


def _hint(c: ChannelIn) -> str:
    if c.url:
        parts = urlsplit(c.url)
        return f"{parts.scheme}://{parts.hostname}/…"
    return f"{len(c.to)} recipient(s)"


class ChannelRepository:
    def __init__(self, table: Any, kms: Any, kms_key_id: str, *, cache_s: float = 60.0) -> None:
        self._table, self._kms, self._key = table, kms, kms_key_id
        self._cache: dict[str, tuple[list[Channel], float]] = {}
        self._cache_s = cache_s

    def _context(self, department: str) -> dict[str, str]:
        return {"hirelens": "notify-channel", "department": department}

    def put(self, department: str, channels: list[ChannelIn], *, by: str, at: str) -> dict[str, Any]:
        """Replace the department's channels; returns the stored view plus generated webhook secrets."""
        stored, generated = [], {}
        for i, c in enumerate(channels, start=1):
            cid = f"{c.kind}-{i}"
            secret = c.secret
            if c.kind == "webhook" and not secret:
                secret = generated[cid] = new_secret()
            sealed = self._kms.encrypt(
                KeyId=self._key,
                Plaintext=json.dumps({"url": c.url, "secret": secret, "to": c.to}).encode(),
                EncryptionContext=self._context(department),
            )["CiphertextBlob"]
            stored.append(
                {
                    "channel_id": cid,
                    "kind": c.kind,
                    "name": c.name or c.kind,
                    "audience": list(c.audience),
                    "enabled": c.enabled,
                    "target_hint": _hint(c),
                    "sealed": base64.b64encode(sealed).decode(),
                }
            )
        item = {
            **keys.department_channels(department),
            "department": department,
            "channels": stored,
            "delivery": {c["channel_id"]: {"failures": 0} for c in stored},
            "updated_by": by,
            "updated_at": at,
        }
        self._table.put_item(Item=item)
        self._cache.pop(department, None)
        return {"view": self.view_of(item), "generated_secrets": generated}

    def view(self, department: str) -> dict[str, Any]:
        item = self._table.get_item(Key=keys.department_channels(department), ConsistentRead=True).get("Item")
        return self.view_of(from_ddb(item) if item else {"department": department, "channels": [], "delivery": {}})

    @staticmethod
    def view_of(item: dict[str, Any]) -> dict[str, Any]:
        delivery = item.get("delivery") or {}
        return {
            "department": item["department"],
            "updated_at": item.get("updated_at"),
            "channels": [
                {
                    **{k: c[k] for k in ("channel_id", "kind", "name", "audience", "enabled", "target_hint")},
                    "delivery": from_ddb(delivery.get(c["channel_id"]) or {}),
                }
                for c in item.get("channels", [])
            ],
        }

    def channels(self, department: str) -> list[Channel]:
        hit = self._cache.get(department)
        if hit and time.time() - hit[1] < self._cache_s:
            return hit[0]
        item = self._table.get_item(Key=keys.department_channels(department)).get("Item")
        out = []
        for c in (item or {}).get("channels", []):
            opened = json.loads(
                self._kms.decrypt(
                    CiphertextBlob=base64.b64decode(c["sealed"]), EncryptionContext=self._context(department)
                )["Plaintext"]
            )
            out.append(
                Channel(
                    channel_id=c["channel_id"],
                    kind=c["kind"],
                    name=c["name"],
                    audience=tuple(c.get("audience") or ()),
                    enabled=bool(c.get("enabled", True)),
                    url=opened.get("url"),
                    secret=opened.get("secret"),
                    to=tuple(opened.get("to") or ()),
                )
            )
        self._cache[department] = (out, time.time())
        return out

    def record(
        self, department: str, channel_id: str, *, ok: bool, at: str, status: int | None, error: str | None
    ) -> None:
        """Keep the last outcome per channel; consecutive failures count up until a success."""
        names = {"#c": channel_id}
        if ok:
            expr = "SET delivery.#c.last_status = :s, delivery.#c.last_attempt_at = :t, "
            expr += "delivery.#c.last_success_at = :t, delivery.#c.failures = :zero"
            values: dict[str, Any] = {":s": "ok", ":t": at, ":zero": 0}
        else:
            expr = "SET delivery.#c.last_status = :s, delivery.#c.last_attempt_at = :t, "
            expr += "delivery.#c.last_error = :e, delivery.#c.last_error_at = :t ADD delivery.#c.failures :one"
            values = {":s": "failed", ":t": at, ":e": error or "failed", ":one": 1}
        if status is not None:
            expr = expr.replace("SET ", "SET delivery.#c.last_http_status = :h, ", 1)
            values[":h"] = status
        try:
            self._table.update_item(
                Key=keys.department_channels(department),
                UpdateExpression=expr,
                ConditionExpression="attribute_exists(delivery.#c)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:  # the channels were replaced meanwhile: nothing to record on
            if not is_conditional_failure(exc):
                raise

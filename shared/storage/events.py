"""EventRepository: one item per (vendor, webhook-id), so a delivery is accepted once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from shared.storage import keys
from shared.storage.ddb import from_ddb, is_conditional_failure

# a claim older than this without reaching "queued" is taken over by the next delivery
CLAIM_TIMEOUT_S = 60
_DESERIALIZE = TypeDeserializer()


@dataclass
class Claim:
    state: Literal["new", "queued", "quarantined", "in_flight"]
    errors: list[dict[str, Any]] = field(default_factory=list)


class EventRepository:
    def __init__(self, table: Any) -> None:
        self._table = table

    def claim(self, vendor: str, event_hash: str, now: float) -> Claim:
        key = keys.event(vendor, event_hash)
        try:
            self._table.put_item(
                Item={**key, "state": "claimed", "claimed_at": int(now)},
                ConditionExpression="attribute_not_exists(pk) OR (#s = :c AND claimed_at < :stale)",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={":c": "claimed", ":stale": int(now - CLAIM_TIMEOUT_S)},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return Claim("new")
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
            typed = exc.response.get("Item")  # error responses are not deserialized by the resource
            old = from_ddb(
                {k: _DESERIALIZE.deserialize(v) for k, v in typed.items()}
                if typed
                else self._table.get_item(Key=key).get("Item") or {}
            )
        state = old.get("state")
        if state == "queued":
            return Claim("queued")
        if state == "quarantined":
            return Claim("quarantined", old.get("errors", []))
        return Claim("in_flight")

    def mark(self, vendor: str, event_hash: str, state: str, **attrs: Any) -> None:
        names = {"#s": "state"}
        values: dict[str, Any] = {":s": state}
        sets = ["#s = :s"]
        for i, (k, v) in enumerate(attrs.items()):
            names[f"#a{i}"] = k
            values[f":a{i}"] = v
            sets.append(f"#a{i} = :a{i}")
        self._table.update_item(
            Key=keys.event(vendor, event_hash),
            UpdateExpression="SET " + ", ".join(sets),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def settled(self, vendor: str, event_hash: str) -> Claim | None:
        """Where a claimed event stands now: None while its first delivery is still storing it."""
        item = self._table.get_item(Key=keys.event(vendor, event_hash), ConsistentRead=True).get("Item")
        state = (item or {}).get("state")
        if state == "queued":
            return Claim("queued")
        if state == "quarantined":
            return Claim("quarantined", from_ddb(item or {}).get("errors", []))
        return None

    def release(self, vendor: str, event_hash: str) -> None:
        """A claim whose storing failed: the vendor's retry may claim it again at once."""
        self._table.delete_item(
            Key=keys.event(vendor, event_hash),
            ConditionExpression="#s = :c",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":c": "claimed"},
        )

"""QuarantineRepository: signed bodies that could not be understood, kept until replayed."""

from __future__ import annotations

from typing import Any

from shared.errors import NotFound
from shared.storage import keys
from shared.storage.ddb import from_ddb, to_ddb


class QuarantineRepository:
    def __init__(self, table: Any) -> None:
        self._table = table

    def add(
        self,
        item_id: str,
        *,
        event_id: str,
        event_hash: str,
        vendor: str,
        received_at: str,
        errors: list[dict[str, Any]],
        s3_key: str,
        source: str = "webhook",
    ) -> None:
        self._table.put_item(
            Item=to_ddb(
                {
                    **keys.quarantine(item_id),
                    "gsi2pk": keys.QUARANTINE,
                    "gsi2sk": f"{received_at}#{item_id}",
                    "id": item_id,
                    "event_id": event_id,
                    "event_hash": event_hash,
                    "vendor": vendor,
                    "received_at": received_at,
                    "errors": errors[:50],
                    "s3_key": s3_key,
                    "source": source,
                    "state": "held",
                }
            )
        )

    def record_failed_replay(self, item_id: str, errors: list[dict[str, Any]], at: str) -> None:
        """A replay that still did not parse: the item stays, with the errors of today's format."""
        self._table.update_item(
            Key=keys.quarantine(item_id),
            UpdateExpression="SET errors = :e, last_replay_at = :t ADD replay_attempts :one",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=to_ddb({":e": errors[:50], ":t": at, ":one": 1}),
        )

    def get(self, item_id: str) -> dict[str, Any]:
        item = self._table.get_item(Key=keys.quarantine(item_id)).get("Item")
        if item is None:
            raise NotFound("quarantined item not found")
        return from_ddb(item)

    def list(self, limit: int, start: dict[str, Any] | None) -> tuple[list[dict[str, Any]], dict | None]:
        kwargs: dict[str, Any] = {
            "IndexName": "gsi2",
            "KeyConditionExpression": "gsi2pk = :p",
            "ExpressionAttributeValues": {":p": keys.QUARANTINE},
            "Limit": limit,
        }
        if start:
            kwargs["ExclusiveStartKey"] = start
        out = self._table.query(**kwargs)
        return [from_ddb(i) for i in out["Items"]], out.get("LastEvaluatedKey")

    def remove(self, item_id: str) -> None:
        """A replayed item leaves the quarantine list; its body stays as the event's evidence."""
        self._table.delete_item(Key=keys.quarantine(item_id))

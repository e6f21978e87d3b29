"""PullRepository: a vendor's API-pull configuration, its saved cursor and its run lease.

One item per vendor beside the vendor item (`VENDOR#<name>` / `PULL`). It sits on gsi2 in
the `PULLS` collection, sorted by when the next run is due, so the scheduled puller finds
the due vendors with one Query and never Scans. Credentials are not here: only the name of
the Secrets Manager secret that holds them.
"""

from __future__ import annotations

import uuid
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from shared.storage import keys
from shared.storage.ddb import from_ddb, is_conditional_failure, to_ddb


class LeaseLost(Exception):
    """The run outlived its lease and another run took the vendor over: stop without writing."""


def due_key(next_run_at: int, vendor: str) -> str:
    """gsi2sk: zero-padded epoch seconds, so `<= now` selects the vendors that are due."""
    return f"{max(0, int(next_run_at)):012d}#{vendor}"


class PullRepository:
    def __init__(self, table: Any) -> None:
        self._table = table

    def get(self, vendor: str) -> dict[str, Any] | None:
        item = self._table.get_item(Key=keys.pull(vendor), ConsistentRead=True).get("Item")
        return from_ddb(item) if item else None

    def configure(
        self,
        vendor: str,
        *,
        base_url: str,
        auth_type: str,
        auth_header: str | None,
        secret_name: str,
        interval_minutes: int,
        page_size: int,
        enabled: bool,
        now: float,
    ) -> dict[str, Any]:
        """Create or replace the configuration; the cursor and run history are kept. A changed
        configuration is due at once, so an admin sees it work without waiting an interval."""
        sets = {
            "vendor": vendor,
            "base_url": base_url,
            "auth_type": auth_type,
            "auth_header": auth_header,
            "secret_name": secret_name,
            "interval_minutes": interval_minutes,
            "page_size": page_size,
            "enabled": enabled,
            "updated_at": int(now),
            "next_run_at": int(now),
            "gsi2pk": keys.PULLS,
            "gsi2sk": due_key(int(now), vendor),
        }
        values = to_ddb({f":{k}": v for k, v in sets.items() if v is not None})
        names = {f"#{k}": k for k in sets}
        set_parts = [f"#{k} = :{k}" for k, v in sets.items() if v is not None]
        removes = [f"#{k}" for k, v in sets.items() if v is None]
        expr = "SET " + ", ".join([*set_parts, "created_at = if_not_exists(created_at, :updated_at)"])
        if removes:
            expr += " REMOVE " + ", ".join(removes)
        out = self._table.update_item(
            Key=keys.pull(vendor),
            UpdateExpression=expr,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
        return from_ddb(out["Attributes"])

    def due(self, now: float, limit: int = 100) -> list[dict[str, Any]]:
        """Enabled configurations whose next run is due, most overdue first."""
        out = self._table.query(
            IndexName="gsi2",
            KeyConditionExpression=Key("gsi2pk").eq(keys.PULLS) & Key("gsi2sk").lte(due_key(int(now), "~")),
            FilterExpression=Attr("enabled").eq(True),
            Limit=limit,
        )
        return [from_ddb(i) for i in out["Items"]]

    def lease(self, vendor: str, now: float, lease_s: int) -> str | None:
        """Take the vendor's run lease (one run at a time per vendor); None when another holds it."""
        token = uuid.uuid4().hex
        try:
            self._table.update_item(
                Key=keys.pull(vendor),
                UpdateExpression="SET lease_id = :t, lease_until = :u",
                ConditionExpression="attribute_exists(pk) AND (attribute_not_exists(lease_until) OR lease_until < :n)",
                ExpressionAttributeValues={":t": token, ":u": int(now) + lease_s, ":n": int(now)},
            )
        except ClientError as exc:
            if is_conditional_failure(exc):
                return None
            raise
        return token

    def save_cursor(self, vendor: str, lease: str, cursor: str | None, pulled: int) -> None:
        """Advance the cursor after a fully processed page (only while holding the lease)."""
        kwargs: dict[str, Any] = {
            "Key": keys.pull(vendor),
            "UpdateExpression": "ADD pulled_total :p",
            "ConditionExpression": "lease_id = :l",
            "ExpressionAttributeValues": {":l": lease, ":p": pulled},
        }
        if cursor is not None:
            kwargs["UpdateExpression"] = "SET #c = :c ADD pulled_total :p"
            kwargs["ExpressionAttributeNames"] = {"#c": "cursor"}
            kwargs["ExpressionAttributeValues"][":c"] = cursor
        try:
            self._table.update_item(**kwargs)
        except ClientError as exc:
            if is_conditional_failure(exc):
                raise LeaseLost(vendor) from None
            raise

    def finish(self, vendor: str, lease: str, *, status: str, error: str | None, next_run_at: int, now: float) -> None:
        values: dict[str, Any] = {
            ":l": lease,
            ":s": status,
            ":r": int(now),
            ":n": int(next_run_at),
            ":k": due_key(next_run_at, vendor),
        }
        expr = "SET last_status = :s, last_run_at = :r, next_run_at = :n, gsi2sk = :k"
        if error:
            expr += ", last_error = :e"
            values[":e"] = error[:500]
            expr += " REMOVE lease_id, lease_until"
        else:
            expr += " REMOVE lease_id, lease_until, last_error"
        try:
            self._table.update_item(
                Key=keys.pull(vendor),
                UpdateExpression=expr,
                ConditionExpression="lease_id = :l",
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
            # the lease ran out and another run took over: that run reports instead

"""DepartmentRepository: the list of departments (a gsi2 collection), so per-department queries
(inboxes, reminders) never need a Scan to find out which departments exist."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from shared.storage import keys
from shared.storage.ddb import is_conditional_failure

UNASSIGNED = "unassigned"


class DepartmentRepository:
    def __init__(self, table: Any) -> None:
        self._table = table
        self._known: set[str] = set()  # per container: a department is registered once

    def register(self, name: str | None, now: str) -> None:
        name = name or UNASSIGNED
        if name in self._known:
            return
        try:
            self._table.put_item(
                Item={**keys.department(name), "gsi2pk": keys.DEPARTMENTS, "gsi2sk": name, "name": name, "at": now},
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
        self._known.add(name)

    def names(self) -> list[str]:
        out: list[str] = []
        kwargs: dict[str, Any] = {
            "IndexName": "gsi2",
            "KeyConditionExpression": Key("gsi2pk").eq(keys.DEPARTMENTS),
            "ProjectionExpression": "gsi2sk",
        }
        while True:
            page = self._table.query(**kwargs)
            out.extend(i["gsi2sk"] for i in page["Items"])
            if "LastEvaluatedKey" not in page:
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

"""Reminders, run on a schedule (hourly EventBridge Scheduler in AWS, a timer thread locally).

Per department, the unviewed results (the gsi3 inbox partition — never a Scan) are checked:
- waiting longer than `reminder_after_s` (default 3 days): reminded once, and again every
  `reminder_repeat_s` when that is set;
- about to expire: their candidate will be erased under the retention policy
  (shared/services/retention.py) within `expiry_warning_s`: reminded once.
"At most once per result per period" is a conditional write of the period's number on the
result (`reminded_unviewed`, `reminded_expiring`) that also requires the result to be still
unviewed; only the run that wins the write sends. The HR audience of the department's
channels gets one message per kind, with result ids and ages — no names.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from shared.notify.models import Notice
from shared.notify.notifier import Notifier
from shared.observability import logger
from shared.services.inbox import age_text, epoch
from shared.services.retention import erase_after
from shared.storage import keys
from shared.storage.candidates import CandidateRepository
from shared.storage.ddb import from_ddb, is_conditional_failure
from shared.storage.departments import DepartmentRepository

SHOWN = 10  # results listed per message; the count covers the rest


class Reminders:
    def __init__(
        self,
        *,
        table: Any,
        departments: DepartmentRepository,
        candidates: CandidateRepository,
        notifier: Notifier,
        expires_at: Callable[[str], float | None],
        after_s: int,
        repeat_s: int,
        warning_s: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._table, self.departments, self.candidates, self.notifier = table, departments, candidates, notifier
        self.expires_at, self.after_s, self.repeat_s, self.warning_s = expires_at, after_s, repeat_s, warning_s
        self.clock = clock
        self._expiry_cache: dict[str, float | None] = {}

    def run(self) -> dict[str, int]:
        now = self.clock()
        sent = {"unviewed": 0, "expiring": 0}
        self._expiry_cache = {}
        for dept in self.departments.names():
            waiting = self._waiting(dept)
            overdue, expiring = [], []
            for r in waiting:
                age = now - (epoch(r.get("received_at")) or now)
                if age >= self.after_s and self._mark(r, "reminded_unviewed", self._period(age)):
                    overdue.append((r, age))
                if self._expires_soon(r, now) and self._mark(r, "reminded_expiring", 1):
                    expiring.append((r, age))
            if overdue:
                self.notifier.notify(self._notice(dept, "reminder.unviewed", overdue))
            if expiring:
                self.notifier.notify(self._notice(dept, "reminder.expiring", expiring))
            sent["unviewed"] += len(overdue)
            sent["expiring"] += len(expiring)
        logger.info("reminders run", extra=sent)
        return sent

    def _period(self, age: float) -> int:
        if self.repeat_s <= 0:
            return 1
        return 1 + int((age - self.after_s) // self.repeat_s)

    def _waiting(self, dept: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"IndexName": "gsi3", "KeyConditionExpression": Key("gsi3pk").eq(keys.inbox_pk(dept))}
        while True:
            page = self._table.query(**kwargs)
            out.extend(from_ddb(i) for i in page["Items"])
            if "LastEvaluatedKey" not in page:
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _expires_soon(self, r: dict[str, Any], now: float) -> bool:
        if int(r.get("reminded_expiring") or 0) >= 1:
            return False
        cid = r["candidate_id"]
        if cid not in self._expiry_cache:  # one read per candidate per run
            self._expiry_cache[cid] = self.expires_at(cid)
        due = self._expiry_cache[cid]
        return due is not None and due - now <= self.warning_s

    def _mark(self, r: dict[str, Any], attr: str, period: int) -> bool:
        if int(r.get(attr) or 0) >= period:
            return False
        try:
            self._table.update_item(
                Key=keys.result(r["candidate_id"], r["result_id"]),
                UpdateExpression="SET #a = :p",
                ConditionExpression="attribute_exists(gsi3pk) AND (attribute_not_exists(#a) OR #a < :p)",
                ExpressionAttributeNames={"#a": attr},
                ExpressionAttributeValues={":p": period},
            )
            return True
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
            return False

    def _notice(self, dept: str, event: str, items: list[tuple[dict[str, Any], float]]) -> Notice:
        oldest = max(age for _, age in items)
        n = len(items)
        if event == "reminder.unviewed":
            after = age_text(self.after_s)
            title = f"{n} 份面试结果等待审阅超过 {after['zh']} · {n} result(s) waiting for review over {after['en']}"
        else:
            title = f"{n} 份待审阅结果即将按保留期限删除 · {n} waiting result(s) about to expire"
        lines = [
            f"{r['result_id']} · {r.get('job_id')} · {age_text(age)['zh']} / {age_text(age)['en']}"
            for r, age in sorted(items, key=lambda x: -x[1])[:SHOWN]
        ]
        if n > SHOWN:
            lines.append(f"… +{n - SHOWN}")
        return Notice(
            event=event,
            department=dept,
            audience="hr",
            title=title,
            lines=(*lines, f"最久 oldest: {age_text(oldest)['zh']} / {age_text(oldest)['en']}"),
            link="/v1/inbox",
            data={"result_ids": [r["result_id"] for r, _ in items], "oldest_age_s": int(oldest)},
        )


def retention_expiry(candidates: CandidateRepository, policy: Callable[[], Any]) -> Callable[[str], float | None]:
    """When a candidate is erased under the retention policy (None: kept), from their applications."""

    def expires_at(cid: str) -> float | None:
        items = candidates.partition(cid)
        apps = [i for i in items if i["sk"].startswith("APP#")]
        profile = next((i for i in items if i["sk"] == keys.PROFILE), None)
        return erase_after(apps, profile, policy())

    return expires_at

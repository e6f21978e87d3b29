"""`GET /v1/inbox`: what waits for the caller, oldest first, with its age.

- Unviewed results sit in their department's gsi3 partition (`INBOX#<dept>`, sorted by arrival)
  until someone opens one: the team's review queue. A result leaves every inbox once anyone in
  scope has opened it (`viewed_by` records who): one reviewer suffices, and nobody is reminded
  of work a colleague has done.
- HR and HR admins see every department's queue: one Query per department (the departments
  are a gsi2 collection), merged by arrival. Interviewers see their own department's queue and,
  per person, the applications moved to second interview (`INTERVIEW#<dept>`) that they have
  not opened yet.

A page reads at most `limit` index items per department (plus filtered-out ones for the
interviewer queue); the cursor is the arrival key of the last item shown.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from shared.authz.policy import Action, Principal, Role, authorize
from shared.crypto.encryptor import Encryptor, KeyDestroyed, candidate_subject
from shared.storage import keys
from shared.storage.ddb import from_ddb
from shared.storage.departments import DepartmentRepository
from shared.storage.pagination import decode_cursor, encode_cursor

CURSOR_KIND = "inbox"


def age_text(seconds: float) -> dict[str, str]:
    s = max(0, int(seconds))
    for unit, size, zh in (("day", 86400, "天"), ("hour", 3600, "小时"), ("minute", 60, "分钟")):
        if s >= size:
            n = s // size
            return {"en": f"{n} {unit}{'' if n == 1 else 's'}", "zh": f"{n} {zh}"}
    return {"en": "less than a minute", "zh": "不到 1 分钟"}


def epoch(ts: str | None) -> float | None:
    if not ts:
        return None
    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class Inbox:
    def __init__(
        self,
        table: Any,
        departments: DepartmentRepository,
        encryptor: Encryptor,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._table, self.departments, self.enc, self.clock = table, departments, encryptor, clock

    def page(self, principal: Principal, *, limit: int, cursor: str | None) -> dict[str, Any]:
        authorize(principal, Action.INBOX)
        start = decode_cursor(cursor, must_match={"kind": CURSOR_KIND})
        after = str(start["after"]) if start and "after" in start else None
        queues: list[tuple[str, Any]] = []
        if principal.role is Role.INTERVIEWER:
            if principal.department:
                queues.append((keys.inbox_pk(principal.department), None))
                not_seen = Attr("status").eq("second_interview") & (
                    Attr("viewed_by").not_exists() | ~Attr("viewed_by").contains(principal.sub)
                )
                queues.append((keys.interview_inbox_pk(principal.department), not_seen))
        else:
            queues = [(keys.inbox_pk(d), None) for d in self.departments.names()]
        found: list[dict[str, Any]] = []
        more = False
        for pk, filt in queues:
            items, has_more = self._read(pk, filt, after, limit)
            found.extend(items)
            more = more or has_more
        found.sort(key=lambda i: i["gsi3sk"])
        page = found[:limit]
        more = more or len(found) > limit
        next_cursor = encode_cursor({"kind": CURSOR_KIND, "after": page[-1]["gsi3sk"]}) if more and page else None
        return {"items": self._views(page), "next_cursor": next_cursor}

    def _read(self, pk: str, filt: Any, after: str | None, limit: int) -> tuple[list[dict[str, Any]], bool]:
        cond = Key("gsi3pk").eq(pk)
        if after:
            cond = cond & Key("gsi3sk").gt(after)
        kwargs: dict[str, Any] = {"IndexName": "gsi3", "KeyConditionExpression": cond, "Limit": limit}
        if filt is not None:
            kwargs["FilterExpression"] = filt
        out: list[dict[str, Any]] = []
        read = 0
        while True:
            page = self._table.query(**kwargs)
            read += page.get("ScannedCount", 0)
            out.extend(from_ddb(i) for i in page["Items"])
            last = page.get("LastEvaluatedKey")
            if len(out) >= limit or not last or read >= limit * 10:
                return out[:limit], bool(last) or len(out) > limit
            kwargs["ExclusiveStartKey"] = last

    def _views(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        apps = self._applications({(i["candidate_id"], i["job_id"]) for i in items})
        now = self.clock()
        out = []
        for i in items:
            app = apps.get((i["candidate_id"], i["job_id"]), {})
            is_result = i["sk"].startswith("RES#")
            since = i.get("received_at") if is_result else i.get("second_interview_at")
            age = max(0.0, now - (epoch(since) or now))
            view = {
                "kind": "result" if is_result else "second_interview",
                "candidate_id": i["candidate_id"],
                "name": self._name(i["candidate_id"], app.get("name_enc")),
                "job_id": i["job_id"],
                "department": i.get("department") or app.get("department"),
                "status": app.get("status"),
                "match_score": app.get("match_score"),
                "recommendation": app.get("recommendation"),
                "waiting_since": since,
                "age_s": int(age),
                "age": age_text(age)["en"],
                "age_zh": age_text(age)["zh"],
            }
            if is_result:
                view.update(
                    result_id=i["result_id"],
                    received_at=i.get("received_at"),
                    vendor=i.get("vendor"),
                    revision=i.get("revision"),
                    completed_at=i.get("completed_at"),
                )
            out.append(view)
        return out

    def _applications(self, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        if not pairs:
            return {}
        out: dict[tuple[str, str], dict[str, Any]] = {}
        wanted = [keys.application(c, j) for c, j in sorted(pairs)]
        client = self._table.meta.client
        for start in range(0, len(wanted), 100):
            request = {
                self._table.name: {
                    "Keys": wanted[start : start + 100],
                    "ProjectionExpression": "candidate_id, job_id, department, #st, match_score, recommendation, "
                    "name_enc",
                    "ExpressionAttributeNames": {"#st": "status"},
                }
            }
            while request:
                resp = client.batch_get_item(RequestItems=request)
                for a in resp["Responses"].get(self._table.name, []):
                    a = from_ddb(a)
                    out[(a["candidate_id"], a["job_id"])] = a
                request = resp.get("UnprocessedKeys") or {}
        return out

    def _name(self, cid: str, token: str | None) -> str | None:
        try:
            return self.enc.decrypt_field(candidate_subject(cid), "name", token)
        except KeyDestroyed:
            return None

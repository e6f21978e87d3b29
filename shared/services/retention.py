"""The retention sweep: candidates whose every application ended long enough ago are erased —
through the very same erasure path as `DELETE /v1/candidates/{id}` — and quarantined payloads
that never parsed are destroyed after their own period.

Run daily (EventBridge schedule in the cloud, a timer in the embedded stack). It reads the
applications collection (gsi2 `APPS`) filtered to final statuses, a batch job's Query rather
than a Scan; a run stops after `max_erasures` and the next run carries on.

When an application ended: `status_changed_at` if the review workflow recorded it, otherwise the
application's `updated_at` (its last write). A candidate is erased once *every* application is
final and each one's period (`Retention`, per outcome) has passed; a `null` period (by default:
hired) keeps them. A candidate who consented to the talent pool is kept at least
`Retention.talent_pool` days.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from shared.crypto.encryptor import Encryptor, event_subject
from shared.models.company import FINAL_STATUSES, Retention
from shared.observability import logger
from shared.services.erasure import CandidateEraser
from shared.storage import keys
from shared.storage.company import CompanySettings
from shared.storage.ddb import from_ddb
from shared.storage.evidence import EvidenceStore
from shared.storage.quarantine import QuarantineRepository

DAY = 86400.0
RETENTION_ACTOR = ("retention-sweep", "system")


def _epoch(ts: Any) -> float | None:
    if not isinstance(ts, str) or not ts:
        return None
    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def ended_at(app: dict[str, Any]) -> float | None:
    return _epoch(app.get("status_changed_at")) or _epoch(app.get("updated_at"))


def erase_after(apps: list[dict[str, Any]], profile: dict[str, Any] | None, policy: Retention) -> float | None:
    """When this candidate is due for erasure (epoch seconds), or None while they are kept."""
    if not apps:
        return None
    talent_pool = ((profile or {}).get("consent") or {}).get("talent_pool", {}).get("value") is True
    due = 0.0
    for a in apps:
        status = a.get("status")
        days = policy.days_for(status) if isinstance(status, str) else None
        end = ended_at(a)
        if days is None or end is None:
            return None  # still in process, or an outcome kept without limit
        if talent_pool:
            days = max(days, policy.talent_pool)
        due = max(due, end + days * DAY)
    return due


@dataclass
class SweepReport:
    examined: int = 0
    erased: list[str] = field(default_factory=list)
    quarantine_destroyed: int = 0


class RetentionSweep:
    def __init__(
        self,
        *,
        table: Any,
        company: CompanySettings,
        eraser: CandidateEraser,
        quarantine: QuarantineRepository,
        evidence: EvidenceStore,
        encryptor: Encryptor,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._table = table
        self.company, self.eraser, self.quarantine, self.evidence, self.enc = (
            company,
            eraser,
            quarantine,
            evidence,
            encryptor,
        )
        self.clock = clock

    def run(self, *, max_erasures: int = 500) -> SweepReport:
        policy = self.company.retention()
        now = self.clock()
        report = SweepReport()
        seen: set[str] = set()
        for app in self._final_applications():
            cid = app["candidate_id"]
            if cid in seen:
                continue
            seen.add(cid)
            report.examined += 1
            items = self.eraser.candidates.partition(cid)
            apps = [i for i in items if i["sk"].startswith("APP#")]
            profile = next((i for i in items if i["sk"] == keys.PROFILE), None)
            due = erase_after(apps, profile, policy)
            if due is None or due > now:
                continue
            self.eraser.erase(cid, actor=RETENTION_ACTOR, reason="retention")
            report.erased.append(cid)
            if len(report.erased) >= max_erasures:
                break
        report.quarantine_destroyed = self._expire_quarantine(now - policy.quarantine * DAY)
        logger.info(
            "retention sweep done",
            extra={
                "examined": report.examined,
                "erased": len(report.erased),
                "quarantine_destroyed": report.quarantine_destroyed,
            },
        )
        return report

    def _final_applications(self) -> Any:
        kwargs: dict[str, Any] = {
            "IndexName": "gsi2",
            "KeyConditionExpression": Key("gsi2pk").eq("APPS"),
            "FilterExpression": Attr("status").is_in(list(FINAL_STATUSES)),
        }
        while True:
            out = self._table.query(**kwargs)
            for i in out["Items"]:
                yield from_ddb(i)
            if "LastEvaluatedKey" not in out:
                return
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]

    def _expire_quarantine(self, cutoff: float) -> int:
        """Unparsed payloads older than the cutoff: key destroyed, body and item deleted."""
        destroyed = 0
        start = None
        while True:
            items, start = self.quarantine.list(100, start)
            for q in items:
                received = _epoch(q.get("received_at"))
                if received is None or received > cutoff:
                    # the collection is ordered by arrival: nothing later is due either
                    return destroyed
                self.enc.destroy(event_subject(q["event_hash"]))
                if q.get("s3_key"):
                    self.evidence.purge(q["s3_key"])
                self._table.delete_item(Key=keys.quarantine(q["id"]))
                destroyed += 1
            if not start:
                return destroyed

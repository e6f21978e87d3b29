"""Erasure that really erases (docs/erasure.md): one path for `DELETE /v1/candidates/{id}` and
the retention sweep.

Order matters, so that a crash half-way leaves nothing readable and a retry finishes the job:
1. tombstones for the candidate's identities (events received before now are dropped later);
2. crypto-shredding: the candidate's data key and the key of every raw event linked to them;
3. S3 objects that belong to them (raw bodies, quarantined bodies, media copies, exports),
   every version;
4. DynamoDB: result pointers, identity items, then the candidate partition itself;
5. a `candidate.erased` entry in the audit trail, which is kept and holds no personal data.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from shared.audit.trail import SYSTEM, AuditTrail
from shared.crypto.blind import BlindIndex
from shared.crypto.encryptor import Encryptor, candidate_subject, event_subject
from shared.errors import NotFound
from shared.models.results import CandidateIdentity
from shared.observability import logger
from shared.resources import RAW_PREFIX
from shared.scoring.percentile import bucket
from shared.services.intake import iso
from shared.storage import keys
from shared.storage.candidates import CandidateRepository
from shared.storage.ddb import is_conditional_failure
from shared.storage.evidence import EvidenceStore
from shared.storage.jobs import JobRepository, count_deltas

# How long an identity tombstone is kept: longer than any message can wait in a queue
# (SQS keeps 14 days, the dead-letter queue 14 more) before it is processed or replayed.
TOMBSTONE_TTL_S = 30 * 86400


@dataclass
class ErasureReport:
    candidate_id: str
    keys_destroyed: int = 0
    objects_deleted: int = 0
    items_deleted: int = 0
    results: int = 0


def _epoch(ts: str | None) -> float | None:
    if not ts:
        return None
    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class ErasureGuard:
    """Asked by the consumer before it stores a result: was this person erased after the
    event arrived? Then the event is stale personal data and is dropped, not stored again."""

    def __init__(self, table: Any, blind: BlindIndex) -> None:
        self._table = table
        self._blind = blind

    def erased_after(self, ident: CandidateIdentity, received_at: str | None) -> bool:
        received = _epoch(received_at)
        pairs = self._blind.identities(ident.external_id, ident.email, ident.phone)
        ext = next((f"ext#{b}" for k, b in pairs if k == "ext"), None)
        for kind, blind in pairs:
            item = self._table.get_item(Key=keys.erased_identity(kind, blind), ConsistentRead=True).get("Item")
            if not item:
                continue
            # as when matching people: a shared e-mail or phone never joins two different ATS ids
            if kind != "ext" and ext and item.get("ext") and item["ext"] != ext:
                continue
            if received is None or received <= float(item["erased_at_epoch"]):
                return True
        return False


class CandidateEraser:
    def __init__(
        self,
        *,
        table: Any,
        candidates: CandidateRepository,
        jobs: JobRepository,
        encryptor: Encryptor,
        evidence: EvidenceStore,
        audit: AuditTrail,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._table = table
        self._client = table.meta.client
        self.jobs = jobs
        self.candidates, self.enc, self.evidence, self.audit, self.clock = (
            candidates,
            encryptor,
            evidence,
            audit,
            clock,
        )

    def exists(self, cid: str) -> bool:
        return bool(self.candidates.partition(cid))

    def erase(self, cid: str, *, actor: tuple[str, str] = SYSTEM, reason: str = "request") -> ErasureReport:
        items = self.candidates.partition(cid)
        if not items:
            raise NotFound("candidate not found")
        report = ErasureReport(cid)
        now = self.clock()
        profile = next((i for i in items if i["sk"] == keys.PROFILE), {})
        idents = sorted(profile.get("idents") or [])
        self._tombstones(idents, now)
        self._erase_items(cid, items, report)
        # An event being processed while this ran may have written into the partition again:
        # a second pass leaves nothing behind (the key is destroyed again if it was re-created).
        late = self.candidates.partition(cid)
        if late:
            logger.warning("erasure found late writes", extra={"candidate_id": cid, "items": len(late)})
            self._erase_items(cid, late, report)
        self.audit.append(
            cid,
            "candidate.erased",
            actor=actor,
            target=cid,
            after={"reason": reason, **{k: v for k, v in asdict(report).items() if k != "candidate_id"}},
            sealed=False,
        )
        logger.info("candidate erased", extra={"candidate_id": cid, "reason": reason, **asdict(report)})
        return report

    # -- steps -----------------------------------------------------------------------------
    def _tombstones(self, idents: list[str], now: float) -> None:
        ext = next((i for i in idents if i.startswith("ext#")), None)
        for ident in idents:
            kind, _, blind = ident.partition("#")
            item: dict[str, Any] = {
                **keys.erased_identity(kind, blind),
                "erased_at": iso(now),
                "erased_at_epoch": int(now) + 1,  # whole seconds, rounded up: covers this second
                "expires_at": int(now) + TOMBSTONE_TTL_S,
            }
            if ext:
                item["ext"] = ext  # the erased person's ATS id (blind): see ErasureGuard
            self._table.put_item(Item=item)

    def _erase_items(self, cid: str, items: list[dict[str, Any]], report: ErasureReport) -> None:
        results = [i for i in items if i["sk"].startswith("RES#")]
        vendor_of = {r["result_id"]: r.get("vendor") for r in results}
        event_refs = sorted({i.get("event_ref") or i["sk"][4:] for i in items if i["sk"].startswith("EVT#")})
        objects: set[str] = set()
        # 2. crypto-shredding first: from here on nothing of this person can be read anywhere
        self.enc.destroy(candidate_subject(cid))
        report.keys_destroyed += 1
        for ev in event_refs:
            self.enc.destroy(event_subject(ev))
            report.keys_destroyed += 1
        # 3. S3 objects named by the partition, or by the events linked to it
        for i in items:
            objects.update(_s3_keys(i))
        evt_vendor = {
            i.get("event_ref") or i["sk"][4:]: i.get("vendor") or vendor_of.get(i.get("result_id", ""))
            for i in items
            if i["sk"].startswith("EVT#")
        }
        for ev, vendor in evt_vendor.items():
            objects.update(self._event_objects(ev, vendor))
        for key in sorted(objects):
            self.evidence.purge(key)
            report.objects_deleted += 1
        # 4. DynamoDB: the job's match histogram, pointers, identities, then the partition
        for a in items:
            if a["sk"].startswith("APP#"):
                self._uncount(a)
        for r in results:
            self._delete_if(keys.result_pointer(r["result_id"]), cid)
        report.results += len(results)
        profile = next((i for i in items if i["sk"] == keys.PROFILE), {})
        for ident in profile.get("idents") or []:
            kind, _, blind = ident.partition("#")
            self._delete_if(keys.identity(kind, blind), cid)
        with self._table.batch_writer() as batch:
            for i in items:
                batch.delete_item(Key={"pk": i["pk"], "sk": i["sk"]})
        report.items_deleted += len(items)

    def _event_objects(self, ev: str, vendor: str | None) -> set[str]:
        out: set[str] = set()
        if not vendor:
            return out
        event = self._table.get_item(Key=keys.event(vendor, ev), ConsistentRead=True).get("Item")
        # the event item itself stays: it holds no personal data, and a re-delivery of the same
        # webhook-id must stay a duplicate rather than bring the person back
        out.add(event.get("s3_key") if event and event.get("s3_key") else f"{RAW_PREFIX}{vendor}/{ev}")
        if event and event.get("quarantine_id"):
            q = self._table.get_item(Key=keys.quarantine(event["quarantine_id"])).get("Item")
            if q:
                if q.get("s3_key"):
                    out.add(q["s3_key"])
                self._table.delete_item(Key=keys.quarantine(event["quarantine_id"]))
        return out

    def _uncount(self, app: dict[str, Any]) -> None:
        """Take the application out of its job's histogram and status/recommendation counters."""
        deltas = count_deltas(app.get("counted"), None)
        if app.get("match_score") is not None:
            b = bucket(float(app["match_score"]))
            deltas[b] = deltas.get(b, 0) - 1
        update = self.jobs.job_update(app["job_id"], deltas)
        if not update:
            return
        u = update["Update"]
        try:
            self._table.update_item(
                Key=u["Key"],
                UpdateExpression=u["UpdateExpression"],
                ConditionExpression=u["ConditionExpression"],
                ExpressionAttributeNames=u["ExpressionAttributeNames"],
                ExpressionAttributeValues=u["ExpressionAttributeValues"],
            )
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise

    def _delete_if(self, key: dict[str, str], cid: str) -> None:
        try:
            self._table.delete_item(
                Key=key, ConditionExpression="candidate_id = :c", ExpressionAttributeValues={":c": cid}
            )
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise


def _s3_keys(item: dict[str, Any]) -> set[str]:
    """Every S3 object an item names: `s3_key`/`s3_keys` on the item (export links, imports)
    and the media copies of a result's answers."""
    out: set[str] = set()
    if isinstance(item.get("s3_key"), str):
        out.add(item["s3_key"])
    out.update(k for k in item.get("s3_keys") or [] if isinstance(k, str))
    for a in item.get("answers") or []:
        media = (a or {}).get("media") or {}
        if isinstance(media.get("s3_key"), str):
            out.add(media["s3_key"])
    return out

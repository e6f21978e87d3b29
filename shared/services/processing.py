"""Queue consumer logic: a stored raw event becomes a result in the candidate's profile."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, Literal

from shared.audit.trail import AuditTrail
from shared.crypto.encryptor import Encryptor, KeyDestroyed, candidate_subject, event_subject
from shared.errors import StaleRevision
from shared.models.results import CanonicalResult, EventKind
from shared.observability import logger
from shared.services.consent import ConsentService
from shared.services.erasure import ErasureGuard
from shared.services.intake import QueuePort, iso
from shared.services.media import media_messages
from shared.storage import keys
from shared.storage.candidates import CandidateRepository, result_id_for
from shared.storage.departments import DepartmentRepository
from shared.storage.evidence import EvidenceStore
from shared.storage.jobs import JobRepository
from shared.storage.vendors import VendorRepository
from shared.vendors.adapters.base import PayloadInvalid
from shared.vendors.registry import adapter_for

Outcome = Literal["applied", "stale", "withdrawn", "dropped", "invalid"]


def build_result_item(
    r: CanonicalResult, *, rid: str, cid: str, enc: Encryptor, received_at: str, event_ref: str, source: str
) -> dict[str, Any]:
    """The stored shape of a result: scores in clear, everything said about the person encrypted."""
    subject = candidate_subject(cid)
    job_id = r.job.external_id if r.job else ""
    department = (r.job.department if r.job else None) or "unassigned"
    consent = r.biometric_consent is True
    analyses = [a.model_dump() for a in r.analyses] if consent else []
    item: dict[str, Any] = {
        "type": "result",
        "result_id": rid,
        "candidate_id": cid,
        "job_id": job_id,
        "department": department,
        "vendor": r.vendor,
        "vendor_result_id": r.vendor_result_id,
        "revision": r.revision,
        "status": "active",
        "source": source,
        "event_ref": event_ref,
        "received_at": received_at,
        "completed_at": r.completed_at.isoformat() if r.completed_at else None,
        "occurred_at": r.occurred_at.isoformat() if r.occurred_at else None,
        "overall": ({**r.overall.model_dump(), "normalized": r.overall.normalized} if r.overall else None),
        "dimensions": [
            {
                "code": d.code,
                "label": d.label,
                "score": d.score,
                "scale_min": d.scale_min,
                "scale_max": d.scale_max,
                "normalized": d.normalized,
                "comment_enc": enc.encrypt_field(subject, f"{rid}/comment/{i}", d.comment),
            }
            for i, d in enumerate(r.dimensions)
        ],
        "answers": [
            {
                "question_id": a.question_id,
                "question": a.question,
                "transcript_enc": enc.encrypt_field(subject, f"{rid}/transcript/{a.question_id}", a.transcript),
                "media": a.media.model_dump() if a.media else None,
            }
            for a in r.answers
        ],
        "analyses_enc": (
            enc.encrypt_field(subject, f"{rid}/analyses", json.dumps(analyses, ensure_ascii=False))
            if analyses
            else None
        ),
        "analyses_dropped": 0 if consent else len(r.analyses),
        "biometric_consent": r.biometric_consent,
        "report_url": r.report_url,
        "unmapped": r.unmapped_labels,
        "vendor_extra": r.extra or None,
        # inbox (gsi3): waiting for review until someone opens it
        "gsi3pk": keys.inbox_pk(department),
        "gsi3sk": f"{received_at}#{rid}",
    }
    return item


class ResultProcessor:
    def __init__(
        self,
        *,
        vendors: VendorRepository,
        candidates: CandidateRepository,
        jobs: JobRepository,
        evidence: EvidenceStore,
        encryptor: Encryptor,
        score_queue: QueuePort,
        audit: AuditTrail | None = None,
        erasure_guard: ErasureGuard | None = None,
        consent: ConsentService | None = None,
        departments: DepartmentRepository | None = None,
        media_queue: QueuePort | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.vendors, self.candidates, self.jobs = vendors, candidates, jobs
        self.evidence, self.encryptor, self.score_queue, self.clock = evidence, encryptor, score_queue, clock
        self.audit = audit
        # shared/services/erasure.ErasureGuard: drops events that arrived before their person was erased
        self.erasure_guard = erasure_guard
        # shared/services/consent.ConsentService: consent HR recorded wins over the vendor's flag
        self.consent = consent
        self.departments = departments  # registers each department for the inboxes (docs/workflow.md)
        self.media_queue = media_queue  # media copies (shared/services/media.py); None: links kept as sent

    def handle_event(self, msg: dict[str, Any]) -> Outcome:
        ev = msg["event_hash"]
        try:
            body = self.encryptor.decrypt_blob(event_subject(ev), "raw-body", self.evidence.get(msg["s3_key"]))
        except KeyDestroyed:
            logger.info("event dropped: its key was erased", extra={"event": ev})
            return "dropped"
        vendor = self.vendors.get(msg["vendor"])
        try:
            result = adapter_for(vendor["format"]).parse(vendor["name"], body)
        except PayloadInvalid as exc:
            logger.warning("stored event no longer parses", extra={"event": ev, "errors": len(exc.errors)})
            return "invalid"
        return self.apply(
            result,
            event_ref=ev,
            received_at=msg.get("received_at") or iso(self.clock()),
            source=msg.get("source", "webhook"),
        )

    def apply(self, r: CanonicalResult, *, event_ref: str, received_at: str, source: str = "webhook") -> Outcome:
        rid = result_id_for(r.vendor, r.vendor_result_id)
        now = iso(self.clock())
        previous = self.candidates.pointer(rid)
        if previous and int(previous["revision"]) >= r.revision:
            logger.info(
                "stale revision ignored",
                extra={"result_id": rid, "revision": r.revision, "stored": previous["revision"]},
            )
            return "stale"
        if r.kind is EventKind.WITHDRAWN:
            try:
                pointer = self.candidates.withdraw(
                    rid=rid, revision=r.revision, previous=previous, event_ref=event_ref, now=now
                )
            except StaleRevision:
                return "stale"
            if pointer:
                if self.audit:
                    self.audit.append(
                        pointer["candidate_id"],
                        "result.withdrawn",
                        target=rid,
                        after={"revision": r.revision, "vendor": r.vendor},
                    )
                self._rescore(pointer["candidate_id"], pointer["job_id"])
            logger.info("result withdrawn", extra={"result_id": rid, "revision": r.revision})
            return "withdrawn"
        assert r.candidate is not None and r.job is not None  # the adapters guarantee both
        if self.erasure_guard and self.erasure_guard.erased_after(r.candidate, received_at):
            self.encryptor.destroy(event_subject(event_ref))
            logger.info("event dropped: its candidate was erased after it arrived", extra={"result_id": rid})
            return "dropped"
        cid = self.candidates.resolve(r.candidate, now)
        r = self.consent.apply_to(cid, r) if self.consent else r
        assert r.candidate is not None and r.job is not None
        name_enc = self.candidates.set_personal(cid, r.candidate)
        self.jobs.ensure(r.job.external_id, r.job.title, r.job.department, now)
        if self.departments is not None:
            self.departments.register(r.job.department, now)
        item = build_result_item(
            r,
            rid=rid,
            cid=cid,
            enc=self.encryptor,
            received_at=received_at,
            event_ref=event_ref,
            source=source,
        )
        try:
            self.candidates.apply_result(
                cid=cid,
                rid=rid,
                revision=r.revision,
                job_id=r.job.external_id,
                department=r.job.department,
                result_item=item,
                name_enc=name_enc,
                event_ref=event_ref,
                now=now,
                previous=previous,
            )
        except StaleRevision:
            logger.info("stale revision lost a race", extra={"result_id": rid, "revision": r.revision})
            return "stale"
        if r.unmapped_labels:
            self.vendors.count_unmapped(r.vendor, r.unmapped_labels)
            logger.warning("unmapped competency labels", extra={"vendor": r.vendor, "count": len(r.unmapped_labels)})
        if self.audit:
            self.audit.append(
                cid,
                "result.ingested",
                target=rid,
                after={
                    "vendor": r.vendor,
                    "revision": r.revision,
                    "job_id": r.job.external_id,
                    "source": source,
                    "scores": {d.code: d.normalized for d in r.dimensions},
                    "analyses_dropped": 0 if r.biometric_consent else len(r.analyses),
                },
            )
        self._rescore(cid, r.job.external_id)
        self._queue_media(cid, rid, r.revision, item["answers"])
        logger.info("result stored", extra={"result_id": rid, "candidate_id": cid, "revision": r.revision})
        return "applied"

    def _queue_media(self, cid: str, rid: str, revision: int, answers: list[dict[str, Any]]) -> None:
        """One copy request per linked media file; a failure here never fails the stored result."""
        if self.media_queue is None:
            return
        for message in media_messages(cid, rid, revision, answers):
            try:
                self.media_queue.send(message)
            except Exception:
                logger.exception("media copy not queued", extra={"result_id": rid, "answer": message["answer"]})

    def _rescore(self, cid: str, job_id: str) -> None:
        self.score_queue.send({"kind": "application", "candidate_id": cid, "job_id": job_id})

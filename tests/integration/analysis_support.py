"""Seeding helpers for the analysis tests: results go in through the real processor path."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from shared.authz.policy import Principal, Role
from shared.services.intake import iso
from shared.storage.candidates import result_id_for
from shared.vendors.registry import adapter_for
from tests.conftest import generic_payload

HR = Principal(sub="hr-1", role=Role.HR)
ADMIN = Principal(sub="admin-1", role=Role.HR_ADMIN)


def store_result(
    svc: Any,
    vendor: str,
    job: str,
    candidate: str,
    dims: dict[str, float],
    *,
    rid: str | None = None,
    score: bool = True,
    **kw: Any,
) -> str:
    """Apply one generic-format result as the ingest consumer would; returns the candidate id."""
    rid = rid or f"R-{uuid.uuid4().hex[:8]}"
    payload = generic_payload(rid, candidate, job, dims, **kw)
    payload["data"]["candidate"].pop("phone")  # the shared fixture phone would make everyone one person
    result = adapter_for("generic").parse(vendor, json.dumps(payload, ensure_ascii=False).encode())
    svc.processor.apply(result, event_ref=uuid.uuid4().hex, received_at=iso(time.time()))
    cid = svc.candidates.pointer(result_id_for(vendor, rid))["candidate_id"]
    if score:
        svc.scorer.rescore(cid, job)
    return str(cid)


def drain(svc: Any) -> list[dict[str, Any]]:
    """Every message waiting on the score queue, removed from it."""
    out: list[dict[str, Any]] = []
    while True:
        msgs = svc.sqs.receive_message(QueueUrl=svc.settings.score_queue_url, MaxNumberOfMessages=10).get(
            "Messages", []
        )
        if not msgs:
            return out
        out.extend(json.loads(m["Body"]) for m in msgs)
        svc.sqs.delete_message_batch(
            QueueUrl=svc.settings.score_queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)],
        )

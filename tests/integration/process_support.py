"""Seeding for the process tests: results through the real processor, scored, workflow started."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from shared.services.intake import iso
from shared.storage.candidates import result_id_for
from shared.vendors.registry import adapter_for
from tests.conftest import generic_payload


def seed(
    svc: Any,
    job: str,
    dims: dict[str, float],
    *,
    department: str = "risk",
    vendor: str = "acme",
    candidate: str | None = None,
    received_at: float | None = None,
    rid: str | None = None,
) -> tuple[str, str]:
    """One result applied as the ingest consumer would, scored and started; (candidate id, result id)."""
    rid = rid or f"R-{uuid.uuid4().hex[:8]}"
    payload = generic_payload(rid, candidate or f"C-{uuid.uuid4().hex[:8]}", job, dims, department=department)
    payload["data"]["candidate"].pop("phone")  # the fixture's shared phone would make everyone one person
    result = adapter_for("generic").parse(vendor, json.dumps(payload, ensure_ascii=False).encode())
    svc.processor.apply(result, event_ref=uuid.uuid4().hex, received_at=iso(received_at or time.time()))
    stored = result_id_for(vendor, rid)
    cid = svc.candidates.pointer(stored)["candidate_id"]
    svc.scorer.rescore(cid, job)
    svc.workflow.ensure_started(cid, job)
    return str(cid), stored

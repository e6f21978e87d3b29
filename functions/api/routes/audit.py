"""Audit trails: every change to a candidate, hash-chained (`GET /v1/candidates/{id}/audit`)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from functions.api.context import principal, problems, views
from shared.authz.policy import Action, authorize
from shared.errors import NotFound
from shared.wiring import services

router = Router()


@router.get(
    "/candidates/<candidate_id>/audit",
    summary="A candidate's audit trail and whether its hash chain holds",
    tags=["audit"],
    description="Entries oldest first: actor, role, time, action, target, before and after. "
    "`chain_valid` is false when any entry was altered, removed or reordered.",
    responses=problems(404),
)
def candidate_audit(candidate_id: str) -> dict[str, Any]:
    views().load_candidate(candidate_id, principal(router), Action.AUDIT_READ)
    trail = services().audit.read(candidate_id)
    return {"candidate_id": candidate_id, **trail}


@router.get(
    "/erasures/<candidate_id>",
    summary="The audit trail kept for an erased candidate",
    tags=["audit"],
    description="After erasure every read of the candidate answers 404; the trail stays as proof "
    "of what was done, ending in a `candidate.erased` tombstone. Its sealed values and notes "
    "are unreadable: their key was destroyed with the candidate's data.",
    responses=problems(404),
)
def erased_audit(candidate_id: str) -> dict[str, Any]:
    authorize(principal(router), Action.AUDIT_READ)
    trail = services().audit.read(candidate_id)
    erased = [e for e in trail["entries"] if e.get("action") == "candidate.erased"]
    if not erased or services().eraser.exists(candidate_id):
        raise NotFound("no erasure of this candidate is on record")
    return {"candidate_id": candidate_id, "erased_at": erased[-1]["at"], **trail}

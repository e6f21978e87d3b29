"""Erasure on request (`DELETE /v1/candidates/{id}`, hr_admin): docs/erasure.md."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from functions.api.context import principal, problems
from shared.authz.policy import Action, authorize
from shared.errors import NotFound
from shared.wiring import services

router = Router()


@router.delete(
    "/candidates/<candidate_id>",
    summary="Erase a candidate (crypto-shredding)",
    tags=["candidates"],
    description="Destroys the candidate's data key and the keys of their raw vendor events, deletes "
    "their stored objects and items, and leaves a `candidate.erased` tombstone in the audit trail. "
    "Afterwards every read of the candidate answers 404.",
    responses={204: {"description": "Erased"}, **problems(404)},
)
def erase(candidate_id: str):  # no return annotation: a 204 has no body to validate or describe
    p = principal(router)
    authorize(p, Action.ERASE)
    s = services()
    # not views.load_candidate: an erasure cut short (no profile left) must still be finishable
    items = s.candidates.partition(candidate_id)
    if not items:
        raise NotFound("candidate not found")
    authorize(p, Action.ERASE, s.views.scope_of(candidate_id, items))
    s.eraser.erase(candidate_id, actor=(p.sub, p.role.value), reason="request")
    return Response(204, content_type=None, body=None)

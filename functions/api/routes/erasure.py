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
def erase(candidate_id: str) -> Response[None]:
    p = principal(router)
    authorize(p, Action.ERASE)
    s = services()
    if not s.eraser.exists(candidate_id):
        raise NotFound("candidate not found")
    s.eraser.erase(candidate_id, actor=(p.sub, p.role.value), reason="request")
    return Response(204, content_type=None, body=None)

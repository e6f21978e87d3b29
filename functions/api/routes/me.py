"""A candidate's own results (`GET /v1/me`), and what the company lets candidates see."""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from functions.api.context import principal, problems
from shared.authz.policy import Action, authorize
from shared.models.company import CandidateView
from shared.services.intake import iso
from shared.wiring import services

router = Router()


@router.get(
    "/me",
    summary="The caller's own results (role candidate)",
    tags=["candidates"],
    description="Competency scores and the match explanation, as far as the company shares them "
    "(`PUT /v1/settings/candidate-view`); never reviewers' notes.",
    responses=problems(404),
)
def me() -> dict[str, Any]:
    return services().selfview.me(principal(router))


@router.get(
    "/settings/candidate-view",
    summary="What candidates see of their evaluation",
    tags=["settings"],
    responses=problems(),
)
def get_candidate_view() -> dict[str, Any]:
    authorize(principal(router), Action.SETTINGS)
    return services().company.candidate_view().model_dump()


@router.put(
    "/settings/candidate-view",
    summary="Change what candidates see of their evaluation (hr_admin)",
    tags=["settings"],
    responses=problems(422),
)
def put_candidate_view(body: CandidateView) -> dict[str, Any]:
    p = principal(router)
    authorize(p, Action.SETTINGS)
    services().company.set_candidate_view(body, by=p.sub, at=iso(time.time()))
    return body.model_dump()

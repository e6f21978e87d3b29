"""Consent HR records for a candidate, and the retention policy (hr_admin)."""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from functions.api.context import principal, problems
from shared.authz.policy import Action, authorize
from shared.models.company import Consent, Retention
from shared.services.intake import iso
from shared.wiring import services

router = Router()


@router.put(
    "/candidates/<candidate_id>/consent",
    summary="Record a candidate's consent",
    tags=["candidates"],
    description="Flags left out keep their value. `biometric_analysis: false` deletes the voice and "
    "facial analyses already stored and drops them from later results.",
    responses=problems(404, 409, 422),
)
def put_consent(candidate_id: str, body: Consent) -> dict[str, Any]:
    return services().consent.set(principal(router), candidate_id, body)


@router.get("/settings/retention", summary="How long candidates are kept", tags=["settings"], responses=problems())
def get_retention() -> dict[str, Any]:
    authorize(principal(router), Action.SETTINGS)
    return services().company.retention().model_dump()


@router.put(
    "/settings/retention",
    summary="Change how long candidates are kept after each outcome (hr_admin)",
    tags=["settings"],
    description="Days after the outcome; `null` keeps the candidate until erased by hand. Applied by the "
    "daily retention sweep through the same erasure as `DELETE /v1/candidates/{id}`.",
    responses=problems(422),
)
def put_retention(body: Retention) -> dict[str, Any]:
    p = principal(router)
    authorize(p, Action.SETTINGS)
    services().company.set_retention(body, by=p.sub, at=iso(time.time()))
    return body.model_dump()

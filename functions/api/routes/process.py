"""The review process: decisions, feedback, the inbox, calibration (CONTRACT §5)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, ConfigDict, Field

from functions.api.context import principal, problems
from shared.services.feedback import FeedbackIn
from shared.wiring import services

router = Router()


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    job_id: str = Field(min_length=1, max_length=200)
    action: Literal["second_interview", "offer", "hire", "reject", "withdraw"]
    note: str | None = Field(default=None, max_length=5000)


@router.post(
    "/candidates/<candidate_id>/decisions",
    summary="Decide on an application",
    tags=["process"],
    description="Moves the application along CONTRACT §5.1: awaiting_review → second_interview | offer | "
    "rejected | withdrawn; second_interview → offer | rejected | withdrawn; offer → hired | rejected | "
    "withdrawn. Any other move, or a decision made on a status that changed meanwhile, answers 409. "
    "The note is stored encrypted in the audit trail.",
    responses=problems(404, 409, 422),
)
def decide(candidate_id: str, body: DecisionIn) -> dict[str, Any]:
    return services().workflow.decide(principal(router), candidate_id, body.job_id, body.action, body.note)


@router.post(
    "/candidates/<candidate_id>/feedback",
    summary="Second-interview evaluation or probation outcome",
    tags=["process"],
    description="`stage=second_interview` once the application has reached the second interview; "
    "`stage=probation` once hired. `competencies` (optional) rates competencies 0-100. The comment is "
    "encrypted under the candidate's key; the feedback shows in the profile and the audit trail.",
    responses={201: {"description": "Created"}, **problems(404, 409, 422)},
)
def feedback(candidate_id: str, body: FeedbackIn) -> Response[dict[str, Any]]:
    created = services().feedback.record(principal(router), candidate_id, body)
    return Response(201, content_type="application/json", body=created)


@router.get(
    "/inbox",
    summary="What waits for the caller's review, oldest first",
    tags=["process"],
    description="Unviewed results in the caller's scope (HR: every department; interviewers: their own), "
    "and for interviewers the applications moved to second interview they have not opened yet. Each item "
    "has `age_s` and a readable `age`. Opening a result takes it out of every inbox.",
    responses=problems(422),
)
def inbox(
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> dict[str, Any]:
    return services().inbox.page(principal(router), limit=limit, cursor=cursor)


@router.get(
    "/analytics/calibration",
    summary="How often the AI's recommendation matched what happened",
    tags=["process"],
    description="Over applications with a known outcome (probation passed/failed, second interview "
    "passed/failed, rejected): the confusion matrix of recommendation against outcome, accuracy, and "
    "Pearson correlations of scores with later ratings, overall, per vendor and per competency. Every "
    "figure carries its sample size `n`.",
    responses=problems(422),
)
def calibration(
    job_id: Annotated[str | None, Query(max_length=200)] = None,
    vendor: Annotated[str | None, Query(max_length=40)] = None,
) -> dict[str, Any]:
    return services().feedback.calibration(principal(router), job_id, vendor)

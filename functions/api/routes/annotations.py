"""Reviewers' notes on a candidate (`POST /v1/candidates/{id}/annotations`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from functions.api.context import principal, problems
from shared.wiring import services

router = Router()


class NewAnnotation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
    result_id: str | None = Field(default=None, max_length=100)
    visibility: Literal["hr_only", "department"] | None = Field(
        default=None,
        description="`hr_only`: HR, HR admins, auditors. `department`: also the interviewers of the "
        "department. Default: `department` for interviewers, `hr_only` for everyone else.",
    )


@router.post(
    "/candidates/<candidate_id>/annotations",
    summary="Annotate a candidate",
    tags=["candidates"],
    responses={201: {"description": "Created"}, **problems(404, 422)},
)
def annotate(candidate_id: str, body: NewAnnotation) -> Response[dict[str, Any]]:
    created = services().annotations.add(
        principal(router), candidate_id, text=body.text, result_id=body.result_id, visibility=body.visibility
    )
    return Response(201, content_type="application/json", body=created)

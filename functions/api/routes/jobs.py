"""Jobs and their talent profiles, and side-by-side comparison of a job's candidates."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from functions.api.context import principal, problems
from shared.models.domain import TalentProfile
from shared.services.analysis import MAX_COMPARE, lang_of
from shared.wiring import services

router = Router()

JobId = Annotated[str, Path(min_length=1, max_length=200)]


@router.put(
    "/jobs/<job_id>",
    summary="Create or replace a job's talent profile",
    tags=["jobs"],
    description="201 when the job had no talent profile yet, 200 when one was replaced. A changed profile "
    "re-scores every candidate of the job in the background.",
    responses={200: {"description": "Replaced"}, 201: {"description": "Created"}, **problems(422)},
)
def put_job(job_id: JobId, profile: TalentProfile) -> Response[dict[str, Any]]:
    created, view = services().analysis.put_job(principal(router), job_id, profile)
    return Response(201 if created else 200, content_type="application/json", body=view)


@router.get("/jobs", summary="Jobs with counts by status and recommendation", tags=["jobs"], responses=problems(400))
def list_jobs(
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> dict[str, Any]:
    return services().analysis.list_jobs(principal(router), limit, cursor)


@router.get(
    "/jobs/<job_id>", summary="One job with counts by status and recommendation", tags=["jobs"], responses=problems(404)
)
def get_job(job_id: JobId) -> dict[str, Any]:
    return services().analysis.job(principal(router), job_id)


@router.get(
    "/jobs/<job_id>/compare",
    summary="Candidates side by side",
    tags=["jobs"],
    description=f"`candidates=a,b,c` (1 to {MAX_COMPARE}): scores per competency, who leads on each, highlights "
    "from the answers. Reasons and labels follow Accept-Language (zh by default, en).",
    responses=problems(404, 422),
)
def compare(job_id: JobId, candidates: Annotated[str, Query(min_length=1, max_length=2000)]) -> dict[str, Any]:
    lang = lang_of(router.current_event.headers.get("accept-language"))
    return services().analysis.compare(principal(router), job_id, candidates.split(","), lang)

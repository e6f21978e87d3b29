"""Candidates: the filtered list and the one profile."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from functions.api.context import principal, problems, views
from shared.errors import BadRequest

router = Router()

MIN_PREFIX = "min."


def _mins(params: dict[str, str] | None) -> dict[str, float]:
    out = {}
    for k, v in (params or {}).items():
        if k.startswith(MIN_PREFIX):
            try:
                out[k[len(MIN_PREFIX) :]] = float(v)
            except ValueError:
                raise BadRequest(f"{k} must be a number") from None
    return out


@router.get(
    "/candidates",
    summary="Candidates, filtered and ranked",
    tags=["candidates"],
    description="`min.<code>=N` (repeatable for different codes) keeps candidates whose normalised "
    "score on that competency is at least N.",
    responses=problems(400, 422),
)
def list_candidates(
    job_id: Annotated[str | None, Query(max_length=200)] = None,
    recommendation: Annotated[Literal["hire", "second_interview", "reject"] | None, Query()] = None,
    status: Annotated[
        Literal["awaiting_review", "second_interview", "offer", "hired", "rejected", "withdrawn"] | None,
        Query(),
    ] = None,
    sort: Annotated[Literal["-match_score", "match_score"], Query()] = "-match_score",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> dict[str, Any]:
    return views().list_candidates(
        principal(router),
        job_id=job_id,
        mins=_mins(router.current_event.query_string_parameters),
        recommendation=recommendation,
        status=status,
        sort=sort,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/candidates/<candidate_id>",
    summary="One candidate's whole profile",
    tags=["candidates"],
    responses=problems(404),
)
def get_candidate(candidate_id: str) -> dict[str, Any]:
    return views().profile(principal(router), candidate_id)

"""One candidate's match for one job: score, recommendation, reasons, percentile, radar."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from functions.api.context import principal, problems
from shared.services.analysis import lang_of
from shared.wiring import services

router = Router()


@router.get(
    "/candidates/<candidate_id>/match",
    summary="Explainable match for a job",
    tags=["candidates"],
    description="Reasons carry `text` in the caller's language (Accept-Language: zh by default, en) and both "
    "`text_zh` and `text_en`; `radar[].required` is the job's minimum for that competency, or null.",
    responses=problems(404, 422),
)
def get_match(candidate_id: str, job_id: Annotated[str, Query(min_length=1, max_length=200)]) -> dict[str, Any]:
    lang = lang_of(router.current_event.headers.get("accept-language"))
    return services().analysis.match(principal(router), candidate_id, job_id, lang)

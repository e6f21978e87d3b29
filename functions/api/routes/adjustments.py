"""HR corrects competency scores (`PATCH /v1/results/{id}`), guarded by the result's ETag."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from functions.api.context import principal, problems
from shared.services.adjustments import adjustment_history
from shared.services.views import result_summary
from shared.wiring import services

router = Router()

Code = Annotated[str, StringConstraints(min_length=1, max_length=80)]
Score = Annotated[float, Field(allow_inf_nan=False)]


class Adjustment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dimensions: dict[Code, Score] = Field(
        min_length=1, max_length=50, description="competency code → new score on the vendor's own scale"
    )
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


@router.patch(
    "/results/<result_id>",
    summary="Adjust competency scores (If-Match required)",
    tags=["results"],
    description="Send the ETag of `GET /v1/results/{id}` as `If-Match`. The vendor's score stays as "
    "`original_score` beside the adjusted one; the change and its reason go to the audit trail "
    "and the application is re-scored.",
    responses={**problems(404, 412, 422, 428)},
)
def adjust(result_id: str, body: Adjustment) -> Response[dict[str, Any]]:
    s = services()
    p = principal(router)
    updated, etag = s.adjuster.adjust(
        p, result_id, router.current_event.get_header_value("if-match"), body.dimensions, body.reason
    )
    cid = updated["candidate_id"]
    view = {
        **result_summary(updated),
        "candidate_id": cid,
        "job_id": updated.get("job_id"),
        "edit_version": updated.get("edit_version"),
        "adjustments": adjustment_history(s.encryptor, cid, result_id, updated.get("adjustments", [])),
    }
    return Response(200, content_type="application/json", body=view, headers={"ETag": etag})

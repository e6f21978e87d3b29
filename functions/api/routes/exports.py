"""One-click export of a job's (filtered) candidate list, CSV or XLSX."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from functions.api.context import principal, problems
from functions.api.routes.candidates import _mins
from shared.wiring import services

router = Router()


@router.get(
    "/exports",
    summary="Export a job's candidates",
    tags=["exports"],
    description="The list GET /v1/candidates gives for the job (same `min.<code>`, `recommendation`, `status` "
    "filters), best match first. Up to 1 MiB the file is the answer; a larger one answers 303 with a link "
    "that expires within 5 minutes. Text cells starting with = + - @, tab or CR are prefixed with ' (CWE-1236).",
    responses={
        200: {
            "description": "The file",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
        },
        303: {"description": "Large export: Location is a short-lived download link"},
        **problems(400, 404, 422),
    },
)
def export(
    job_id: Annotated[str, Query(min_length=1, max_length=200)],
    format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",
    recommendation: Annotated[Literal["hire", "second_interview", "reject"] | None, Query()] = None,
    status: Annotated[
        Literal["awaiting_review", "second_interview", "offer", "hired", "rejected", "withdrawn"] | None,
        Query(),
    ] = None,
):  # no return annotation: Powertools would validate (utf-8 decode) the binary XLSX body as JSON
    f = services().exporter.export(
        principal(router),
        job_id=job_id,
        fmt=format,
        mins=_mins(router.current_event.query_string_parameters),
        recommendation=recommendation,
        status=status,
    )
    disposition = f"attachment; filename=\"{f.filename}\"; filename*=UTF-8''{quote(f.filename)}"
    if f.body is not None:
        return Response(
            200,
            content_type=f.content_type,
            body=f.body,
            headers={"Content-Disposition": disposition, "Cache-Control": "no-store", "X-Export-Rows": str(f.rows)},
        )
    return Response(
        303,
        content_type="application/json",
        body={"url": f.url, "expires_in_s": f.expires_in_s, "rows": f.rows, "bytes": f.size, "filename": f.filename},
        headers={"Location": f.url or "", "Cache-Control": "no-store"},
    )

"""One interview result, whole."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from functions.api.context import principal, problems, public_origin, views

router = Router()


@router.get(
    "/results/<result_id>",
    summary="One result with answers and media links",
    tags=["results"],
    description="Opening a result marks it viewed. The ETag header is needed to adjust scores.",
    responses=problems(404),
)
def get_result(result_id: str) -> Response[dict]:
    view, etag = views().result(principal(router), result_id)
    origin = public_origin(router)
    for answer in view.get("answers", []):
        if (answer.get("media_url") or "").startswith("/v1/media/"):  # hirelens' signed link: make it absolute
            answer["media_url"] = origin + answer["media_url"]
    return Response(200, content_type="application/json", body=view, headers={"ETag": etag})

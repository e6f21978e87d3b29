"""Media copies, served through short-lived signed links (docs/media.md).

No bearer token: the link is the capability, like a presigned URL, and hirelens itself
checks its signature and its expiry (at most 15 minutes).
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from functions.api.context import problems
from shared.wiring import services

router = Router()


@router.get(
    "/media/<token>",
    summary="One media file (signed link from GET /v1/results/{id})",
    tags=["results"],
    description="Supports single `Range: bytes=` requests (206). A file larger than one response window is "
    "served in windows: ask for the next range.",
    responses={206: {"description": "Partial content"}, 416: {"description": "Range not satisfiable"}, **problems(404)},
)
def get_media(token: str):  # no return annotation: Powertools would validate bytes as JSON
    media = services().media_reader.open(token, router.current_event.headers.get("range"))
    return Response(
        media.status,
        content_type=media.headers["Content-Type"],
        body=media.body,
        headers={k: v for k, v in media.headers.items() if k != "Content-Type"},
    )

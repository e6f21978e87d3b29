"""Recovery (hr_admin): replay a quarantined payload, look at and redrive the dead-letter queues."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, ConfigDict, Field

from functions.api.context import principal, problems
from shared.authz.policy import Action, authorize
from shared.errors import Unprocessable
from shared.observability import logger
from shared.wiring import services

router = Router()

MAX_API_REDRIVE = 1000  # keeps one request well inside API Gateway's 30 s; the CLI and Lambda take more


class RedriveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    queue: str | None = Field(default=None, description="ingest, score, media, ...; every queue when left out")
    max: int = Field(default=100, ge=1, le=MAX_API_REDRIVE, description="at most this many messages per queue")


@router.post(
    "/ingest/quarantine/<item_id>/replay",
    summary="Replay a quarantined payload with the vendor's current format",
    tags=["ingest"],
    description="Parses the stored body again. If it parses now it is queued for processing (202) and leaves "
    "the quarantine list; otherwise 422 with today's errors, and it stays.",
    responses={202: {"description": "Queued"}, **problems(404, 409, 422)},
)
def replay(item_id: str) -> Response[dict[str, Any]]:
    authorize(principal(router), Action.QUARANTINE_MANAGE)
    return Response(202, content_type="application/json", body=services().replay.replay(item_id))


@router.get("/ingest/dlq", summary="Messages waiting in each dead-letter queue", tags=["ingest"], responses=problems())
def dlq_counts() -> dict[str, Any]:
    authorize(principal(router), Action.QUARANTINE_MANAGE)
    return {"items": services().redriver.counts(), "next_cursor": None}


@router.post(
    "/ingest/dlq/redrive",
    summary="Move dead-lettered messages back to their work queue",
    tags=["ingest"],
    responses=problems(422),
)
def redrive(body: RedriveRequest) -> dict[str, Any]:
    authorize(principal(router), Action.QUARANTINE_MANAGE)
    redriver = services().redriver
    if body.queue is not None and body.queue not in redriver.queues:
        raise Unprocessable(
            "unknown queue",
            errors=[{"loc": ["body", "queue"], "msg": f"one of: {', '.join(sorted(redriver.queues))}"}],
        )
    moved = redriver.redrive(body.queue, body.max)
    logger.info("dlq redrive requested", extra={"moved": moved})
    return {"moved": moved}

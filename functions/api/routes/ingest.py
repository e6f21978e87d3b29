"""Quarantine of signed payloads that could not be understood (hr_admin)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from functions.api.context import principal, problems
from shared.authz.policy import Action, authorize
from shared.storage import keys
from shared.storage.pagination import decode_cursor, encode_cursor
from shared.wiring import services

router = Router()

_FIELDS = ("id", "event_id", "vendor", "received_at", "errors", "source")


@router.get("/ingest/quarantine", summary="Quarantined payloads", tags=["ingest"], responses=problems(400))
def list_quarantine(
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> dict[str, Any]:
    authorize(principal(router), Action.QUARANTINE_MANAGE)
    items, last = services().quarantine.list(limit, decode_cursor(cursor, must_match={"gsi2pk": keys.QUARANTINE}))
    return {"items": [{k: i.get(k) for k in _FIELDS} for i in items], "next_cursor": encode_cursor(last)}

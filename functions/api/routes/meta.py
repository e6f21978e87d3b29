"""Health and the OpenAPI document: no token needed."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

router = Router()


@router.get("/health", summary="Liveness", tags=["meta"])
def health() -> dict[str, Any]:
    return {"status": "ok"}

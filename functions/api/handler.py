"""HR API Lambda: API Gateway HTTP API (payload v2) → the resolver."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.api.app import app
from shared.errors import PayloadTooLarge
from shared.http.problems import error_response, raw_body, secure
from shared.observability import logger
from shared.wiring import services


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    limit = services().settings.max_api_body_bytes
    if len(raw_body(event)) > limit:
        return error_response(PayloadTooLarge(f"the request body exceeds {limit} bytes"))
    return secure(app.resolve(event, context))

"""HR API Lambda: API Gateway HTTP API (payload v2) → the resolver."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.api.app import app
from shared.http.problems import secure
from shared.observability import logger


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return secure(app.resolve(event, context))

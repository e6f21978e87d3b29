"""DLQ redrive for operators in AWS: `aws lambda invoke --payload '{"queue": "ingest", "max": 100}'`.

The same service backs `POST /v1/ingest/dlq/redrive` and, locally, `hirelens redrive`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.observability import logger
from shared.wiring import services


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    event = event or {}
    max_messages = event.get("max")
    moved = services().redriver.redrive(event.get("queue"), int(max_messages) if max_messages else None)
    return {"moved": moved}

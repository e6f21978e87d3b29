"""Ingest queue consumer: each SQS record is one stored vendor event, processed once.

Partial batch failures: a record that fails is retried by SQS and reaches the DLQ after
five receives; the others in the batch are not held back.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.observability import logger, metrics
from shared.wiring import services

processor = BatchProcessor(event_type=EventType.SQS)


_built: tuple[Any, Any, IdempotencyConfig] | None = None


def _once() -> tuple[Any, IdempotencyConfig]:
    """The idempotent handler, built once per Services: after `wiring.reset()` (a new settings
    or endpoint, e.g. a restarted embedded stack) it is rebuilt instead of writing through the
    old clients and keys."""
    global _built
    s = services()
    if _built is not None and _built[0] is s:
        return _built[1], _built[2]
    layer = DynamoDBPersistenceLayer(
        table_name=s.settings.idempotency_table_name, boto3_client=s.session.client("dynamodb")
    )
    config = IdempotencyConfig(
        event_key_jmespath="event_hash",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=s.settings.idempotency_ttl_s,
    )

    @idempotent_function(data_keyword_argument="message", persistence_store=layer, config=config)
    def handle(message: dict[str, Any]) -> str:
        return s.processor.handle_event(message)

    _built = (s, handle, config)
    return handle, config


def record_handler(record: SQSRecord) -> str:
    message = json.loads(record.body)
    handle, _ = _once()
    outcome = handle(message=message)
    metrics.add_metric(name=f"Event{str(outcome).capitalize()}", unit="Count", value=1)
    return outcome


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    _once()[1].register_lambda_context(context)
    return process_partial_response(  # type: ignore[return-value]
        event=event, record_handler=record_handler, processor=processor, context=context
    )

"""Import queue consumer: S3 "object created" events for uploaded import files, and the
importer's own continuation messages; each invocation processes one bounded chunk of rows
(shared/services/imports.py). Batch size 1: one message may use the whole invocation.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.observability import logger, metrics
from shared.wiring import services

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> None:
    receive_count = int(record.attributes.approximate_receive_count or 1)
    services().importer.handle(
        json.loads(record.body), lambda_context.get_remaining_time_in_millis, receive_count=receive_count
    )


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(  # type: ignore[return-value]
        event=event, record_handler=record_handler, processor=processor, context=context
    )

"""Media queue consumer: copies one vendor media file per message into the evidence bucket.

A transient failure is retried by SQS (partial batch failure); on the last receive the
answer is marked `failed` with the reason instead, so nothing waits in the DLQ for a file
the vendor will not serve.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.observability import logger, metrics
from shared.resources import MEDIA_QUEUE
from shared.wiring import services

# batches of one: a lone failed record is answered as a batch item failure, not raised
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> str:
    message = json.loads(record.body)
    attempt = int(record.attributes.approximate_receive_count or 1)
    outcome = services().media_copier.copy(
        message, attempt=attempt, final_attempt=attempt >= MEDIA_QUEUE.max_receive_count
    )
    metrics.add_metric(name=f"Media{outcome.capitalize()}", unit="Count", value=1)
    return outcome


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(  # type: ignore[return-value]
        event=event, record_handler=record_handler, processor=processor, context=context
    )

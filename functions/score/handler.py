"""Score queue consumer (partial batch failures).

- {"kind": "application", "candidate_id", "job_id"}: re-score that application;
- {"kind": "job", "job_id", "cursor"?}: fan a whole job's re-score out into application
  messages, a bounded slice per invocation (shared/services/scoring.py JobRescoreFanout).
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
    message = json.loads(record.body)
    kind = message.get("kind")
    if kind == "application":
        services().scorer.rescore(message["candidate_id"], message["job_id"])
        # scored: the application's review workflow starts now, once (docs/workflow.md)
        services().workflow.ensure_started(message["candidate_id"], message["job_id"])
    elif kind == "job":
        services().fanout.run(message["job_id"], message.get("cursor"), lambda_context.get_remaining_time_in_millis)
    else:
        logger.warning("unknown score message", extra={"kind": kind})


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(  # type: ignore[return-value]
        event=event, record_handler=record_handler, processor=processor, context=context
    )

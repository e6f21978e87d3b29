"""Workflow queue consumer: one message per state-machine step waiting for a human decision.

Stores the step's task token on the application (or resumes at once when a decision got there
first) and, on the second-interview step, briefs the department's interviewers. In AWS an SQS
event source feeds it; in the embedded stack a poller does, with the same batches.
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


def record_handler(record: SQSRecord) -> str:
    outcome = services().workflow.on_task(json.loads(record.body))
    metrics.add_metric(name=f"WorkflowTask{outcome.title().replace('_', '')}", unit="Count", value=1)
    return outcome


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(  # type: ignore[return-value]
        event=event, record_handler=record_handler, processor=processor, context=context
    )

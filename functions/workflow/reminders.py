"""Scheduled (hourly): reminders of results waiting too long or about to expire (docs/workflow.md)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.observability import logger, metrics
from shared.wiring import services


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    sent = services().reminders.run()
    for kind, n in sent.items():
        metrics.add_metric(name=f"Reminders{kind.title()}", unit="Count", value=n)
    return sent

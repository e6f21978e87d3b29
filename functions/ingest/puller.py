"""Scheduled API pull (EventBridge, every 5 minutes): pulls each vendor whose interval has elapsed.

The embedded stack calls the same handler from a timer thread (embedded/timer.py).
"""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.observability import logger, metrics
from shared.wiring import services


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deadline = time.time() + context.get_remaining_time_in_millis() / 1000
    reports = services().puller.run_due(deadline=deadline)
    for r in reports:
        metrics.add_metric(name=f"Pull{r.status.title().replace('_', '')}", unit="Count", value=1)
        metrics.add_metric(name="PulledResults", unit="Count", value=r.queued)
    return {"vendors": [r.summary() for r in reports]}

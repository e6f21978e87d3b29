"""Retention sweep Lambda: run daily by an EventBridge schedule (docs/erasure.md)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.observability import logger, metrics
from shared.wiring import services


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = services().retention.run(max_erasures=int((event or {}).get("max_erasures", 500)))
    metrics.add_metric(name="CandidatesErased", unit="Count", value=len(report.erased))
    metrics.add_metric(name="QuarantineDestroyed", unit="Count", value=report.quarantine_destroyed)
    return {
        "examined": report.examined,
        "erased": len(report.erased),
        "quarantine_destroyed": report.quarantine_destroyed,
    }

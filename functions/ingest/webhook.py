"""Webhook intake Lambda: POST /v1/webhooks/{vendor} → verified, stored, queued, 202."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.http.problems import install_problem_handlers, raw_body, secure
from shared.observability import logger, metrics
from shared.wiring import services

app = APIGatewayHttpResolver()
install_problem_handlers(app)


@app.post("/v1/webhooks/<vendor>")
def receive(vendor: str) -> Response[dict]:
    ev = app.current_event
    accepted = services().intake.accept(vendor, ev.headers or {}, raw_body(ev.raw_event))
    metrics.add_metric(name="WebhookDuplicate" if accepted.duplicate else "WebhookAccepted", unit="Count", value=1)
    return Response(202, content_type="application/json", body={"event_id": accepted.event_id})


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return secure(app.resolve(event, context))

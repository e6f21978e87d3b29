"""Runs our Lambda handlers locally: one thread per function, like one warm container each."""

from __future__ import annotations

import importlib
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any


@dataclass
class LocalContext:
    function_name: str
    timeout_s: int = 30
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"
    _deadline: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.invoked_function_arn = f"arn:aws:lambda:eu-central-1:123456789012:function:{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class LocalFunction:
    def __init__(self, name: str, handler: str, timeout_s: int = 30) -> None:
        self.name = name
        module, _, attr = handler.rpartition(".")
        self._handler: Callable[[dict[str, Any], Any], Any] = getattr(importlib.import_module(module), attr)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"fn-{name}")
        self._timeout_s = timeout_s

    def invoke(self, event: dict[str, Any]) -> Any:
        ctx = LocalContext(self.name, self._timeout_s)
        return self._pool.submit(self._handler, event, ctx).result()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


FUNCTIONS = {
    "api": "functions.api.handler.lambda_handler",
    "webhook": "functions.ingest.webhook.lambda_handler",
    "consumer": "functions.ingest.consumer.lambda_handler",
    "score": "functions.score.handler.lambda_handler",
    "retention": "functions.workflow.retention.lambda_handler",
    "puller": "functions.ingest.puller.lambda_handler",
    "media": "functions.ingest.media.lambda_handler",
    "redrive": "functions.ingest.redrive.lambda_handler",
    "workflow": "functions.workflow.handler.lambda_handler",
    "reminders": "functions.workflow.reminders.lambda_handler",
    "importer": "functions.ingest.importer.lambda_handler",
}

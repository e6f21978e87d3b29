"""The local EventBridge schedule: calls a function every `every_s` seconds on its own thread.

`tick()` runs it at once (tests use it rather than waiting for the period).
"""

from __future__ import annotations

import threading
from typing import Any

from embedded.gate import GATE
from embedded.runtime import LocalFunction
from shared.observability import logger


class Timer:
    def __init__(self, function: LocalFunction, every_s: float, event: dict[str, Any] | None = None) -> None:
        self.function, self.every_s = function, every_s
        self._event = event or {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"timer-{function.name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def tick(self) -> Any:
        return self.function.invoke(dict(self._event))

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                with GATE.work():  # held back while an in-process test runs (embedded/gate.py)
                    self.tick()
            except Exception:
                logger.exception("scheduled invocation failed", extra={"function": self.function.name})

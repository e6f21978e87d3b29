"""One gate for the embedded stack's background work (queue pollers, timers).

In-process tests (`mock_aws`) patch botocore for every thread, so a session stack's pollers
and timers running meanwhile would reach the test's in-memory AWS: steal its messages, pull
its vendors. The tests' `aws` fixture closes the gate for the length of each test; a closed
gate lets work in progress finish and holds new work back until it opens again.

(It cannot help with the other half of sharing one process: moto's backends are global, and
`mock_aws` resets them, which also empties the session stack's moto server. The e2e tests run
before the in-process ones — `tests/e2e` sorts first — and must keep doing so.)
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class BackgroundGate:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._closed = 0
        self._active = 0

    @contextmanager
    def work(self) -> Iterator[None]:
        """Around one unit of background work: waits while the gate is closed."""
        with self._cond:
            while self._closed:
                self._cond.wait()
            self._active += 1
        try:
            yield
        finally:
            with self._cond:
                self._active -= 1
                self._cond.notify_all()

    @contextmanager
    def closed(self) -> Iterator[None]:
        """No background work while inside: waits for the work in progress to finish first."""
        with self._cond:
            self._closed += 1
            while self._active:
                self._cond.wait()
        try:
            yield
        finally:
            with self._cond:
                self._closed -= 1
                self._cond.notify_all()


GATE = BackgroundGate()

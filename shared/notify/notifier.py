"""The notifier port: a notice to every enabled channel of a department whose audience it is for.

Sent with httpx (timeouts per attempt, retries with backoff on timeouts, connection errors,
429 and 5xx, an overall deadline) and SES for e-mail. It never raises: a failing channel is
logged, its status stored (`GET /v1/departments/{dept}/channels`), and the workflow goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from shared.notify.formats import accepted, render
from shared.notify.models import Channel, Delivery, Notice
from shared.observability import logger
from shared.services.intake import iso
from shared.storage.channels import ChannelRepository

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class Notifier:
    def __init__(
        self,
        channels: ChannelRepository,
        *,
        ses: Callable[[], Any],
        sender: str,
        timeout_s: float = 5.0,
        attempts: int = 3,
        backoff_s: float = 0.5,
        deadline_s: float = 20.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        http: httpx.Client | None = None,
    ) -> None:
        self.channels, self._ses, self.sender = channels, ses, sender
        self.timeout_s, self.attempts, self.backoff_s, self.deadline_s = timeout_s, attempts, backoff_s, deadline_s
        self.clock, self.sleep = clock, sleep
        self._http = http

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(timeout=httpx.Timeout(self.timeout_s), follow_redirects=False)
        return self._http

    def notify(self, notice: Notice) -> list[Delivery]:
        try:
            targets = [
                c for c in self.channels.channels(notice.department) if c.enabled and notice.audience in c.audience
            ]
        except Exception:
            logger.exception("notification channels unreadable", extra={"department": notice.department})
            return []
        deadline = time.monotonic() + self.deadline_s
        out = []
        for channel in targets:
            try:
                d = self._deliver(channel, notice, deadline)
            except Exception as exc:  # a broken channel never stops the others, nor the caller
                d = Delivery(channel.channel_id, channel.kind, False, 1, error=type(exc).__name__)
            self._record(notice.department, d)
            out.append(d)
        return out

    def _record(self, department: str, d: Delivery) -> None:
        log = logger.info if d.ok else logger.warning
        log(
            "notification delivered" if d.ok else "notification failed",
            extra={"department": department, "channel": d.channel_id, "attempts": d.attempts, "error": d.error},
        )
        try:
            self.channels.record(
                department, d.channel_id, ok=d.ok, at=iso(self.clock()), status=d.status, error=d.error
            )
        except Exception:
            logger.exception("delivery status not stored", extra={"department": department})

    def _deliver(self, channel: Channel, notice: Notice, deadline: float) -> Delivery:
        if channel.kind == "email":
            return self._email(channel, notice)
        error, status, attempt = "not attempted", None, 0
        msg_id = None
        for attempt in range(1, self.attempts + 1):
            left = deadline - time.monotonic()
            if left <= 0:
                error = error if attempt > 1 else "deadline passed"
                break
            req = render(channel, notice, now=self.clock(), msg_id=msg_id)
            msg_id = req.headers.get("webhook-id")  # a retry keeps the id: receivers deduplicate
            try:
                resp = self.http.post(
                    req.url, content=req.body, headers=req.headers, timeout=min(self.timeout_s, max(left, 0.1))
                )
            except httpx.TimeoutException:
                error, status = f"timed out after {self.timeout_s:g}s", None
            except httpx.TransportError:
                error, status = "connection failed", None
            else:
                status = resp.status_code
                refused = accepted(channel.kind, status, resp.content)
                if refused is None:
                    return Delivery(channel.channel_id, channel.kind, True, attempt, status)
                error = refused
                if status not in RETRYABLE_STATUS:
                    break
            if attempt < self.attempts:
                self.sleep(min(self.backoff_s * 2 ** (attempt - 1), max(deadline - time.monotonic(), 0)))
        return Delivery(channel.channel_id, channel.kind, False, attempt, status, error)

    def _email(self, channel: Channel, notice: Notice) -> Delivery:
        try:
            self._ses().send_email(
                FromEmailAddress=self.sender,
                Destination={"ToAddresses": list(channel.to)},
                Content={
                    "Simple": {
                        "Subject": {"Data": notice.title, "Charset": "UTF-8"},
                        "Body": {"Text": {"Data": notice.text, "Charset": "UTF-8"}},
                    }
                },
            )
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code") or type(exc).__name__
            return Delivery(channel.channel_id, channel.kind, False, 1, error=f"SES {code}")
        return Delivery(channel.channel_id, channel.kind, True, 1)

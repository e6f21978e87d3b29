"""API pull: fetch a vendor's new results since the saved cursor (contract in docs/api-pull.md).

    GET {base_url}/results?since=<cursor>&limit=<n>   (no `since` on the very first pull)
    200 {"items": [<one result in the vendor's registered format>, ...],
         "next_cursor": "<opaque>" | null, "has_more": true | false}

Each item is kept exactly like a webhook body (sealed in the evidence bucket, then queued
for the same consumer, or quarantined), under an event hash made from vendor + vendor
result id + revision, so a result pulled twice is processed once. The cursor advances only
after every item of a page is stored and queued: a failed page is pulled again next run.
Transient failures (timeouts, connection errors, 429, 5xx) are retried with exponential
backoff and full jitter, never sooner than the vendor's `Retry-After`, a bounded number of
times.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.errors import Unprocessable
from shared.observability import logger
from shared.services.intake import WebhookIntake, event_hash
from shared.storage.events import EventRepository
from shared.storage.pulls import LeaseLost, PullRepository
from shared.storage.secrets import SecretStore
from shared.storage.vendors import VendorRepository
from shared.vendors.adapters.base import PayloadInvalid
from shared.vendors.registry import adapter_for

RETRYABLE = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_PAGE_BYTES = 20 * 1024 * 1024
DEADLINE_MARGIN_S = 15.0  # stop starting pages this long before the function's deadline
Status = Literal["ok", "failed", "rate_limited", "busy", "skipped"]


@dataclass(frozen=True)
class PullPolicy:
    timeout_s: float = 10.0
    max_attempts: int = 5
    backoff_base_s: float = 0.5
    backoff_max_s: float = 20.0  # the longest single wait inside a run; a longer Retry-After ends the run
    max_pages: int = 50
    lease_s: int = 300


class PageFailed(Exception):
    def __init__(self, reason: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after_s = retry_after_s


@dataclass
class PullReport:
    vendor: str
    status: Status = "ok"
    pages: int = 0
    items: int = 0
    queued: int = 0
    duplicates: int = 0
    quarantined: int = 0
    cursor: str | None = None
    error: str | None = None
    attempts: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "attempts"}


class _Page(BaseModel):
    model_config = ConfigDict(extra="ignore")
    items: list[dict[str, Any]] = Field(max_length=1000)
    next_cursor: str | None = Field(default=None, max_length=2048)
    has_more: bool | None = None


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """`Retry-After` as seconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def auth_headers(credentials: dict[str, Any]) -> dict[str, str]:
    kind = credentials.get("type")
    if kind == "bearer":
        return {"Authorization": f"Bearer {credentials['token']}"}
    if kind == "api_key":
        return {str(credentials["header"]): str(credentials["value"])}
    raise ValueError("unknown credential type")


class VendorPuller:
    def __init__(
        self,
        *,
        pulls: PullRepository,
        secrets: SecretStore,
        vendors: VendorRepository,
        events: EventRepository,
        intake: WebhookIntake,
        http: httpx.Client,
        policy: PullPolicy | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.pulls, self.secrets, self.vendors, self.events, self.intake = pulls, secrets, vendors, events, intake
        self.http, self.policy = http, policy or PullPolicy()
        self.clock, self.sleep, self.jitter = clock, sleep, jitter

    # -- runs ----------------------------------------------------------------------------
    def run_due(self, *, deadline: float | None = None) -> list[PullReport]:
        """Pull every enabled vendor whose interval has elapsed (the scheduled entry point)."""
        reports = []
        for cfg in self.pulls.due(self.clock()):
            if deadline is not None and self.clock() > deadline - DEADLINE_MARGIN_S:
                break
            reports.append(self.pull(cfg["vendor"], deadline=deadline))
        return reports

    def pull(self, vendor_name: str, *, deadline: float | None = None) -> PullReport:
        report = PullReport(vendor_name)
        cfg = self.pulls.get(vendor_name)
        if not cfg or not cfg.get("enabled"):
            report.status = "skipped"
            return report
        started = self.clock()
        lease = self.pulls.lease(vendor_name, started, self.policy.lease_s)
        if lease is None:
            report.status = "busy"
            return report
        interval_s = int(cfg["interval_minutes"]) * 60
        next_run = started + interval_s
        try:
            self._pages(cfg, lease, report, deadline)
        except PageFailed as exc:
            report.status = "rate_limited" if exc.retry_after_s is not None else "failed"
            report.error = exc.reason
            if exc.retry_after_s is not None:
                next_run = max(next_run, self.clock() + exc.retry_after_s)
        except LeaseLost:
            report.status, report.error = "busy", "the run outlived its lease"
            return report
        except Exception as exc:  # one vendor's failure must not stop the others
            logger.exception("pull failed", extra={"vendor": vendor_name, "error_type": type(exc).__name__})
            report.status, report.error = "failed", "internal error"
        self.pulls.finish(
            vendor_name, lease, status=report.status, error=report.error, next_run_at=int(next_run), now=self.clock()
        )
        logger.info("pull finished", extra=report.summary())
        return report

    def _pages(self, cfg: dict[str, Any], lease: str, report: PullReport, deadline: float | None) -> None:
        name = cfg["vendor"]
        vendor = self.vendors.get(name)
        headers = {"Accept": "application/json", **auth_headers(self.secrets.get(cfg["secret_name"]))}
        url = str(cfg["base_url"]).rstrip("/") + "/results"
        limit = int(cfg.get("page_size") or 100)
        cursor: str | None = cfg.get("cursor")
        report.cursor = cursor
        for _ in range(self.policy.max_pages):
            if deadline is not None and self.clock() > deadline - DEADLINE_MARGIN_S:
                return
            params: dict[str, Any] = {"limit": limit}
            if cursor:
                params["since"] = cursor
            page = self._fetch(url, params, headers, report, deadline)
            queued_before = report.queued
            for item in page.items:
                self._ingest(vendor, item, report)
            next_cursor = page.next_cursor or cursor
            # every item of this page is stored and queued: only now may the cursor move on
            self.pulls.save_cursor(name, lease, next_cursor, report.queued - queued_before)
            report.pages += 1
            report.cursor = next_cursor
            more = page.has_more if page.has_more is not None else len(page.items) >= limit
            if not more:
                return
            if next_cursor == cursor:
                logger.warning("vendor reported more results without moving its cursor", extra={"vendor": name})
                return
            cursor = next_cursor

    # -- one page, with retries ------------------------------------------------------------
    def _fetch(
        self,
        url: str,
        params: dict[str, Any],
        headers: dict[str, str],
        report: PullReport,
        deadline: float | None,
    ) -> _Page:
        p = self.policy
        for attempt in range(1, p.max_attempts + 1):
            retry_after: float | None = None
            try:
                resp = self.http.get(url, params=params, headers=headers, timeout=p.timeout_s)
            except httpx.TimeoutException:
                reason = "timeout"
            except httpx.TransportError as exc:
                reason = f"connection error ({type(exc).__name__})"
            else:
                if resp.status_code == 200:
                    return self._page(resp)
                reason = f"HTTP {resp.status_code}"
                if resp.status_code not in RETRYABLE and resp.status_code < 500:
                    raise PageFailed(f"the vendor answered {reason}")
                retry_after = retry_after_seconds(resp.headers.get("retry-after"), self.clock())
            report.attempts.append(reason)
            if attempt == p.max_attempts:
                raise PageFailed(f"{reason} after {attempt} attempts", retry_after_s=retry_after)
            if retry_after is not None and retry_after > p.backoff_max_s:
                raise PageFailed(f"rate limited for {int(retry_after)} s", retry_after_s=retry_after)
            # full jitter on an exponential ceiling, and never sooner than the vendor asked
            delay = self.jitter() * min(p.backoff_max_s, p.backoff_base_s * 2 ** (attempt - 1))
            if retry_after is not None:
                delay = max(delay, retry_after)
            if deadline is not None and self.clock() + delay > deadline - DEADLINE_MARGIN_S:
                raise PageFailed(f"{reason}; no time left to retry", retry_after_s=retry_after)
            logger.info("pull retry", extra={"reason": reason, "attempt": attempt, "delay_s": round(delay, 3)})
            self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _page(resp: httpx.Response) -> _Page:
        if len(resp.content) > MAX_PAGE_BYTES:
            raise PageFailed("the page is larger than 20 MiB")
        try:
            return _Page.model_validate(json.loads(resp.content))
        except (ValueError, ValidationError):
            raise PageFailed("the page is not a valid results page") from None

    # -- one item ----------------------------------------------------------------------------
    def _ingest(self, vendor: dict[str, Any], item: dict[str, Any], report: PullReport) -> None:
        name = vendor["name"]
        report.items += 1
        body = json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode()
        try:
            r = adapter_for(vendor["format"]).parse(name, body)
            event_id = f"pull:{r.vendor_result_id}:{r.revision}"
        except PayloadInvalid:
            event_id = "pull:sha256:" + hashlib.sha256(body).hexdigest()[:32]
        ev = event_hash(name, event_id)
        now = self.clock()
        claim = self.events.claim(name, ev, now)
        if claim.state == "queued":
            report.duplicates += 1
            return
        if claim.state == "quarantined":
            report.quarantined += 1
            return
        if claim.state == "in_flight":  # stored by a run that died midway: not safe to move past it yet
            raise PageFailed("an item of this page is still being stored")
        try:
            self.intake.store(vendor, event_id, ev, body, now, source="pull")
        except Unprocessable:
            report.quarantined += 1
            return
        except Exception:
            self.events.release(name, ev)
            raise
        report.queued += 1

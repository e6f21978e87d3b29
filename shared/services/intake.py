"""Webhook intake: verify, store the raw body encrypted, queue one message — then 202."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.crypto.encryptor import Encryptor, event_subject
from shared.errors import NotFound, PayloadTooLarge, ServiceUnavailable, Unauthorized, Unprocessable
from shared.observability import logger
from shared.resources import QUARANTINE_PREFIX, RAW_PREFIX
from shared.storage.events import Claim, EventRepository
from shared.storage.evidence import EvidenceStore
from shared.storage.quarantine import QuarantineRepository
from shared.storage.vendors import VendorRepository
from shared.vendors.adapters.base import PayloadInvalid
from shared.vendors.registry import adapter_for
from shared.webhooks.signature import SignatureError, verify


def event_hash(vendor: str, webhook_id: str) -> str:
    return hashlib.sha256(f"{vendor}\0{webhook_id}".encode()).hexdigest()[:32]


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Accepted:
    event_id: str
    duplicate: bool


class QueuePort:
    """Sends one JSON message to an SQS queue."""

    def __init__(self, sqs: Any, queue_url: str) -> None:
        self._sqs = sqs
        self.url = queue_url

    def send(self, message: dict[str, Any]) -> None:
        self._sqs.send_message(QueueUrl=self.url, MessageBody=json.dumps(message, separators=(",", ":")))


class WebhookIntake:
    def __init__(
        self,
        *,
        vendors: VendorRepository,
        events: EventRepository,
        quarantine: QuarantineRepository,
        evidence: EvidenceStore,
        encryptor: Encryptor,
        queue: QueuePort,
        max_bytes: int,
        tolerance_s: int,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        settle_s: float = 3.0,
    ) -> None:
        self.sleep, self.settle_s = sleep, settle_s
        self.vendors, self.events, self.quarantine = vendors, events, quarantine
        self.evidence, self.encryptor, self.queue = evidence, encryptor, queue
        self.max_bytes, self.tolerance_s, self.clock = max_bytes, tolerance_s, clock

    def accept(self, vendor_name: str, headers: Mapping[str, str], body: bytes) -> Accepted:
        if len(body) > self.max_bytes:
            raise PayloadTooLarge(f"the body exceeds {self.max_bytes} bytes")
        try:
            vendor = self.vendors.get(vendor_name)
        except NotFound:
            raise NotFound("unknown vendor") from None
        now = self.clock()
        try:
            webhook_id = verify(
                headers, body, self.vendors.valid_secrets(vendor, now), now=now, tolerance_s=self.tolerance_s
            )
        except SignatureError as exc:
            logger.warning("webhook signature rejected", extra={"vendor": vendor_name, "reason": str(exc)})
            raise Unauthorized("the webhook signature is missing, invalid or stale") from None
        ev = event_hash(vendor_name, webhook_id)
        claim = self.events.claim(vendor_name, ev, now)
        if claim.state == "in_flight":
            claim = self._settle(vendor_name, ev)
        if claim.state == "queued":
            logger.info("duplicate delivery", extra={"vendor": vendor_name, "event": ev, "state": claim.state})
            return Accepted(webhook_id, duplicate=True)
        if claim.state == "quarantined":
            raise Unprocessable("the payload is not valid for this vendor's format", errors=claim.errors)
        try:
            return self.store(vendor, webhook_id, ev, body, now)
        except Unprocessable:
            raise
        except Exception:
            self.events.release(vendor_name, ev)
            raise

    def _settle(self, vendor_name: str, ev: str) -> Claim:
        """A racing duplicate waits for the first delivery: a 202 is only given once the body is
        stored and queued, so the vendor never stops retrying an event that was then lost."""
        waited = 0.0
        while waited < self.settle_s:
            self.sleep(0.1)
            waited += 0.1
            settled = self.events.settled(vendor_name, ev)
            if settled is not None:
                return settled
        logger.warning(
            "duplicate delivery while the first is still storing", extra={"vendor": vendor_name, "event": ev}
        )
        raise ServiceUnavailable(
            "this event is being stored by another delivery; retry shortly", headers={"Retry-After": "5"}
        )

    def store(
        self, vendor: dict[str, Any], webhook_id: str, ev: str, body: bytes, now: float, *, source: str = "webhook"
    ) -> Accepted:
        """Seal and keep a claimed event's body; queue it, or quarantine it (422) when it does not parse.
        Shared by every channel (webhook, API pull) so they all leave the same evidence."""
        name = vendor["name"]
        sealed = self.encryptor.encrypt_blob(event_subject(ev), "raw-body", body)
        try:
            adapter_for(vendor["format"]).parse(name, body)
        except PayloadInvalid as exc:
            qid = uuid.uuid4().hex
            s3_key = f"{QUARANTINE_PREFIX}{name}/{ev}"
            self.evidence.put(s3_key, sealed)
            self.quarantine.add(
                qid,
                event_id=webhook_id,
                event_hash=ev,
                vendor=name,
                received_at=iso(now),
                errors=exc.errors,
                s3_key=s3_key,
                source=source,
            )
            self.events.mark(name, ev, "quarantined", errors=exc.errors[:50], quarantine_id=qid)
            logger.info("payload quarantined", extra={"vendor": name, "event": ev, "errors": len(exc.errors)})
            raise Unprocessable("the payload is not valid for this vendor's format", errors=exc.errors) from None
        s3_key = f"{RAW_PREFIX}{name}/{ev}"
        self.evidence.put(s3_key, sealed)
        self.queue.send(
            {
                "kind": "event",
                "vendor": name,
                "event_id": webhook_id,
                "event_hash": ev,
                "s3_key": s3_key,
                "received_at": iso(now),
                "source": source,
            }
        )
        self.events.mark(name, ev, "queued", s3_key=s3_key)
        logger.info("webhook accepted", extra={"vendor": name, "event": ev, "bytes": len(body), "source": source})
        return Accepted(webhook_id, duplicate=False)

"""Quarantine replay: a quarantined body, parsed again with the vendor's format as it is today.

When a mapping or format fix makes it parse, it is queued for the same consumer as any
event (which applies it idempotently) and leaves the quarantine list; when it still does
not parse, it stays, with today's errors (docs/recovery.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from shared.crypto.encryptor import Encryptor, event_subject
from shared.errors import Conflict, Unprocessable
from shared.observability import logger
from shared.services.intake import QueuePort, iso
from shared.storage.events import EventRepository
from shared.storage.evidence import EvidenceStore
from shared.storage.quarantine import QuarantineRepository
from shared.storage.vendors import VendorRepository
from shared.vendors.adapters.base import PayloadInvalid
from shared.vendors.registry import adapter_for


class QuarantineReplay:
    def __init__(
        self,
        *,
        quarantine: QuarantineRepository,
        vendors: VendorRepository,
        events: EventRepository,
        evidence: EvidenceStore,
        encryptor: Encryptor,
        queue: QueuePort,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.quarantine, self.vendors, self.events = quarantine, vendors, events
        self.evidence, self.encryptor, self.queue, self.clock = evidence, encryptor, queue, clock

    def replay(self, item_id: str) -> dict[str, Any]:
        q = self.quarantine.get(item_id)
        if not q.get("s3_key") or not q.get("event_hash"):
            raise Conflict("this quarantined item has no stored body to replay")
        vendor = self.vendors.get(q["vendor"])
        ev = q["event_hash"]
        body = self.encryptor.decrypt_blob(event_subject(ev), "raw-body", self.evidence.get(q["s3_key"]))
        now = iso(self.clock())
        try:
            adapter_for(vendor["format"]).parse(vendor["name"], body)
        except PayloadInvalid as exc:
            self.quarantine.record_failed_replay(item_id, exc.errors, now)
            logger.info(
                "replay still invalid", extra={"vendor": vendor["name"], "event": ev, "errors": len(exc.errors)}
            )
            raise Unprocessable(
                "the payload still does not parse with the vendor's current format", errors=exc.errors
            ) from None
        # queue first, then record: a crash in between leaves the item listed, and a second
        # replay is harmless (the consumer is idempotent on the event hash)
        self.queue.send(
            {
                "kind": "event",
                "vendor": vendor["name"],
                "event_id": q["event_id"],
                "event_hash": ev,
                "s3_key": q["s3_key"],
                "received_at": q["received_at"],
                "source": q.get("source") or "webhook",
                "replayed_from": item_id,
            }
        )
        self.events.mark(vendor["name"], ev, "queued", s3_key=q["s3_key"], replayed_at=now)
        self.quarantine.remove(item_id)
        logger.info("quarantined payload replayed", extra={"vendor": vendor["name"], "event": ev})
        return {"id": item_id, "event_id": q["event_id"], "vendor": vendor["name"], "status": "queued"}

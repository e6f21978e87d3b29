"""Batch import (CONTRACT §4.5): presigned upload, then rows processed in chunks, resumable.

1. `create` makes the status item (pending) and a presigned PUT URL for
   `imports/<id>/source.<csv|xlsx>` in the evidence bucket.
2. The object's arrival is an S3 event on the import queue. `handle` claims the import
   (pending → processing), reads the whole file once as a stream (encoding, header, row count),
   then processes rows.
3. A chunk ends after `chunk_rows` rows or when the function is `reserve_ms` from its time
   limit. It commits counters, errors and the cursor in one conditional write, then queues a
   continuation message for the next chunk: no invocation ever needs the whole file or time.
4. Each good row goes through the same `ResultProcessor.apply` as a webhook, with
   source="import": idempotent on vendor + result id + revision, so a file uploaded again
   changes nothing. When the last chunk is committed the uploaded file is deleted (every
   version), so no personal data stays in it.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
import uuid
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote_plus

from shared.errors import NotFound, Unprocessable
from shared.imports.reader import CsvSource, FileUnreadable, Record, Scan, XlsxSource
from shared.imports.rows import Layout, RowError, layout_from_header, to_result
from shared.models.results import CanonicalResult
from shared.observability import logger
from shared.services.intake import QueuePort, iso
from shared.storage.imports import (
    FAILED,
    PENDING,
    PROCESSING,
    RETRIES_EXHAUSTED,
    ImportFileStore,
    ImportRepository,
    import_id_from_key,
    source_key,
)
from shared.storage.vendors import VendorRepository
from shared.taxonomy import Taxonomy, default_taxonomy
from shared.vendors.fields import parse_offset

CONTINUE = "import"  # the kind of the importer's own continuation messages


class ResultSink(Protocol):
    """Where a good row goes: `ResultProcessor.apply`, or a fake in tests and benchmarks."""

    def apply(self, r: CanonicalResult, *, event_ref: str, received_at: str, source: str = ...) -> str: ...


@dataclass
class _Tally:
    """One chunk's counts and the row errors it may still keep (`room`)."""

    room: int
    rows: int = 0
    imported: int = 0
    rejected: int = 0
    unchanged: int = 0
    dropped: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def add(self, row_errors: list[RowError] | None) -> None:
        if row_errors:
            self.rejected += 1
            kept = [e.to_dict() for e in row_errors[: self.room]]
            self.errors += kept
            self.room -= len(kept)
            self.dropped += len(row_errors) - len(kept)
        else:
            self.imported += 1
            self.unchanged += row_errors is None


def _done(value: list[RowError]) -> Future[list[RowError] | None]:
    future: Future[list[RowError] | None] = Future()
    future.set_result(value)
    return future


def row_ref(import_id: str, row: int) -> str:
    return hashlib.sha256(f"import\0{import_id}\0{row}".encode()).hexdigest()[:32]


def public_status(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "import_id": item["import_id"],
        "vendor": item["vendor"],
        "format": item["format"],
        "status": item["status"],
        "rows_total": item.get("rows_total", 0),
        "rows_imported": item.get("rows_imported", 0),
        "rows_rejected": item.get("rows_rejected", 0),
        "rows_unchanged": item.get("rows_unchanged", 0),
        "errors": item.get("errors", []),
        "errors_truncated": item.get("errors_dropped", 0) > 0,
        "created_at": item.get("created_at"),
        "updated_at": item.get("updated_at"),
        "finished_at": item.get("finished_at"),
    }


class ImportService:
    def __init__(
        self,
        *,
        imports: ImportRepository,
        files: ImportFileStore,
        vendors: VendorRepository,
        queue: QueuePort,
        sink_factory: Callable[[], ResultSink],
        workers: int = 8,
        taxonomy: Taxonomy | None = None,
        max_bytes: int = 100 * 1024 * 1024,
        max_rows: int = 500_000,
        chunk_rows: int = 5000,
        reserve_ms: int = 10_000,
        max_errors: int = 1000,
        upload_ttl_s: int = 900,
        status_ttl_s: int = 30 * 24 * 3600,
        max_receive_count: int = 5,
        workdir: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.imports, self.files, self.vendors, self.queue = imports, files, vendors, queue
        # called on the worker thread that stores a row: each worker has its own clients
        self.sink_factory = sink_factory
        self.workers = max(1, workers)
        self._executor: ThreadPoolExecutor | None = None
        self.taxonomy = taxonomy or default_taxonomy()
        self.max_bytes, self.max_rows, self.chunk_rows, self.reserve_ms = max_bytes, max_rows, chunk_rows, reserve_ms
        self.max_errors, self.upload_ttl_s, self.status_ttl_s = max_errors, upload_ttl_s, status_ttl_s
        self.max_receive_count = max_receive_count
        self.workdir = workdir or Path(tempfile.gettempdir()) / "hirelens-imports"
        self.clock = clock

    # -- API ---------------------------------------------------------------------------------
    def create(self, *, vendor: str, fmt: str, created_by: str, utc_offset: str = "+00:00") -> dict[str, Any]:
        try:
            self.vendors.get(vendor)
        except NotFound:
            raise Unprocessable(
                "the vendor is not registered", errors=[{"loc": ["body", "vendor"], "msg": "no vendor with this name"}]
            ) from None
        import_id = uuid.uuid4().hex
        now = self.clock()
        key = source_key(import_id, fmt)
        self.imports.create(
            {
                "import_id": import_id,
                "vendor": vendor,
                "format": fmt,
                "utc_offset": utc_offset,
                "s3_key": key,
                "status": PENDING,
                "created_by": created_by,
                "created_at": iso(now),
                "updated_at": iso(now),
                "rows_total": 0,
                "rows_imported": 0,
                "rows_rejected": 0,
                "rows_unchanged": 0,
                "errors": [],
                "errors_dropped": 0,
                "chunk": -1,
                "continued": -1,
                "expires_at": int(now + self.status_ttl_s),
            }
        )
        url, headers = self.files.presign_put(key, self.upload_ttl_s)
        logger.info("import created", extra={"import_id": import_id, "vendor": vendor, "format": fmt})
        return {
            "import_id": import_id,
            "upload_url": url,
            "upload_headers": headers,
            "upload_expires_at": iso(now + self.upload_ttl_s),
        }

    def status(self, import_id: str) -> dict[str, Any]:
        return public_status(self.imports.get(import_id))

    # -- queue messages -----------------------------------------------------------------------
    def handle(self, message: dict[str, Any], remaining_ms: Callable[[], int], receive_count: int = 1) -> None:
        """One import-queue message: S3's notice of an upload, or a continuation."""
        if message.get("kind") == CONTINUE:
            self._guarded(message["import_id"], receive_count, lambda: self.run_chunk(message, remaining_ms))
            return
        if message.get("Event") == "s3:TestEvent":
            return  # S3 sends one when the notification is configured
        for record in message.get("Records", []):
            if not str(record.get("eventName", "")).startswith("ObjectCreated"):
                continue
            key = unquote_plus(record["s3"]["object"]["key"])
            import_id = import_id_from_key(key)
            if import_id is None:
                logger.warning("object under the imports prefix ignored", extra={"s3_key": key[:200]})
                continue
            self._guarded(import_id, receive_count, partial(self.on_upload, import_id, remaining_ms))

    def _guarded(self, import_id: str, receive_count: int, work: Callable[[], None]) -> None:
        """On the last delivery SQS will make, a failure marks the import failed before the DLQ."""
        try:
            work()
        except Exception:
            if receive_count >= self.max_receive_count:
                logger.exception("import failed repeatedly", extra={"import_id": import_id})
                error = RowError(0, "file", "processing failed repeatedly; an operator can redrive it")
                self.imports.fail(import_id, errors=[error.to_dict()], reason=RETRIES_EXHAUSTED, now=self._now())
            raise

    def on_upload(self, import_id: str, remaining_ms: Callable[[], int]) -> None:
        try:
            item = self.imports.get(import_id)
        except NotFound:
            logger.warning("upload for an unknown import", extra={"import_id": import_id})
            return
        item = self._resumed(item)
        if item["status"] != PENDING:
            logger.info("upload event for a started import ignored", extra={"import_id": import_id})
            return
        size = self.files.size(item["s3_key"])
        if size > self.max_bytes:
            self._fail(item, [RowError(0, "file", f"the file is larger than {self.max_bytes} bytes")], "too_large")
            return
        try:
            scan = self._source(item, size).scan(self.max_rows)
            layout, header_errors = layout_from_header(scan.header, self.taxonomy)
        except FileUnreadable as exc:
            self._fail(item, [RowError(0, "file", str(exc))], "unreadable")
            return
        if layout is None:
            self._fail(item, header_errors, "header")
            return
        if not self.imports.start(import_id, scan=asdict(scan), size=size, now=self._now()):
            return  # another delivery of the same event claimed it
        logger.info("import started", extra={"import_id": import_id, "rows_total": scan.rows_total, "bytes": size})
        self.run_chunk({"import_id": import_id, "chunk": 0}, remaining_ms)

    def _resumed(self, item: dict[str, Any]) -> dict[str, Any]:
        """An import that failed only because its retries ran out carries on when its message is redriven."""
        failed_on_retries = item["status"] == FAILED and item.get("failure") == RETRIES_EXHAUSTED
        if failed_on_retries and self.imports.resume(item["import_id"], self._now()):
            return self.imports.get(item["import_id"])
        return item

    def run_chunk(self, message: dict[str, Any], remaining_ms: Callable[[], int]) -> None:
        import_id, chunk = message["import_id"], int(message["chunk"])
        item = self._resumed(self.imports.get(import_id))
        if item["status"] != PROCESSING:
            return
        current = int(item["chunk"])
        if current != chunk:
            if current == chunk + 1 and int(item.get("continued", -1)) < current:
                self._continue(import_id, current)  # committed, but the continuation never left
            return
        scan = Scan(**item["scan"])
        layout, _ = layout_from_header(scan.header, self.taxonomy)
        assert layout is not None  # checked when the import started
        tally = _Tally(room=max(0, self.max_errors - len(item.get("errors", []))))
        cursor, done = dict(item["cursor"]), True
        received_at = item.get("created_at") or self._now()
        tz = parse_offset(item.get("utc_offset", "+00:00"))
        # Rows are checked here, in order, and stored by a few workers at once (each row is a
        # dozen DynamoDB round trips); at most 2 x workers rows are in flight, so memory stays flat.
        in_flight: deque[Future[list[RowError] | None]] = deque()
        try:
            for record in self._records(item, scan):
                if not record.blank:
                    if tally.rows >= self.chunk_rows or remaining_ms() < self.reserve_ms:
                        done = False
                        break
                    checked = self._check_row(record, layout, item, tz)
                    if isinstance(checked, list):
                        in_flight.append(_done(checked))
                    else:
                        ref = row_ref(import_id, record.row)
                        in_flight.append(self._pool().submit(self._store, record.row, checked, ref, received_at))
                    tally.rows += 1
                    while len(in_flight) > 2 * self.workers:
                        tally.add(in_flight.popleft().result())
                cursor = record.cursor
        finally:
            while in_flight:  # every row read is settled before anything is committed
                tally.add(in_flight.popleft().result())
        imported, rejected, unchanged, rows = tally.imported, tally.rejected, tally.unchanged, tally.rows
        errors, dropped = tally.errors, tally.dropped
        committed = self.imports.commit(
            import_id,
            chunk=chunk,
            cursor=cursor,
            imported=imported,
            rejected=rejected,
            unchanged=unchanged,
            errors=errors,
            dropped_errors=dropped,
            done=done,
            now=self._now(),
        )
        if not committed:
            logger.info("chunk already committed by another delivery", extra={"import_id": import_id, "chunk": chunk})
            return
        logger.info(
            "import chunk committed",
            extra={"import_id": import_id, "chunk": chunk, "rows": rows, "rejected": rejected, "done": done},
        )
        if done:
            self._finish(item)
        else:
            self._continue(import_id, chunk + 1)

    # -- rows ---------------------------------------------------------------------------------
    def _check_row(
        self, record: Record, layout: Layout, item: dict[str, Any], tz: Any
    ) -> CanonicalResult | list[RowError]:
        if record.cells is None:
            return [RowError(record.row, "row", record.error or "the row cannot be read")]
        return to_result(
            record.row,
            record.cells,
            layout,
            vendor=item["vendor"],
            taxonomy=self.taxonomy,
            tz=tz,
            extra={"import_id": item["import_id"]},
        )

    def _store(self, row: int, result: CanonicalResult, ref: str, received_at: str) -> list[RowError] | None:
        """[] when applied, None when already stored at this revision or newer, else why not."""
        try:
            outcome = self.sink_factory().apply(result, event_ref=ref, received_at=received_at, source="import")
        except ValueError as exc:  # the data, not the infrastructure: this row only
            return [RowError(row, "row", str(exc) or "the row could not be applied")]
        if outcome == "applied":
            return []
        if outcome == "stale":
            return None
        if outcome == "dropped":
            return [RowError(row, "row", "not imported: the candidate was erased after the upload")]
        return [RowError(row, "row", f"not imported ({outcome})")]

    def _pool(self) -> ThreadPoolExecutor:
        """Kept for the life of the container, so each worker keeps its clients and caches."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="import-row")
            weakref.finalize(self, self._executor.shutdown, wait=False)
        return self._executor

    # -- files --------------------------------------------------------------------------------
    def _source(self, item: dict[str, Any], size: int) -> CsvSource | XlsxSource:
        key = item["s3_key"]
        if item["format"] == "csv":
            return CsvSource(lambda offset: self.files.read_from(key, offset, size))
        path = self.workdir / f"{item['import_id']}.xlsx"
        if not path.exists() or path.stat().st_size != size:
            self.workdir.mkdir(parents=True, exist_ok=True)
            self.files.download(key, path)
        return XlsxSource(path)

    def _records(self, item: dict[str, Any], scan: Scan) -> Iterator[Record]:
        source = self._source(item, int(item["size_bytes"]))
        if isinstance(source, CsvSource):
            return source.records(item["cursor"], scan.encoding, scan.delimiter)
        return source.records(item["cursor"])

    def _continue(self, import_id: str, chunk: int) -> None:
        self.queue.send({"kind": CONTINUE, "import_id": import_id, "chunk": chunk})
        self.imports.mark_continued(import_id, chunk)

    def _finish(self, item: dict[str, Any]) -> None:
        self._discard(item)
        logger.info("import done", extra={"import_id": item["import_id"]})

    def _fail(self, item: dict[str, Any], errors: list[RowError], reason: str) -> None:
        self.imports.fail(item["import_id"], errors=[e.to_dict() for e in errors], reason=reason, now=self._now())
        self._discard(item)
        logger.info("import failed", extra={"import_id": item["import_id"], "reason": reason})

    def _discard(self, item: dict[str, Any]) -> None:
        """The uploaded file holds personal data in clear: it goes as soon as it has been read."""
        self.files.purge(item["import_id"])
        (self.workdir / f"{item['import_id']}.xlsx").unlink(missing_ok=True)

    def _now(self) -> str:
        return iso(self.clock())

"""Batch import benchmark: a generated CSV imported on the local stack, and the importer's memory.

1. Throughput. `--rows` rows (default 200; the contract's file has 50,000) are uploaded
   through `POST /v1/imports` and the presigned PUT to a locally started embedded stack, and
   timed until `GET /v1/imports/{id}` says done. Beside it, the bare minimum: the same rows
   written with DynamoDB BatchWriteItem (25 per call, one item per row) through the same moto
   server, and the ratio. Rows per second are also shown per block of 1,000 rows (for runs
   that long), so a rate that falls as the tables grow is visible, and the time for 50,000
   rows is extrapolated from the measured rate (linearly: the per-row work does not depend on
   the table size once moto's transaction copies are per item, see below). The local stack
   stores rows with one worker (`--workers`; the CDK stack runs 8 per invocation).
2. Memory. The importer's Lambda handler is driven chunk by chunk (as the import queue would)
   on a 10,000- and a 50,000-row file, with rows going to a counting sink so that only the
   importer's own work is measured; tracemalloc's peak per invocation is reported. It stays
   flat as the file grows: the CSV is streamed from S3 by byte range and never held whole.

moto runs in a child process in both parts, so tracemalloc and the interpreter lock see only
hirelens' side. In that child, moto's TransactWriteItems is made to snapshot the items a
transaction touches instead of deep-copying every table it touches (O(table size) per
transaction, which makes any long run quadratic): a cost of the emulator, not of hirelens.
`--stock-moto` leaves moto as it is.

    .venv/bin/python benchmarks/import.py [--rows 200] [--workers 1] [--memory-rows 10000,50000] [--stock-moto]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import tempfile
import threading
import time
import tracemalloc
import uuid
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("HIRELENS_HOME", tempfile.mkdtemp(prefix="hirelens-bench-"))
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
os.environ.setdefault("HIRELENS_LOG_LEVEL", "ERROR")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")

import botocore.handlers

# AWS requests the importer issues (its own thread and its row workers), counted per operation
_requests: dict[str, int] = {}
_requests_lock = threading.Lock()


def _count_send(event_name: str, **_: Any) -> None:
    if threading.current_thread().name.startswith(("fn-importer", "import-row")):
        op = event_name.rpartition(".")[2]
        with _requests_lock:
            _requests[op] = _requests.get(op, 0) + 1


# every botocore session created from here on (the functions' clients are built lazily) reports sends
botocore.handlers.BUILTIN_HANDLERS.append(("before-send", _count_send))

import boto3  # noqa: E402
import httpx  # noqa: E402

from embedded.aws import aws_env, create_resources  # noqa: E402
from embedded.moto_scale import ChildMoto  # noqa: E402
from shared.imports.rows import FIXED  # noqa: E402

HEADER = [*FIXED, "communication", "teamwork", "stress_tolerance", "logical_thinking"]
VENDOR = "bench-import"


def rows_csv(n: int, *, prefix: str = "R") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(HEADER)
    for i in range(n):
        w.writerow(
            [
                f"{prefix}-{i}",
                1,
                f"C-{prefix}-{i}",
                f"候选人{i}",
                f"c{i}@example.com",
                f"JOB-{i % 20}",
                "风控分析师",
                "risk",
                "2026-11-20 16:20:00",
                round(1 + (i % 40) / 10, 1),
                1,
                5,
                round(1 + (i % 40) / 10, 1),
                round(1 + (i % 30) / 10, 1),
                round(1 + (i % 20) / 10, 1),
                "" if i % 4 else 3,
            ]
        )
    return buf.getvalue().encode("utf-8")


# -- moto in a child process ---------------------------------------------------------------------


# -- 1. throughput on the local stack ---------------------------------------------------------------


def import_on_stack(stack: Any, data: bytes, rows: int) -> dict[str, Any]:
    from embedded.tokens import mint

    admin = {"Authorization": f"Bearer {mint('hr_admin', ttl=7200)}"}
    with httpx.Client(base_url=stack.url, timeout=60) as http:
        http.post("/v1/vendors", json={"name": VENDOR, "format": "generic"}, headers=admin).raise_for_status()
        r = http.post("/v1/imports", json={"vendor": VENDOR, "format": "csv", "filename": "bench.csv"}, headers=admin)
        r.raise_for_status()
        created = r.json()
        started = time.perf_counter()
        httpx.put(created["upload_url"], content=data, headers=created["upload_headers"], timeout=60).raise_for_status()
        samples: list[tuple[float, int]] = []
        while True:
            s = http.get(f"/v1/imports/{created['import_id']}", headers=admin).json()
            t = time.perf_counter() - started
            samples.append((t, s["rows_imported"] + s["rows_rejected"]))
            if s["status"] in ("done", "failed"):
                break
            if os.environ.get("BENCH_PROGRESS") and len(samples) % 20 == 0:
                print(f"  {t:6.1f}s {samples[-1][1]}/{rows}", file=sys.stderr)
            time.sleep(0.25)
    if s["status"] != "done" or s["rows_imported"] != rows:
        raise SystemExit(f"the import did not finish cleanly: {s['status']} {s['rows_imported']}/{rows}")
    return {"elapsed": samples[-1][0], "samples": samples}


def block_rates(samples: list[tuple[float, int]], block: int = 1000) -> list[tuple[int, float]]:
    """(rows so far, rows/s over the last block) as chunks were committed."""
    out, last_t, last_n = [], 0.0, 0
    for t, n in samples:
        if n - last_n >= block:
            out.append((n, (n - last_n) / (t - last_t)))
            last_t, last_n = t, n
    return out


def batch_write_baseline(session: boto3.session.Session, rows: int) -> float:
    """The same rows, one item each, written with BatchWriteItem (25 per call) — nothing else."""
    from shared.resources import MAIN_TABLE

    ddb = session.client("dynamodb")
    name = f"bench-import-baseline-{uuid.uuid4().hex[:8]}"
    ddb.create_table(**MAIN_TABLE.create_table_kwargs(name))
    table = session.resource("dynamodb").Table(name)
    reader = csv.DictReader(io.StringIO(rows_csv(rows, prefix="B").decode("utf-8")))
    items = [{"pk": f"RES#{VENDOR}#{r['result_id']}", "sk": "RES", **{k: v for k, v in r.items() if v}} for r in reader]
    started = time.perf_counter()
    with table.batch_writer() as batch:
        for item in items:
            batch.put_item(Item=item)
    return rows / (time.perf_counter() - started)


def throughput(rows: int, stock: bool, workers: int) -> None:
    from embedded.stack import EmbeddedStack
    from shared import wiring

    data = rows_csv(rows)
    stack = EmbeddedStack(port=0, moto=ChildMoto(stock=stock)).start()
    os.environ["HIRELENS_IMPORT_WORKERS"] = str(workers)  # the stack's default is 1 (see settings.py)
    wiring.reset()
    try:
        run = import_on_stack(stack, data, rows)
        base_per_s = batch_write_baseline(stack.session(), rows)
    finally:
        stack.stop()
    per_s = rows / run["elapsed"]
    print(f"import throughput: {rows:,} rows ({len(data) / 1e6:.1f} MB CSV) on the local stack, {workers} worker(s)")
    print(f"{'figure':40} {'hirelens':>12} {'baseline':>12} {'ratio':>8}")
    print(f"{'rows per second':40} {per_s:12.1f} {base_per_s:12.1f} {base_per_s / per_s:7.1f}x")
    print(f"{'seconds per 1,000 rows':40} {1000 / per_s:12.2f} {1000 / base_per_s:12.3f}")
    print(f"{'50,000 rows (s)':40} {50_000 / per_s:12.0f} {50_000 / base_per_s:12.1f}", end="")
    print("   (extrapolated)" if rows < 50_000 else "   (measured)")
    rates = block_rates(run["samples"])
    if rates:
        shown = ", ".join(f"{n:,}: {r:.0f}/s" for n, r in rates)
        print(f"  rows/s per committed block (rows so far: rate): {shown}")
    per_row = sum(_requests.values()) / rows
    detail = ", ".join(f"{op} {n / rows:.1f}" for op, n in sorted(_requests.items(), key=lambda x: -x[1])[:7])
    print(f"{'AWS requests per row (importer)':40} {per_row:12.1f} {1 / 25:12.2f}   ({detail})")
    print("  baseline: BatchWriteItem of one item per row, 25 per call, through the same moto server")
    print("  hirelens per row: identity by blind index, personal fields encrypted, job, result + application")
    print("  in one transaction, audit entry, score message; the score function runs concurrently")


# -- 2. memory of the importer ----------------------------------------------------------------------


class CountingSink:
    def __init__(self) -> None:
        self.rows = 0
        self._lock = threading.Lock()

    def apply(self, r: Any, *, event_ref: str, received_at: str, source: str = "import") -> str:
        with self._lock:
            self.rows += 1
        return "applied"


@dataclass
class Ctx:
    function_name: str = "importer"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:eu-central-1:123456789012:function:importer"
    aws_request_id: str = "bench"
    deadline: float = 0.0

    def get_remaining_time_in_millis(self) -> int:
        return int((self.deadline - time.monotonic()) * 1000)


def memory(sizes: list[int], stock: bool) -> None:
    from functions.ingest.importer import lambda_handler
    from shared import wiring

    moto = ChildMoto(stock=stock)
    endpoint = moto.start()
    try:
        os.environ.update(aws_env(endpoint, moto.port))
        settings = create_resources(boto3.session.Session(region_name=os.environ["AWS_REGION"]))
        os.environ.update(settings.to_env())
        wiring.reset()
        svc = wiring.services()
        svc.vendors.create(VENDOR, "generic", "whsec_" + "A" * 44, time.time())
        print(
            "importer memory (tracemalloc peak per invocation, rows to a counting sink; chunks of "
            f"{svc.settings.import_chunk_rows:,} rows, 120 s Lambda timeout)"
        )
        print(f"{'rows':>8} {'file MB':>8} {'invocations':>12} {'first (MiB)':>12} {'max (MiB)':>10} {'seconds':>8}")
        for n in sizes:
            sink = CountingSink()
            svc.importer.sink_factory = lambda sink=sink: sink  # type: ignore[misc]
            data = rows_csv(n)
            created = svc.importer.create(vendor=VENDOR, fmt="csv", created_by="bench")
            url, headers = created["upload_url"], created["upload_headers"]
            httpx.put(url, content=data, headers=headers, timeout=60).raise_for_status()
            peaks: list[int] = []
            tracemalloc.start()
            started = time.perf_counter()
            while True:
                out = svc.sqs.receive_message(QueueUrl=settings.import_queue_url, AttributeNames=["All"])
                messages = out.get("Messages", [])
                if not messages:
                    break
                m = messages[0]
                record = {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m["Attributes"],
                    "messageAttributes": {},
                    "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:eu-central-1:123456789012:hirelens-import",
                    "awsRegion": "eu-central-1",
                }
                tracemalloc.reset_peak()
                base = tracemalloc.get_traced_memory()[0]
                lambda_handler({"Records": [record]}, Ctx(deadline=time.monotonic() + 120))
                peaks.append(tracemalloc.get_traced_memory()[1] - base)
                svc.sqs.delete_message(QueueUrl=settings.import_queue_url, ReceiptHandle=m["ReceiptHandle"])
            elapsed = time.perf_counter() - started
            tracemalloc.stop()
            status = svc.importer.status(created["import_id"])
            if status["status"] != "done" or sink.rows != n:
                raise SystemExit(f"memory run did not import every row: {status['status']} {sink.rows}/{n}")
            mib = 1024 * 1024
            print(
                f"{n:8,} {len(data) / 1e6:8.1f} {len(peaks):12} {peaks[0] / mib:12.2f} {max(peaks) / mib:10.2f}"
                f" {elapsed:8.1f}"
            )
        print("  a file five times larger does not raise the peak: rows stream from S3 by byte range")
        print("  (256 KiB reads), at most 2 x workers rows are in flight, row errors are capped at 1,000")
    finally:
        moto.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=200, help="rows in the throughput file (default 200; 0 skips)")
    parser.add_argument("--memory-rows", default="10000,50000", help="file sizes for the memory part ('' skips it)")
    parser.add_argument("--workers", type=int, default=1, help="rows stored at once (the local stack's default 1)")
    parser.add_argument("--stock-moto", action="store_true", help="leave moto's whole-table transaction copies")
    args = parser.parse_args(argv)
    if args.rows:
        throughput(args.rows, args.stock_moto, args.workers)
    sizes = [int(s) for s in args.memory_rows.split(",") if s.strip()]
    if sizes:
        memory(sizes, args.stock_moto)


if __name__ == "__main__":
    sys.exit(main())

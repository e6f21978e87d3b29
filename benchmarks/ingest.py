"""Ingest benchmark: N signed webhooks through a locally started embedded stack.

Figures, each beside the bare-minimum baseline (one S3 put + one SQS send + one DynamoDB
write per result, issued through the same moto server) and as a ratio to it:

- accepted per second and p50/p95 accept latency (HTTP round trip of the webhook),
- end-to-end time from the first delivery until every profile is readable (and scored),
- AWS requests issued per result, counted from botocore `before-send` events, by function.

The webhook function is one warm container (as the embedded stack runs every function), so
deliveries are posted one at a time by default; `--concurrency` queues more at the door.
moto runs in a process of its own (same server, same config as `hirelens serve`), so the
emulator and hirelens' functions do not share one interpreter lock; the requests counted are
those hirelens' code issues (Step Functions' own calls inside moto are not).

    .venv/bin/python benchmarks/ingest.py [--n 300] [--concurrency 1]

The issue's figure is `--n 1000`; it takes several minutes here (moto spends ~7 ms of CPU
per request, ~40 requests per result), so `make bench` runs 300 by default to stay near
two minutes. Per-result figures barely move with N; end-to-end time grows linearly.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

os.environ.setdefault("HIRELENS_HOME", tempfile.mkdtemp(prefix="hirelens-bench-"))
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
os.environ.setdefault("HIRELENS_LOG_LEVEL", "ERROR")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")

import botocore.handlers

# -- counting AWS requests: every botocore session created from here on reports each send ----------

_counts: Counter = Counter()
_lock = threading.Lock()


def _count_send(event_name: str, **_: Any) -> None:
    _, _, op = event_name.partition("before-send.")
    thread = threading.current_thread().name
    if thread.startswith("fn-"):
        who = thread.split("_")[0]
    elif thread.startswith("poll-"):
        who = "poller"
    elif thread.startswith(("baseline", "MainThread")):
        who = thread.split("_")[0]
    else:  # threads of moto itself (e.g. a Step Functions execution calling SQS)
        who = "other"
    with _lock:
        _counts[(who, op)] += 1


# appended to the handlers every new botocore session registers, so clients that hirelens builds
# lazily on each function's thread (shared/wiring.py) are counted too
botocore.handlers.BUILTIN_HANDLERS.append(("before-send", _count_send))

import boto3  # noqa: E402
import httpx  # noqa: E402

from embedded.moto_scale import ChildMoto  # noqa: E402
from embedded.stack import EmbeddedStack  # noqa: E402
from embedded.tokens import mint  # noqa: E402
from shared.storage import keys  # noqa: E402
from shared.storage.candidates import result_id_for  # noqa: E402
from shared.webhooks.signature import signed_headers  # noqa: E402

JOB = "BENCH-JOB"
QUEUE_FILL = 50


def payload(i: int) -> bytes:
    doc = {
        "type": "interview.result.completed",
        "occurred_at": "2026-11-20T08:30:00Z",
        "data": {
            "result_id": f"R-{i}",
            "revision": 1,
            "candidate": {
                "external_id": f"C-{i}",
                "name": f"候选人{i}",
                "email": f"c{i}@example.com",
                "phone": f"+86139{i:08d}",
            },
            "job": {"external_id": JOB, "title": "风控分析师", "department": "risk"},
            "completed_at": "2026-11-20T08:20:00Z",
            "overall": {"score": 3 + (i % 20) / 10, "scale_min": 1, "scale_max": 5},
            "dimensions": [
                {"code": "communication", "label": "沟通能力", "score": 60 + i % 40, "scale_min": 0, "scale_max": 100},
                {"label": "抗压能力", "score": 50 + i % 50, "scale_min": 0, "scale_max": 100, "comment": "稳定"},
                {"label": "逻辑思维", "score": 1 + i % 5, "scale_min": 1, "scale_max": 5},
            ],
            "answers": [
                {"question_id": "q1", "question": "请介绍一次团队合作的经历", "transcript": "我们一起完成了项目" * 20},
                {"question_id": "q2", "question": "你如何面对压力", "transcript": "先拆解问题再逐个解决" * 20},
            ],
        },
    }
    return json.dumps(doc, ensure_ascii=False).encode()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def ratio(ours: float, base: float) -> str:
    return f"{ours / base:6.2f}x" if base else "   n/a"


# -- the baseline ------------------------------------------------------------------------------------------


def baseline(n: int, kms_key_id: str, concurrency: int) -> dict[str, float]:
    """One S3 put + one SQS send + one DynamoDB put per result, nothing else."""
    session = boto3.session.Session(region_name=os.environ["AWS_REGION"])
    s3, sqs, ddb = session.client("s3"), session.client("sqs"), session.client("dynamodb")
    name = f"bench-baseline-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": os.environ["AWS_REGION"]})
    # hirelens' consumer keeps its queue short; moto slows down as a queue fills, so the
    # baseline spreads its messages over queues of at most QUEUE_FILL
    queues = [sqs.create_queue(QueueName=f"{name}-{q}")["QueueUrl"] for q in range(n // QUEUE_FILL + 1)]
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    bodies = [payload(i) for i in range(n)]
    latencies: list[float] = []

    def one(i: int) -> None:
        t = time.perf_counter()
        key = f"raw/{uuid.uuid4().hex}"
        s3.put_object(
            Bucket=name,
            Key=key,
            Body=bodies[i],
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=kms_key_id,
            BucketKeyEnabled=True,
        )
        sqs.send_message(QueueUrl=queues[i // QUEUE_FILL], MessageBody=json.dumps({"s3_key": key}))
        ddb.put_item(TableName=name, Item={"pk": {"S": f"R-{i}"}, "s3_key": {"S": key}, "score": {"N": str(i)}})
        latencies.append(time.perf_counter() - t)

    with _lock:
        before = sum(c for (who, _), c in _counts.items() if who == "baseline")
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency, thread_name_prefix="baseline") as pool:
        list(pool.map(one, range(n)))
    total = time.perf_counter() - started
    with _lock:
        requests = sum(c for (who, _), c in _counts.items() if who == "baseline") - before
    for queue in queues:
        sqs.delete_queue(QueueUrl=queue)
    return {
        "per_s": n / total,
        "p50": pct(latencies, 50),
        "p95": pct(latencies, 95),
        "e2e": total,
        "requests": requests / n,
    }


# -- hirelens -------------------------------------------------------------------------------------------


class Progress:
    """Follows the results in delivery order with one GetItem each (a Query would cost moto a scan)."""

    def __init__(self, table: Any, n: int) -> None:
        self.table, self.n = table, n
        self.rids = [result_id_for("bench", f"R-{i}") for i in range(n)]
        self.cids: list[str] = []
        self.scored = 0

    def readable(self) -> int:
        while len(self.cids) < self.n:
            ptr = self.table.get_item(Key=keys.result_pointer(self.rids[len(self.cids)]), ConsistentRead=True)
            if "Item" not in ptr:
                break
            self.cids.append(ptr["Item"]["candidate_id"])
        return len(self.cids)

    def scored_count(self) -> int:
        while self.scored < len(self.cids):
            app = self.table.get_item(Key=keys.application(self.cids[self.scored], JOB), ConsistentRead=True)
            if "scores" not in app.get("Item", {}):
                break
            self.scored += 1
        return self.scored


def readable_through_api(http: httpx.Client, token: str) -> int:
    seen, cursor = 0, None
    while True:
        params: dict[str, Any] = {"job_id": JOB, "limit": 200, **({"cursor": cursor} if cursor else {})}
        r = http.get("/v1/candidates", params=params, headers={"Authorization": f"Bearer {token}"})
        r.raise_for_status()
        page = r.json()
        seen += sum(1 for i in page["items"] if i["name"])
        cursor = page["next_cursor"]
        if not cursor:
            return seen


def run(n: int, concurrency: int) -> str:
    stack = EmbeddedStack(port=0, moto=ChildMoto()).start()
    try:
        assert stack.settings is not None
        base = baseline(n, stack.settings.kms_key_id, concurrency)
        with _lock:
            _counts.clear()
        admin = mint("hr_admin", ttl=3600)
        table = stack.session().resource("dynamodb").Table(stack.settings.table_name)
        with httpx.Client(base_url=stack.url, timeout=60) as http:
            r = http.post(
                "/v1/vendors",
                json={"name": "bench", "format": "generic"},
                headers={"Authorization": f"Bearer {admin}"},
            )
            r.raise_for_status()
            secret = r.json()["signing_secret"]
            bodies = [payload(i) for i in range(n)]
            latencies: list[float] = []
            failures = Counter()

            def deliver(i: int) -> None:
                headers = signed_headers(secret, f"msg_{i}", int(time.time()), bodies[i])
                t = time.perf_counter()
                resp = http.post(
                    "/v1/webhooks/bench", content=bodies[i], headers={**headers, "content-type": "application/json"}
                )
                latencies.append(time.perf_counter() - t)
                if resp.status_code != 202:
                    failures[resp.status_code] += 1

            with _lock:
                _counts.clear()  # the vendor registration is not part of any result
            started = time.perf_counter()
            with ThreadPoolExecutor(concurrency) as pool:
                list(pool.map(deliver, range(n)))
            accepted_in = time.perf_counter() - started
            if failures:
                raise SystemExit(f"deliveries failed: {dict(failures)}")
            readable = scored = None
            progress = Progress(table, n)
            last_report = 0.0
            stalled_since, seen = time.perf_counter(), -1
            while time.perf_counter() - stalled_since < 60:  # give up after a minute without progress
                now = time.perf_counter() - started
                if progress.readable() + progress.scored != seen:
                    seen, stalled_since = len(progress.cids) + progress.scored, time.perf_counter()
                if readable is None and len(progress.cids) >= n:
                    readable = now
                if progress.scored_count() >= n:
                    scored = now
                    break
                if os.environ.get("BENCH_PROGRESS") and now - last_report > 2:
                    last_report = now
                    print(f"  {now:6.1f}s readable {len(progress.cids)}/{n} scored {progress.scored}", file=sys.stderr)
                time.sleep(0.05)
            if readable is None or scored is None:
                raise SystemExit(f"not all results arrived: {progress.readable()}/{n}, scored {progress.scored}")
            time.sleep(1.5)  # let the pollers go idle so every request of the run is counted
            with _lock:
                counts = Counter(_counts)
            t = time.perf_counter()
            via_api = readable_through_api(http, admin)
            api_s = time.perf_counter() - t
            if via_api != n:
                raise SystemExit(f"the API lists {via_api}/{n} profiles")
    finally:
        stack.stop()

    by_fn: Counter = Counter()
    for (who, _), c in counts.items():
        by_fn[who] += c
    ours_requests = sum(c for (who, _), c in counts.items() if who.startswith("fn-"))
    ours = {
        "per_s": n / accepted_in,
        "p50": pct(latencies, 50),
        "p95": pct(latencies, 95),
        "e2e": readable,
        "requests": ours_requests / n,
    }
    out: list[str] = []
    out.append(f"ingest benchmark: {n} signed webhooks, concurrency {concurrency}, one warm container per function")
    out.append(f"{'figure':34} {'hirelens':>12} {'baseline':>12} {'ratio':>8}")
    rows = [
        ("accepted per second", ours["per_s"], base["per_s"], "{:12.1f}"),
        ("accept latency p50 (ms)", ours["p50"] * 1000, base["p50"] * 1000, "{:12.1f}"),
        ("accept latency p95 (ms)", ours["p95"] * 1000, base["p95"] * 1000, "{:12.1f}"),
        ("end-to-end, all readable (s)", ours["e2e"], base["e2e"], "{:12.2f}"),
        ("AWS requests per result", ours["requests"], base["requests"], "{:12.2f}"),
    ]
    for label, a, b, fmt in rows:
        out.append(f"{label:34} {fmt.format(a)} {fmt.format(b)} {ratio(a, b):>8}")
    out.append(f"{'end-to-end, all scored (s)':34} {scored:12.2f}")
    out.append(f"{'API listing of all profiles (s)':34} {api_s:12.2f}")
    out.append("AWS requests per result by function (hirelens code; 'poller' is the SQS event source mapping):")
    for who, c in sorted(by_fn.items()):
        if who == "MainThread":  # this script's own progress probes
            continue
        ops = sorted(((op, k) for (w, op), k in counts.items() if w == who), key=lambda x: -x[1])
        detail = ", ".join(f"{op} {k / n:.2f}" for op, k in ops[:8])
        out.append(f"  {who:14} {c / n:6.2f}  ({detail})")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="webhooks to deliver (default 300; the issue's: 1000)")
    parser.add_argument("--concurrency", type=int, default=1, help="deliveries in flight (default 1)")
    args = parser.parse_args(argv)
    # Powertools prints metric blobs every 100 values even when metrics are disabled: keep the
    # run's stray stdout out of the figures
    with contextlib.redirect_stdout(io.StringIO()):
        report = run(args.n, max(1, args.concurrency))
    print(report)


if __name__ == "__main__":
    sys.exit(main())

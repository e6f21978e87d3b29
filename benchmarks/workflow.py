"""Workflow benchmark: what one candidate costs from result to hire, on the embedded stack.

Each candidate goes the whole way over HTTP: signed webhook → scored → the Step Functions
execution waits for review → second interview (interviewers briefed) → feedback → offer →
hire, the execution ending in `Hired`. Counted per candidate:

- state transitions (the execution history's `*StateEntered` events: what a Standard workflow
  is billed for),
- billable AWS requests by service and operation, from botocore events on every thread that
  works for a candidate (functions, pollers, moto's state-machine runner) — the benchmark's own
  polling, empty queue polls and the hourly/periodic timers are left out,
- Lambda invocations and their measured (local, so pessimistic) duration,
- API Gateway requests (the HTTP calls made),

and priced from benchmarks/prices.json (eu-central-1 list prices entered by hand, dated) into
the cost per 1,000 candidates. DynamoDB request units are estimated as 1 per item written or
read (2 per item in a transaction): items over 1 KB (writes) or 4 KB (reads) cost more.

Baseline: a state machine that polls instead of waiting for a callback — an hourly loop of Wait →
DynamoDB GetItem → Choice (3 transitions per hour) over 14 days from result to hire.

    .venv/bin/python benchmarks/workflow.py [--n 3]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

os.environ.setdefault("HIRELENS_HOME", tempfile.mkdtemp(prefix="hirelens-bench-"))
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
os.environ.setdefault("HIRELENS_LOG_LEVEL", "ERROR")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import botocore.handlers

PRICES = json.loads((Path(__file__).with_name("prices.json")).read_text())
EXCLUDED_THREADS = ("MainThread", "fn-puller", "fn-retention", "fn-reminders", "timer-")
BASELINE_DAYS, BASELINE_TRANSITIONS_PER_HOUR = 14, 3

_calls: Counter = Counter()
_units: Counter = Counter()
_lock = threading.Lock()
counting = threading.Event()


def _counted() -> bool:
    name = threading.current_thread().name
    return counting.is_set() and not name.startswith(EXCLUDED_THREADS)


def _ddb_units(op: str, params: dict[str, Any]) -> tuple[str, int]:
    if op == "TransactWriteItems":
        return "write", 2 * len(params.get("TransactItems", []))
    if op == "BatchWriteItem":
        return "write", sum(len(v) for v in params.get("RequestItems", {}).values())
    if op == "BatchGetItem":
        return "read", sum(len(v.get("Keys", [])) for v in params.get("RequestItems", {}).values())
    if op in ("PutItem", "UpdateItem", "DeleteItem"):
        return "write", 1
    return "read", 1


def _before_params(event_name: str, params: dict[str, Any], **_: Any) -> None:
    _, service, op = event_name.split(".", 2)
    if not _counted() or (service, op) == ("sqs", "ReceiveMessage"):
        return
    with _lock:
        _calls[(service, op)] += 1
        if service == "dynamodb":
            kind, n = _ddb_units(op, params)
            _units[kind] += n


def _after_receive(event_name: str, parsed: dict[str, Any], **_: Any) -> None:
    if _counted() and parsed.get("Messages"):  # an empty poll is a cost per queue, not per candidate
        with _lock:
            _calls[("sqs", "ReceiveMessage")] += 1


botocore.handlers.BUILTIN_HANDLERS.append(("before-parameter-build", _before_params))
botocore.handlers.BUILTIN_HANDLERS.append(("after-call.sqs.ReceiveMessage", _after_receive))

import httpx  # noqa: E402

from embedded import runtime  # noqa: E402
from embedded.stack import EmbeddedStack  # noqa: E402
from embedded.tokens import mint  # noqa: E402
from shared.services.workflow import execution_arn, execution_name  # noqa: E402
from shared.storage import keys  # noqa: E402
from shared.storage.candidates import result_id_for  # noqa: E402
from shared.webhooks.signature import signed_headers  # noqa: E402

_invocations: Counter = Counter()
_durations: Counter = Counter()
_original_invoke = runtime.LocalFunction.invoke


def _invoke(self: runtime.LocalFunction, event: dict[str, Any]) -> Any:
    started = time.perf_counter()
    try:
        return _original_invoke(self, event)
    finally:
        if counting.is_set() and self.name not in ("puller", "retention", "reminders"):
            with _lock:
                _invocations[self.name] += 1
                _durations[self.name] += time.perf_counter() - started


runtime.LocalFunction.invoke = _invoke  # type: ignore[method-assign]


def wait(fn: Any, timeout: float = 60.0) -> Any:
    end = time.time() + timeout
    while time.time() < end:
        got = fn()
        if got:
            return got
        time.sleep(0.05)
    raise TimeoutError("the workflow did not get there in time")


def run(n: int) -> dict[str, Any]:
    stack = EmbeddedStack(port=0).start()
    try:
        session = stack.session()
        table = session.resource("dynamodb").Table(stack.settings.table_name)
        sfn = session.client("stepfunctions")
        admin = {"Authorization": f"Bearer {mint('hr_admin')}"}
        hr = {"Authorization": f"Bearer {mint('hr')}"}
        iv = {"Authorization": f"Bearer {mint('interviewer', department='bench')}"}
        api_requests = 0
        transitions = 0
        with httpx.Client(base_url=stack.url, timeout=60) as http:
            secret = http.post("/v1/vendors", json={"name": "bench", "format": "generic"}, headers=admin).json()[
                "signing_secret"
            ]
            job = f"BENCH-{uuid.uuid4().hex[:6]}"
            counting.set()
            started = time.perf_counter()
            for i in range(n):
                ext = f"C-{i}-{uuid.uuid4().hex[:6]}"
                body = json.dumps(
                    {
                        "type": "interview.result.completed",
                        "occurred_at": "2026-11-20T08:30:00Z",
                        "data": {
                            "result_id": f"R-{ext}",
                            "revision": 1,
                            "candidate": {"external_id": ext, "name": "张三"},
                            "job": {"external_id": job, "title": "风控分析师", "department": "bench"},
                            "completed_at": "2026-11-20T08:20:00Z",
                            "dimensions": [
                                {"code": "logical_thinking", "score": 70 + i % 30, "scale_min": 0, "scale_max": 100}
                            ],
                        },
                    },
                    ensure_ascii=False,
                ).encode()
                headers = signed_headers(secret, f"msg_{uuid.uuid4().hex}", int(time.time()), body)
                r = http.post("/v1/webhooks/bench", content=body, headers=headers)
                assert r.status_code == 202, r.text
                api_requests += 1
                pointer = keys.result_pointer(result_id_for("bench", f"R-{ext}"))
                cid = wait(lambda pointer=pointer: (table.get_item(Key=pointer).get("Item") or {}).get("candidate_id"))

                def step(name: str, cid: str = cid) -> bool:
                    item = table.get_item(Key=keys.application(cid, job), ConsistentRead=True).get("Item") or {}
                    return item.get("task_step") == name

                wait(lambda: step("AwaitingReview"))
                for action, then in (("second_interview", "SecondInterview"), ("offer", "Offer"), ("hire", None)):
                    r = http.post(f"/v1/candidates/{cid}/decisions", json={"job_id": job, "action": action}, headers=hr)
                    assert r.status_code == 200, r.text
                    api_requests += 1
                    if action == "second_interview":
                        fb = {"job_id": job, "stage": "second_interview", "rating": 80, "passed": True}
                        assert http.post(f"/v1/candidates/{cid}/feedback", json=fb, headers=iv).status_code == 201
                        api_requests += 1
                    if then:
                        wait(lambda then=then: step(then))
                arn = execution_arn(stack.settings.state_machine_arn, execution_name(cid, job))
                wait(lambda arn=arn: sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED")
                events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
                transitions += sum(1 for e in events if e["type"].endswith("StateEntered"))
            elapsed = time.perf_counter() - started
            time.sleep(1.5)  # let the last messages' deletes land
            counting.clear()
        return {
            "n": n,
            "elapsed_s": elapsed,
            "transitions": transitions,
            "api_requests": api_requests,
            "calls": dict(_calls),
            "units": dict(_units),
            "invocations": dict(_invocations),
            "durations": dict(_durations),
        }
    finally:
        stack.stop()


def price(key: str) -> float:
    return float(PRICES["prices"][key]["usd"])


def report(r: dict[str, Any]) -> None:
    n = r["n"]
    per = {k: v / n for k, v in r["calls"].items()}
    by_service: Counter = Counter()
    for (service, _), v in per.items():
        by_service[service] += v
    transitions = r["transitions"] / n
    invocations = sum(r["invocations"].values()) / n
    gb_s = sum(r["durations"].values()) / n * 0.5  # 512 MB functions
    wru, rru = r["units"].get("write", 0) / n, r["units"].get("read", 0) / n
    s3_put = sum(v for (s, op), v in per.items() if s == "s3" and op.startswith(("Put", "Copy", "Create")))
    s3_get = by_service["s3"] - s3_put
    costs = {
        "Step Functions transitions": transitions * price("stepfunctions_standard_per_transition"),
        "Lambda requests": invocations * price("lambda_request"),
        "Lambda duration (local timing)": gb_s * price("lambda_gb_second_arm64"),
        "SQS requests": by_service["sqs"] * price("sqs_standard_request"),
        "DynamoDB writes (≈WRU)": wru * price("dynamodb_write_request_unit"),
        "DynamoDB reads (≈RRU)": rru * price("dynamodb_read_request_unit"),
        "API Gateway requests": r["api_requests"] / n * price("apigateway_http_request"),
        "KMS requests": by_service["kms"] * price("kms_request"),
        "S3 requests": s3_put * price("s3_put_request") + s3_get * price("s3_get_request"),
    }
    total = sum(costs.values())
    print(f"workflow: {n} candidate(s) from result to hire in {r['elapsed_s']:.1f} s (embedded stack)")
    print(f"  state transitions per candidate   {transitions:.1f}")
    print(f"  API Gateway requests per candidate {r['api_requests'] / n:.1f}")
    print(f"  Lambda invocations per candidate   {invocations:.1f}  {dict(sorted(r['invocations'].items()))}")
    print("  AWS requests per candidate by operation:")
    for (service, op), v in sorted(per.items()):
        print(f"    {service:14s} {op:26s} {v:6.1f}")
    print(f"  DynamoDB ≈ {wru:.1f} write units, {rru:.1f} read units per candidate (1 per item; 2 in transactions)")
    print(f"cost per 1,000 candidates ({PRICES['region']} list prices of {PRICES['date']}, entered by hand):")
    for k, v in costs.items():
        print(f"    {k:32s} ${v * 1000:8.4f}")
    print(f"    {'total':32s} ${total * 1000:8.4f}")
    baseline = BASELINE_DAYS * 24 * BASELINE_TRANSITIONS_PER_HOUR
    baseline_cost = baseline * price("stepfunctions_standard_per_transition") * 1000
    sfn_cost = costs["Step Functions transitions"] * 1000
    print(
        f"baseline (hourly polling loop over {BASELINE_DAYS} days): {baseline} transitions, "
        f"${baseline_cost:.2f} per 1,000"
    )
    print(
        f"  ratio transitions {transitions / baseline:.4f}, Step Functions cost {sfn_cost / baseline_cost:.4f} "
        f"(callback tasks vs polling)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=3)
    report(run(parser.parse_args().n))


if __name__ == "__main__":
    main()

"""Filtered candidate pages at 1k, 10k and 100k candidates in one job (in-process moto).

For each size: the first page (50, best match first) of GET /v1/candidates for the job with
several filters, served by the job's index (gsi1, sorted by match score) with a bounded
read factor, beside the baseline an index-less design needs: Scan the table, filter, sort.
Figures: index items read per page (the DynamoDB cost: read capacity is paid per item read),
items delivered, wall time, and the baseline's ratio to each.

moto evaluates every Query by walking the whole table, so *wall time* here grows with the
table for both designs; in DynamoDB a Query's time follows the items it reads. Items read is
the figure that transfers.

    .venv/bin/python benchmarks/query.py [--max 10000]   (--max 100000 adds the 100k run: ~20 min in moto)
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from decimal import Decimal
from typing import Any

os.environ.setdefault("HIRELENS_HOME", tempfile.mkdtemp(prefix="hirelens-bench-"))
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
for k, v in {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "eu-central-1",
    "AWS_REGION": "eu-central-1",
}.items():
    os.environ[k] = v
os.environ.pop("AWS_ENDPOINT_URL", None)

import boto3  # noqa: E402
from boto3.dynamodb.conditions import Attr  # noqa: E402
from moto import mock_aws  # noqa: E402

JOB = "JOB-BENCH"
PAGE = 50
CODES = ["communication", "logical_thinking", "stress_tolerance"]
QUERIES = {
    "top page, no filter": {},
    "min.communication=60": {"communication": 60},
    "min.communication=70 & min.logical_thinking=60": {"communication": 70, "logical_thinking": 60},
    "min.communication=90 & min.logical_thinking=85 (1.5% pass)": {"communication": 90, "logical_thinking": 85},
}


class Reads:
    """Items DynamoDB reads for the calls made while counting (ScannedCount), and the calls."""

    def __init__(self, client: Any) -> None:
        self.items = self.calls = 0
        self.kinds: set[str] = set()
        for op in ("Query", "Scan"):
            client.meta.events.register(f"after-call.dynamodb.{op}", self._count)

    def _count(self, parsed: dict[str, Any], model: Any, **kw: Any) -> None:
        self.items += int(parsed.get("ScannedCount", 0))
        self.calls += 1
        self.kinds.add(model.name)

    def reset(self) -> None:
        self.items = self.calls = 0
        self.kinds = set()


def seed(table: Any, start: int, stop: int, rng: random.Random) -> None:
    from shared.storage import keys

    with table.batch_writer() as batch:
        for i in range(start, stop):
            cid = f"c_{i:07d}"
            scores = {c: round(rng.uniform(0, 100), 2) for c in CODES}
            match = round(sum(scores.values()) / len(scores), 2)
            rec = "hire" if match >= 80 else "second_interview" if match >= 65 else "reject"
            batch.put_item(
                Item={
                    **keys.application(cid, JOB),
                    "candidate_id": cid,
                    "job_id": JOB,
                    "department": "risk",
                    "status": "awaiting_review",
                    "gsi1pk": keys.job_candidates_pk(JOB),
                    "gsi1sk": keys.match_sort_key(match, cid),
                    "match_score": Decimal(str(match)),
                    "recommendation": rec,
                    "scores": {c: Decimal(str(v)) for c, v in scores.items()},
                }
            )


def baseline(table: Any, mins: dict[str, float]) -> list[dict[str, Any]]:
    """What a design without the job index must do: Scan everything, filter, sort, take a page."""
    filt = Attr("gsi1pk").eq(f"JOB#{JOB}")
    for code, v in mins.items():
        filt = filt & Attr(f"scores.{code}").gte(Decimal(str(v)))
    kwargs: dict[str, Any] = {"FilterExpression": filt}
    found: list[dict[str, Any]] = []
    while True:
        out = table.scan(**kwargs)
        found.extend(out["Items"])
        if "LastEvaluatedKey" not in out:
            break
        kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]
    # the index's order: gsi1sk = "<score>#<candidate>", descending
    return sorted(found, key=lambda i: (i["match_score"], i["candidate_id"]), reverse=True)[:PAGE]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--max", type=int, default=10_000, help="largest job size to run (1000, 10000 or 100000)")
    args = ap.parse_args()
    sizes = [n for n in (1_000, 10_000, 100_000) if n <= args.max]
    with mock_aws():
        from embedded.aws import REGION, create_resources
        from shared import wiring
        from shared.authz.policy import Principal, Role
        from shared.services.views import MAX_READ_FACTOR

        settings = create_resources(boto3.session.Session(region_name=REGION))
        os.environ.update(settings.to_env())
        wiring.reset()
        svc = wiring.services()
        svc.jobs.ensure(JOB, "bench", "risk", "2026-11-20T00:00:00Z")
        reads = Reads(svc.table.meta.client)
        hr = Principal("bench", Role.HR)
        rng = random.Random(3)
        seeded = 0
        svc.views.list_candidates(
            hr, job_id=JOB, mins={}, recommendation=None, status=None, sort="-match_score", limit=1, cursor=None
        )  # warm up clients and the keyring
        print(
            f"page size {PAGE}, read factor {MAX_READ_FACTOR}: a filtered page reads at most "
            f"{PAGE * MAX_READ_FACTOR} index items"
        )
        for n in sizes:
            t0 = time.perf_counter()
            seed(svc.table, seeded, n, rng)
            seeded = n
            print(f"\n== {n:,} candidates in one job (seeded in {time.perf_counter() - t0:.1f} s)")
            print(
                f"  {'query':58} {'read':>7} {'got':>4} {'ms':>8} | {'scan read':>9} {'ms':>8} | "
                f"{'read ×':>7} {'time ×':>7}"
            )
            for label, mins in QUERIES.items():
                reads.reset()
                t0 = time.perf_counter()
                page = svc.views.list_candidates(
                    hr,
                    job_id=JOB,
                    mins=mins,
                    recommendation=None,
                    status=None,
                    sort="-match_score",
                    limit=PAGE,
                    cursor=None,
                )
                ms = (time.perf_counter() - t0) * 1000
                ours, kinds = reads.items, reads.kinds
                assert kinds <= {"Query"}, kinds  # the list never scans
                reads.reset()
                t0 = time.perf_counter()
                base = baseline(svc.table, mins)
                base_ms = (time.perf_counter() - t0) * 1000
                got = page["items"]
                # the index page is the head of the true answer (a short page continues with its cursor)
                assert [i["candidate_id"] for i in got] == [i["candidate_id"] for i in base][: len(got)]
                print(
                    f"  {label:58} {ours:>7,} {len(got):>4} {ms:>8.0f} | {reads.items:>9,} {base_ms:>8.0f} | "
                    f"{reads.items / max(ours, 1):>7.1f} {base_ms / max(ms, 1e-9):>7.1f}"
                )
        print(
            "\nread: index items read for the page; got: candidates on it (fewer than 50 = a short page whose "
            "next_cursor continues); × = baseline / index. Wall times are moto's (see the docstring)."
        )


if __name__ == "__main__":
    main()

"""The job's histogram and counters stay exact while results arrive and are re-scored concurrently."""

from __future__ import annotations

import random
import threading
from collections import Counter
from typing import Any

import pytest

from shared import wiring
from shared.scoring.percentile import bucket, histogram_of, percentile
from shared.storage.jobs import JobRepository
from tests.integration.analysis_support import HR, store_result

JOB = "JOB-P"


def brute_percentile(score: float, others: list[float]) -> float:
    """Share of the other candidates below this one, ties (same whole point) counting half."""
    b = int(bucket(score)[1:])
    ob = [int(bucket(o)[1:]) for o in others]
    if not ob:
        return 100.0
    return round(100.0 * (sum(1 for x in ob if x < b) + sum(1 for x in ob if x == b) / 2) / len(ob), 1)


@pytest.fixture
def atomic_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make each in-process moto request atomic, as every DynamoDB request is in AWS.

    moto runs a failed transaction's rollback by restoring a copy of the whole table taken
    when it started, which under threads erases other requests' writes made meanwhile. Our
    code still runs concurrently between requests: reads, conditional writes and retries race
    exactly as they would against DynamoDB.
    """
    from moto.core.botocore_stubber import BotocoreStubber

    lock = threading.RLock()
    original = BotocoreStubber.__call__

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(self, *args, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", call)


def test_concurrent_rescoring_keeps_histogram_and_counts_exact(aws, atomic_requests):
    # Given 24 applications stored but not yet scored
    rng = random.Random(7)
    ids = [
        store_result(aws, "acme", JOB, f"C-{i}", {"communication": rng.uniform(30, 100)}, rid=f"R-{i}", score=False)
        for i in range(24)
    ]
    errors: list[BaseException] = []

    def scorer(seed: int) -> None:
        try:
            svc = wiring.services()  # each thread its own clients, like its own Lambda container
            order = ids[:]
            random.Random(seed).shuffle(order)
            for cid in order:
                svc.scorer.rescore(cid, JOB, attempts=50)
        except BaseException as exc:
            errors.append(exc)

    def reviser() -> None:
        try:
            svc = wiring.services()
            for i in range(0, 24, 3):  # new revisions arrive meanwhile, each followed by its re-score
                cid = store_result(
                    svc, "acme", JOB, f"C-{i}", {"communication": 100 - i}, rid=f"R-{i}", revision=2, score=False
                )
                svc.scorer.rescore(cid, JOB, attempts=50)
        except BaseException as exc:
            errors.append(exc)

    # When four scorers and one reviser run at once
    threads = [threading.Thread(target=scorer, args=(s,)) for s in range(4)] + [threading.Thread(target=reviser)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    # Then every application is counted once in the histogram and the counters
    apps = [aws.candidates.get_application(cid, JOB) for cid in ids]
    job = aws.jobs.get_item(JOB)
    hist = histogram_of(job)
    assert hist == {int(b[1:]): n for b, n in Counter(bucket(a["match_score"]) for a in apps).items()}
    counts = JobRepository.counts(job)
    assert counts["total"] == 24 and counts["by_status"]["awaiting_review"] == 24
    assert {k: v for k, v in counts["by_recommendation"].items() if v} == dict(
        Counter(a["recommendation"] for a in apps)
    )
    # And the revised scores are the ones that count
    for i in range(0, 24, 3):
        assert apps[i]["match_score"] == 100 - i
    # And each percentile read off the histogram equals the one computed from every score
    scores = [a["match_score"] for a in apps]
    for k, s in enumerate(scores):
        assert percentile(s, hist) == brute_percentile(s, scores[:k] + scores[k + 1 :])
    listed = aws.views.list_candidates(
        HR, job_id=JOB, mins={}, recommendation=None, status=None, sort="-match_score", limit=50, cursor=None
    )["items"]
    assert {i["candidate_id"]: i["percentile"] for i in listed} == {
        cid: brute_percentile(s, scores[:k] + scores[k + 1 :])
        for k, (cid, s) in enumerate(zip(ids, scores, strict=True))
    }

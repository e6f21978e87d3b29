"""Percentile within a job from a histogram of match scores kept on the job item.

Each scored application sits in one whole-point bucket (h000…h100). Moving an application
between buckets is one atomic update, so the histogram stays current as candidates arrive
and a percentile costs one item read, never a read of the whole job.
"""

from __future__ import annotations

from typing import Any


def bucket(score: float) -> str:
    return f"h{max(0, min(100, round(score))):03d}"


def histogram_of(job_item: dict[str, Any]) -> dict[int, int]:
    return {
        int(k[1:]): int(v)
        for k, v in job_item.items()
        if len(k) == 4 and k[0] == "h" and k[1:].isdigit() and int(v) > 0
    }


def percentile(score: float | None, hist: dict[int, int]) -> float | None:
    """Share of the job's scored candidates below this score (ties count half), 0–100."""
    if score is None:
        return None
    total = sum(hist.values())
    if total == 0:
        return None
    b = int(bucket(score)[1:])
    below = sum(n for k, n in hist.items() if k < b)
    same = hist.get(b, 0)
    if total <= 1:
        return 100.0 if same else 0.0
    # exclude the candidate itself from the population it is compared with
    return round(100.0 * (below + max(same - 1, 0) / 2) / (total - 1), 1)

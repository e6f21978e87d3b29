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


def percentile(score: float | None, hist: dict[int, int], *, counted: bool = True) -> float | None:
    """Share of the job's other scored candidates below this score (ties count half), 0–100.

    `counted`: the score is already in the histogram (a stored, scored application), so the
    candidate is taken out of the population it is compared with. A score computed on the
    fly that is not in the histogram yet is compared with everyone.
    """
    if score is None:
        return None
    b = int(bucket(score)[1:])
    below = sum(n for k, n in hist.items() if k < b)
    same = hist.get(b, 0)
    if counted and same > 0:
        same -= 1
        others = sum(hist.values()) - 1
    else:
        others = sum(hist.values())
    if others <= 0:
        return 100.0  # the only scored candidate of the job: nobody ranks above them
    return round(100.0 * (below + same / 2) / others, 1)

"""Combining several results (several vendors) for one application into one score per competency.

Rule (docs/scoring.md): for each vendor, only its most recent active result counts; for each
competency, the combined score is the mean of the vendors' normalised scores for it. Every
combined score keeps its sources. When vendors differ by more than DISAGREEMENT_MARGIN points
on a competency, it is flagged for a human to look at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DISAGREEMENT_MARGIN = 20.0


@dataclass(frozen=True)
class Source:
    vendor: str
    result_id: str
    normalized: float


@dataclass(frozen=True)
class CombinedScore:
    code: str
    score: float
    sources: tuple[Source, ...]
    disagreement: bool = False

    @property
    def spread(self) -> float:
        values = [s.normalized for s in self.sources]
        return max(values) - min(values) if values else 0.0


@dataclass(frozen=True)
class Aggregate:
    scores: dict[str, CombinedScore] = field(default_factory=dict)

    def value(self, code: str) -> float | None:
        c = self.scores.get(code)
        return c.score if c else None

    def plain(self) -> dict[str, float]:
        return {code: round(c.score, 2) for code, c in self.scores.items()}


def _effective(dim: dict[str, Any]) -> float:
    """A dimension's normalised score, with an HR adjustment taking precedence."""
    return float(dim.get("adjusted_normalized", dim["normalized"]))


def latest_per_vendor(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    best: dict[str, dict[str, Any]] = {}
    for r in results:
        if r.get("status") == "withdrawn":
            continue
        cur = best.get(r["vendor"])
        if cur is None or (r.get("completed_at") or "", r["revision"]) > (
            cur.get("completed_at") or "",
            cur["revision"],
        ):
            best[r["vendor"]] = r
    return list(best.values())


def aggregate(results: list[dict[str, Any]], margin: float = DISAGREEMENT_MARGIN) -> Aggregate:
    by_code: dict[str, list[Source]] = {}
    for r in latest_per_vendor(results):
        for d in r.get("dimensions", []):
            by_code.setdefault(d["code"], []).append(Source(r["vendor"], r["result_id"], _effective(d)))
    out = {}
    for code, sources in by_code.items():
        mean = sum(s.normalized for s in sources) / len(sources)
        spread = max(s.normalized for s in sources) - min(s.normalized for s in sources)
        out[code] = CombinedScore(code, round(mean, 4), tuple(sources), disagreement=spread > margin)
    return Aggregate(out)

"""Combining several results (several vendors) for one application into one score per competency.

Rule (docs/scoring.md):
1. per vendor, only its most recent active result for the application counts (a later
   `completed_at` wins, then the higher revision, then the later arrival); withdrawn results
   count for nothing;
2. within that result, several dimensions mapped to the same code are averaged first, so a
   vendor that splits one competency into two labels does not get two votes;
3. across vendors, the combined score is the plain mean of the vendors' normalised scores.
   Every combined score keeps its sources (vendor, result, score);
4. when the vendors' scores for a competency are more than DISAGREEMENT_MARGIN points apart
   (max - min, on the 0–100 scale), it is flagged for a human to look at.
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
    spread: float = 0.0  # max - min of the vendors' scores

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 2),
            "disagreement": self.disagreement,
            "spread": round(self.spread, 2),
            "sources": [
                {"vendor": s.vendor, "result_id": s.result_id, "score": round(s.normalized, 2)} for s in self.sources
            ],
        }


@dataclass(frozen=True)
class Aggregate:
    scores: dict[str, CombinedScore] = field(default_factory=dict)

    def value(self, code: str) -> float | None:
        c = self.scores.get(code)
        return c.score if c else None

    def plain(self) -> dict[str, float]:
        return {code: round(c.score, 2) for code, c in self.scores.items()}


def _clamp(x: float) -> float:
    return min(100.0, max(0.0, x))


def _effective(dim: dict[str, Any]) -> float:
    """A dimension's normalised score, with an HR adjustment taking precedence."""
    return _clamp(float(dim.get("adjusted_normalized", dim["normalized"])))


def _recency(r: dict[str, Any]) -> tuple[str, int, str]:
    return (r.get("completed_at") or "", int(r["revision"]), r.get("received_at") or "")


def latest_per_vendor(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    best: dict[str, dict[str, Any]] = {}
    for r in results:
        if r.get("status") == "withdrawn":
            continue
        cur = best.get(r["vendor"])
        if cur is None or _recency(r) > _recency(cur):
            best[r["vendor"]] = r
    return [best[v] for v in sorted(best)]


def aggregate(results: list[dict[str, Any]], margin: float = DISAGREEMENT_MARGIN) -> Aggregate:
    by_code: dict[str, list[Source]] = {}
    for r in latest_per_vendor(results):
        within: dict[str, list[float]] = {}
        for d in r.get("dimensions", []):
            within.setdefault(d["code"], []).append(_effective(d))
        for code, values in within.items():
            by_code.setdefault(code, []).append(Source(r["vendor"], r["result_id"], sum(values) / len(values)))
    out = {}
    for code, sources in by_code.items():
        values = [s.normalized for s in sources]
        spread = max(values) - min(values)
        out[code] = CombinedScore(code, round(sum(values) / len(values), 4), tuple(sources), spread > margin, spread)
    return Aggregate(out)

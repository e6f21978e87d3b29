"""How often the AI was right: recommendations against what really happened (pure computation).

An application's outcome is the furthest thing known about it: the probation result, else the
second-interview result, else a rejection. Hired without a probation result yet, withdrawn, or
still open: no outcome, left out. "Good" outcomes are a passed probation or a passed second
interview. The AI "said yes" when it recommended `hire` or `second_interview`.

Every figure carries the number of applications it stands on (`n`): no figure without its n.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

OUTCOMES = (
    "probation_passed",
    "probation_failed",
    "second_interview_passed",
    "second_interview_failed",
    "rejected",
)
GOOD = frozenset({"probation_passed", "second_interview_passed"})
RECOMMENDATIONS = ("hire", "second_interview", "reject")
SAYS_YES = frozenset({"hire", "second_interview"})
UNSCORED = "unscored"
MIN_PAIRS = 3  # fewer pairs give no correlation at all (r is null, n still shown)


@dataclass(frozen=True)
class Case:
    """One application with what the AI said and what happened afterwards."""

    recommendation: str | None
    match_score: float | None
    status: str
    vendors: tuple[str, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)  # the application's score per competency
    vendor_scores: dict[str, float] = field(default_factory=dict)  # each vendor's own mean score
    second_interview_passed: bool | None = None
    second_interview_rating: float | None = None
    probation_passed: bool | None = None
    probation_rating: float | None = None
    competency_ratings: dict[str, float] = field(default_factory=dict)  # interviewers' ratings per code

    @property
    def outcome(self) -> str | None:
        if self.probation_passed is not None:
            return "probation_passed" if self.probation_passed else "probation_failed"
        if self.second_interview_passed is not None:
            return "second_interview_passed" if self.second_interview_passed else "second_interview_failed"
        if self.status == "rejected":
            return "rejected"
        return None

    @property
    def rating(self) -> float | None:
        """The latest rating a person gave: probation over second interview."""
        return self.probation_rating if self.probation_rating is not None else self.second_interview_rating


def figure(value: float | None, n: int) -> dict[str, Any]:
    return {"value": None if value is None else round(value, 4), "n": n}


def pearson(pairs: Sequence[tuple[float, float]]) -> float | None:
    """Pearson's r, or None with fewer than MIN_PAIRS pairs or no variance on either side."""
    n = len(pairs)
    if n < MIN_PAIRS:
        return None
    mx = sum(x for x, _ in pairs) / n
    my = sum(y for _, y in pairs) / n
    sxy = sum((x - mx) * (y - my) for x, y in pairs)
    sxx = sum((x - mx) ** 2 for x, _ in pairs)
    syy = sum((y - my) ** 2 for _, y in pairs)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def correlation(pairs: Sequence[tuple[float, float]]) -> dict[str, Any]:
    r = pearson(pairs)
    return {"r": None if r is None else round(r, 4), "n": len(pairs)}


def _pairs(cases: Iterable[Case], x: Any, y: Any) -> list[tuple[float, float]]:
    out = []
    for c in cases:
        a, b = x(c), y(c)
        if a is not None and b is not None:
            out.append((float(a), float(b)))
    return out


def summarize(cases: Sequence[Case]) -> dict[str, Any]:
    """Confusion matrix, accuracy and match-score correlations over cases with a known outcome."""
    known = [c for c in cases if c.outcome is not None]
    rows = (*RECOMMENDATIONS, UNSCORED)
    matrix: dict[str, dict[str, int]] = {r: dict.fromkeys(OUTCOMES, 0) for r in rows}
    for c in known:
        matrix[c.recommendation or UNSCORED][c.outcome] += 1  # type: ignore[index]
    matrix_view = {r: {**cells, "n": sum(cells.values())} for r, cells in matrix.items()}
    scored = [c for c in known if c.recommendation]
    right = sum(1 for c in scored if (c.recommendation in SAYS_YES) == (c.outcome in GOOD))
    hires = [c for c in scored if c.recommendation == "hire"]
    rejects = [c for c in scored if c.recommendation == "reject"]
    return {
        "n": len(known),
        "matrix": matrix_view,
        "accuracy": figure(right / len(scored) if scored else None, len(scored)),
        # of those the AI recommended hiring, the share that turned out well
        "hire_precision": figure(
            sum(1 for c in hires if c.outcome in GOOD) / len(hires) if hires else None, len(hires)
        ),
        # of those the AI recommended rejecting, the share that turned out badly
        "reject_precision": figure(
            sum(1 for c in rejects if c.outcome not in GOOD) / len(rejects) if rejects else None, len(rejects)
        ),
        "correlation": {
            "match_score_vs_second_interview_rating": correlation(
                _pairs(cases, lambda c: c.match_score, lambda c: c.second_interview_rating)
            ),
            "match_score_vs_probation_rating": correlation(
                _pairs(cases, lambda c: c.match_score, lambda c: c.probation_rating)
            ),
            "match_score_vs_latest_rating": correlation(_pairs(cases, lambda c: c.match_score, lambda c: c.rating)),
        },
    }


def calibrate(cases: Sequence[Case]) -> dict[str, Any]:
    """The whole report: overall, per vendor (applications with that vendor's results) and per competency."""
    vendors = sorted({v for c in cases for v in c.vendors})
    per_vendor = {}
    for v in vendors:
        subset = [c for c in cases if v in c.vendors]
        per_vendor[v] = {
            **summarize(subset),
            # the vendor's own scores (its mean per application) against the later rating
            "vendor_score_vs_latest_rating": correlation(
                _pairs(subset, lambda c, v=v: c.vendor_scores.get(v), lambda c: c.rating)
            ),
        }
    codes = sorted({code for c in cases for code in c.scores})
    per_competency = {
        code: {
            "score_vs_latest_rating": correlation(
                _pairs(cases, lambda c, code=code: c.scores.get(code), lambda c: c.rating)
            ),
            "score_vs_competency_rating": correlation(
                _pairs(
                    cases, lambda c, code=code: c.scores.get(code), lambda c, code=code: c.competency_ratings.get(code)
                )
            ),
        }
        for code in codes
    }
    return {**summarize(cases), "per_vendor": per_vendor, "per_competency": per_competency}

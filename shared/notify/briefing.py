"""What interviewers read before a second interview (pure): the candidate's strongest
competencies with their standing among the job's candidates, and what needs checking.

"逻辑思维 90，超过 85% 的候选人；抗压能力 需复试核实" — built from the match report (reasons of
kind below_min, must_have_failed, gap, disagreement mean "needs checking") and the scores of
the job's other candidates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared.scoring.percentile import bucket, percentile
from shared.taxonomy import Taxonomy, default_taxonomy

CHECK_KINDS = ("must_have_failed", "below_min", "gap", "disagreement")
STRENGTHS = 3


@dataclass(frozen=True)
class Briefing:
    strengths: tuple[dict[str, Any], ...]  # {code, score, percentile, n}
    to_check: tuple[str, ...]  # competency codes

    def lines(self, tax: Taxonomy | None = None) -> tuple[str, ...]:
        tax = tax or default_taxonomy()
        out = []
        for s in self.strengths:
            zh, en = tax.label(s["code"], "zh"), tax.label(s["code"], "en")
            if s["percentile"] is None:
                out.append(f"{zh} {s['score']:.0f} · {en} {s['score']:.0f}")
            else:
                out.append(
                    f"{zh} {s['score']:.0f}，超过 {s['percentile']:.0f}% 的候选人 · "
                    f"{en} {s['score']:.0f}, above {s['percentile']:.0f}% of candidates"
                )
        for code in self.to_check:
            out.append(f"{tax.label(code, 'zh')} 需复试核实 · {tax.label(code, 'en')} needs checking")
        return tuple(out)


def brief(
    scores: Mapping[str, float],
    match: Mapping[str, Any] | None,
    population: Mapping[str, Sequence[float]],
    *,
    tax: Taxonomy | None = None,
) -> Briefing:
    """`scores`: the candidate's normalised scores; `population`: every scored candidate's score per
    competency in the same job (the candidate included)."""
    tax = tax or default_taxonomy()
    reasons = list((match or {}).get("reasons") or [])
    to_check = []
    for r in reasons:
        code = r.get("code")
        if r.get("kind") in CHECK_KINDS and code and code not in to_check:
            to_check.append(code)
    required = [r["code"] for r in (match or {}).get("radar") or [] if r.get("code")]
    pool = [c for c in (required or list(scores)) if c in scores and tax.is_known(c) and c not in to_check]
    best = sorted(pool, key=lambda c: (-float(scores[c]), c))[:STRENGTHS]
    strengths = []
    for code in best:
        values = population.get(code) or []
        hist: dict[int, int] = {}
        for v in values:
            b = int(bucket(float(v))[1:])
            hist[b] = hist.get(b, 0) + 1
        strengths.append(
            {
                "code": code,
                "score": round(float(scores[code]), 1),
                "percentile": percentile(float(scores[code]), hist) if len(values) > 1 else None,
                "n": len(values),
            }
        )
    return Briefing(tuple(strengths), tuple(to_check))

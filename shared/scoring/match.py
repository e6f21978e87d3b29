"""The job match: a weighted score over normalised competencies, gates, and readable reasons.

Pure logic: a job's talent profile and an Aggregate in, a MatchReport out (docs/scoring.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from shared.models.domain import Job, Recommendation, Requirement, Thresholds
from shared.scoring.aggregate import Aggregate
from shared.taxonomy import Taxonomy, default_taxonomy

_RANK = {Recommendation.REJECT: 0, Recommendation.SECOND_INTERVIEW: 1, Recommendation.HIRE: 2}


@dataclass(frozen=True)
class Reason:
    kind: str
    text: str  # zh-CN
    text_en: str
    code: str | None = None


@dataclass
class MatchReport:
    match_score: float | None
    recommendation: Recommendation | None
    reasons: list[Reason] = field(default_factory=list)
    radar: list[dict[str, Any]] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)
    profile_defined: bool = True

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["recommendation"] = self.recommendation.value if self.recommendation else None
        return d


def _cap(rec: Recommendation, at_most: Recommendation) -> Recommendation:
    return rec if _RANK[rec] <= _RANK[at_most] else at_most


def _fmt(x: float) -> str:
    return f"{x:.0f}" if abs(x - round(x)) < 0.05 else f"{x:.1f}"


def compute_match(job: Job | None, agg: Aggregate, taxonomy: Taxonomy | None = None) -> MatchReport:
    tax = taxonomy or default_taxonomy()
    reasons: list[Reason] = []
    profile_defined = bool(job and job.profile_defined and job.competencies)
    if profile_defined:
        assert job is not None
        reqs = list(job.competencies)
        thresholds = job.thresholds
    else:
        measured = sorted(c for c in agg.scores if tax.is_known(c))
        reqs = [Requirement(code=c, weight=1.0) for c in measured]
        thresholds = job.thresholds if job else Thresholds()
        reasons.append(
            Reason(
                "profile_missing",
                "该岗位尚未设置人才画像：按已测维度等权计算",
                "No talent profile for this job yet: equal weights over the measured competencies",
            )
        )
    if not reqs:
        reasons.append(Reason("no_scores", "暂无可用的能力得分", "No competency scores to match yet"))
        return MatchReport(None, None, reasons, [], [], [], profile_defined)

    total_w = sum(r.weight for r in reqs)
    got_w = 0.0
    weighted = 0.0
    cap = Recommendation.HIRE
    gaps: list[str] = []
    radar = []
    for r in reqs:
        zh, en = tax.label(r.code, "zh"), tax.label(r.code, "en")
        s = agg.value(r.code)
        radar.append(
            {
                "code": r.code,
                "label": zh,
                "label_en": en,
                "score": round(s, 2) if s is not None else None,
                "required": r.min,
            }
        )
        if s is None:
            gaps.append(r.code)
            cap = _cap(cap, Recommendation.SECOND_INTERVIEW)
            must = "（必备）" if r.must_have else ""
            reasons.append(
                Reason(
                    "gap",
                    f"{zh}{must}：没有供应商测评该能力 — 需在复试中核实",
                    f"{en}{' (required)' if r.must_have else ''}: not measured by any vendor — "
                    "verify in the second interview",
                    r.code,
                )
            )
            continue
        got_w += r.weight
        weighted += r.weight * s
        if r.min is None:
            continue
        if s >= r.min:
            tag_zh, tag_en = ("必备 — 达标", "required — meets") if r.must_have else ("达标", "meets")
            reasons.append(
                Reason(
                    "meets",
                    f"{zh} {_fmt(s)} ≥ {_fmt(r.min)}，{tag_zh}",
                    f"{en} {_fmt(s)} ≥ {_fmt(r.min)}, {tag_en}",
                    r.code,
                )
            )
        elif r.must_have:
            cap = _cap(cap, Recommendation.REJECT)
            reasons.append(
                Reason(
                    "must_have_failed",
                    f"{zh} {_fmt(s)} < {_fmt(r.min)}，必备项未达标",
                    f"{en} {_fmt(s)} < {_fmt(r.min)}, required — not met",
                    r.code,
                )
            )
        else:
            cap = _cap(cap, Recommendation.SECOND_INTERVIEW)
            reasons.append(
                Reason(
                    "below_min",
                    f"{zh} {_fmt(s)} < {_fmt(r.min)} — 需在复试中核实",
                    f"{en} {_fmt(s)} < {_fmt(r.min)} — verify in the second interview",
                    r.code,
                )
            )

    disagreements = sorted(
        code for code in (r.code for r in reqs) if code in agg.scores and agg.scores[code].disagreement
    )
    for code in disagreements:
        c = agg.scores[code]
        vs = "、".join(f"{s.vendor} {_fmt(s.normalized)}" for s in c.sources)
        reasons.append(
            Reason(
                "disagreement",
                f"{tax.label(code)}：供应商评分分歧 {_fmt(c.spread)} 分（{vs}）",
                f"{tax.label(code, 'en')}: vendors disagree by {_fmt(c.spread)} points ({vs})",
                code,
            )
        )
    if got_w == 0:
        return MatchReport(None, None, reasons, radar, gaps, disagreements, profile_defined)

    score = round(weighted / got_w, 2)
    hire_t, second_t = thresholds.hire, thresholds.second_interview
    if score >= hire_t:
        rec = Recommendation.HIRE
    elif score >= second_t:
        rec = Recommendation.SECOND_INTERVIEW
    else:
        rec = Recommendation.REJECT
    reasons.insert(
        0,
        Reason(
            "threshold",
            f"综合匹配度 {_fmt(score)}（录用线 {_fmt(hire_t)}，复试线 {_fmt(second_t)}）",
            f"Match {_fmt(score)} (hire at {_fmt(hire_t)}, second interview at {_fmt(second_t)})",
        ),
    )
    if got_w < total_w:
        reasons.append(
            Reason(
                "coverage",
                f"已测能力覆盖岗位权重的 {got_w / total_w:.0%}",
                f"Measured competencies cover {got_w / total_w:.0%} of the job's weight",
            )
        )
    final = _cap(rec, cap)
    return MatchReport(score, final, reasons, radar, gaps, disagreements, profile_defined)

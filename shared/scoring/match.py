"""The job match: a weighted score over normalised competencies, gates, and readable reasons.

Pure logic: a job's talent profile and an Aggregate in, a MatchReport out. The rules are
written down in docs/scoring.md; in short:

- match = Σ wᵢ·sᵢ / Σ wᵢ over the profile's competencies that were measured (0–100);
- below `thresholds.second_interview` → reject, from `hire` on → hire, between → second interview;
- a must-have competency measured below its minimum → reject, whatever the match;
- any other competency below its minimum, or a profile competency no vendor measured
  (a gap), caps the recommendation at second interview: it is never silently averaged away;
- no talent profile yet → equal weights over the measured competencies, said in the reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.models.domain import Job, Recommendation, Requirement, Thresholds
from shared.scoring.aggregate import Aggregate
from shared.taxonomy import Taxonomy, default_taxonomy

_RANK = {Recommendation.REJECT: 0, Recommendation.SECOND_INTERVIEW: 1, Recommendation.HIRE: 2}
_REC_ZH = {
    Recommendation.HIRE: "推荐录用",
    Recommendation.SECOND_INTERVIEW: "建议复试",
    Recommendation.REJECT: "不推荐",
}
_REC_EN = {
    Recommendation.HIRE: "Recommended for hire",
    Recommendation.SECOND_INTERVIEW: "Second interview advised",
    Recommendation.REJECT: "Not recommended",
}


@dataclass(frozen=True)
class Reason:
    """One sentence a reviewer reads: `text` in zh-CN, `text_en` in English."""

    kind: str
    text: str
    text_en: str
    code: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "code": self.code, "text": self.text, "text_en": self.text_en}


@dataclass
class MatchReport:
    match_score: float | None
    recommendation: Recommendation | None
    reasons: list[Reason] = field(default_factory=list)
    radar: list[dict[str, Any]] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)
    profile_defined: bool = True
    coverage: float | None = None
    scores: dict[str, dict[str, Any]] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "match_score": self.match_score,
            "recommendation": self.recommendation.value if self.recommendation else None,
            "reasons": [r.to_dict() for r in self.reasons],
            "radar": self.radar,
            "gaps": self.gaps,
            "disagreements": self.disagreements,
            "profile_defined": self.profile_defined,
            "coverage": self.coverage,
            "scores": self.scores,
            "thresholds": self.thresholds,
        }


def cap(rec: Recommendation, at_most: Recommendation) -> Recommendation:
    return rec if _RANK[rec] <= _RANK[at_most] else at_most


def fmt(x: float) -> str:
    """A score as a person writes it: 90, 79.5, 79.96 — never rounded across a threshold."""
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _requirements(job: Job | None, agg: Aggregate, tax: Taxonomy) -> tuple[list[Requirement], Thresholds, bool]:
    if job is not None and job.profile_defined and job.competencies:
        return list(job.competencies), job.thresholds, True
    measured = sorted(c for c in agg.scores if tax.is_known(c))
    return [Requirement(code=c, weight=1.0) for c in measured], (job.thresholds if job else Thresholds()), False


def compute_match(job: Job | None, agg: Aggregate, taxonomy: Taxonomy | None = None) -> MatchReport:
    tax = taxonomy or default_taxonomy()
    reqs, thresholds, profile_defined = _requirements(job, agg, tax)
    reasons: list[Reason] = []
    if not profile_defined:
        reasons.append(
            Reason(
                "profile_missing",
                "该岗位尚未设置人才画像：按已测维度等权计算",
                "No talent profile for this job yet: equal weights over the measured competencies",
            )
        )
    report = MatchReport(
        None,
        None,
        reasons,
        profile_defined=profile_defined,
        thresholds={"hire": thresholds.hire, "second_interview": thresholds.second_interview},
        scores={code: c.to_dict() for code, c in sorted(agg.scores.items())},
    )
    if not reqs:
        reasons.append(Reason("no_scores", "暂无可用的能力得分", "No competency scores to match yet"))
        return report

    total_w = sum(r.weight for r in reqs)
    got_w = weighted = 0.0
    ceiling = Recommendation.HIRE
    failed_must: list[str] = []
    for r in reqs:
        zh, en = tax.label(r.code, "zh"), tax.label(r.code, "en")
        s = agg.value(r.code)
        report.radar.append(
            {
                "code": r.code,
                "label": zh,
                "label_en": en,
                "score": round(s, 2) if s is not None else None,
                "required": r.min,
                "must_have": r.must_have,
                "weight": r.weight,
            }
        )
        must_zh, must_en = ("（必备）", " (required)") if r.must_have else ("", "")
        if s is None:
            report.gaps.append(r.code)
            ceiling = cap(ceiling, Recommendation.SECOND_INTERVIEW)
            reasons.append(
                Reason(
                    "gap",
                    f"{zh}{must_zh}：没有供应商测评该能力 — 需在复试中核实",
                    f"{en}{must_en}: not measured by any vendor — verify in the second interview",
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
                    f"{zh} {fmt(s)} ≥ {fmt(r.min)}，{tag_zh}",
                    f"{en} {fmt(s)} ≥ {fmt(r.min)}, {tag_en}",
                    r.code,
                )
            )
        elif r.must_have:
            ceiling = cap(ceiling, Recommendation.REJECT)
            failed_must.append(r.code)
            reasons.append(
                Reason(
                    "must_have_failed",
                    f"{zh} {fmt(s)} < {fmt(r.min)}，必备项未达标",
                    f"{en} {fmt(s)} < {fmt(r.min)}, required — not met",
                    r.code,
                )
            )
        else:
            ceiling = cap(ceiling, Recommendation.SECOND_INTERVIEW)
            reasons.append(
                Reason(
                    "below_min",
                    f"{zh} {fmt(s)} < {fmt(r.min)} — 需在复试中核实",
                    f"{en} {fmt(s)} < {fmt(r.min)} — verify in the second interview",
                    r.code,
                )
            )

    report.disagreements = sorted(r.code for r in reqs if r.code in agg.scores and agg.scores[r.code].disagreement)
    for code in report.disagreements:
        c = agg.scores[code]
        vs = "、".join(f"{s.vendor} {fmt(s.normalized)}" for s in c.sources)
        vs_en = ", ".join(f"{s.vendor} {fmt(s.normalized)}" for s in c.sources)
        reasons.append(
            Reason(
                "disagreement",
                f"{tax.label(code)}：供应商评分相差 {fmt(c.spread)} 分（{vs}）— 请人工复核",
                f"{tax.label(code, 'en')}: vendors disagree by {fmt(c.spread)} points ({vs_en}) — review by hand",
                code,
            )
        )
    report.coverage = round(got_w / total_w, 4)
    if got_w == 0:
        return report
    if got_w < total_w:
        reasons.append(
            Reason(
                "coverage",
                f"已测能力覆盖岗位权重的 {got_w / total_w:.0%}",
                f"Measured competencies cover {got_w / total_w:.0%} of the job's weight",
            )
        )

    score = round(weighted / got_w, 2)
    hire_t, second_t = thresholds.hire, thresholds.second_interview
    if score >= hire_t:
        by_score = Recommendation.HIRE
    elif score >= second_t:
        by_score = Recommendation.SECOND_INTERVIEW
    else:
        by_score = Recommendation.REJECT
    final = cap(by_score, ceiling)
    report.match_score, report.recommendation = score, final
    reasons.insert(0, _verdict(score, by_score, final, hire_t, second_t, failed_must, tax))
    return report


def _verdict(
    score: float,
    by_score: Recommendation,
    final: Recommendation,
    hire_t: float,
    second_t: float,
    failed_must: list[str],
    tax: Taxonomy,
) -> Reason:
    s, h, t = fmt(score), fmt(hire_t), fmt(second_t)
    head_zh, head_en = _REC_ZH[final], _REC_EN[final]
    if final is by_score:
        if final is Recommendation.HIRE:
            zh, en = f"综合匹配度 {s} ≥ 录用线 {h}", f"match {s} ≥ hire threshold {h}"
        elif final is Recommendation.SECOND_INTERVIEW:
            zh, en = (
                f"综合匹配度 {s}，介于复试线 {t} 与录用线 {h} 之间",
                f"match {s}, between the second-interview threshold {t} and the hire threshold {h}",
            )
        else:
            zh, en = f"综合匹配度 {s} < 复试线 {t}", f"match {s} < second-interview threshold {t}"
    elif final is Recommendation.REJECT:
        zh, en = (
            f"综合匹配度 {s}，但必备能力未达标（{'、'.join(tax.label(c) for c in failed_must)}）",
            f"match {s}, but a required competency is not met ({', '.join(tax.label(c, 'en') for c in failed_must)})",
        )
    else:
        zh, en = (
            f"综合匹配度 {s} ≥ 录用线 {h}，但有能力低于最低要求或未被测评",
            f"match {s} ≥ hire threshold {h}, but a competency is below its minimum or was not measured",
        )
    return Reason("verdict", f"{head_zh}：{zh}", f"{head_en}: {en}")

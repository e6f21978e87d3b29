"""Scoring rules with hand-computed expectations (docs/scoring.md)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.models.domain import Job, Recommendation, Requirement, Thresholds
from shared.scoring.aggregate import DISAGREEMENT_MARGIN, aggregate
from shared.scoring.match import compute_match, fmt
from shared.scoring.percentile import bucket, percentile


def res(
    vendor: str,
    rid: str,
    dims: dict[str, Any],
    *,
    revision: int = 1,
    completed: str = "2026-11-20T08:00:00Z",
    status: str = "active",
) -> dict[str, Any]:
    flat = []
    for code, v in dims.items():
        for x in v if isinstance(v, list) else [v]:
            flat.append({"code": code, "normalized": x})
    return {
        "vendor": vendor,
        "result_id": rid,
        "revision": revision,
        "completed_at": completed,
        "status": status,
        "dimensions": flat,
    }


def risk_job(**over: Any) -> Job:
    reqs = over.pop(
        "competencies",
        [
            Requirement(code="logical_thinking", weight=0.3, min=80, must_have=True),
            Requirement(code="stress_tolerance", weight=0.2, min=70),
            Requirement(code="communication", weight=0.2),
            Requirement(code="teamwork", weight=0.3),
        ],
    )
    return Job(
        job_id="JOB-7",
        title="风控分析师",
        department="risk",
        competencies=reqs,
        thresholds=Thresholds(hire=80, second_interview=65),
        profile_defined=True,
        **over,
    )


def texts(report: Any) -> list[str]:
    return [r.text for r in report.reasons]


def texts_en(report: Any) -> list[str]:
    return [r.text_en for r in report.reasons]


# --- weights ---------------------------------------------------------------------------------------


def test_weighted_mean_over_the_profile():
    # Given 90·0.3 + 70·0.2 + 80·0.2 + 60·0.3 = 27 + 14 + 16 + 18 = 75 over a weight of 1.0
    agg = aggregate(
        [res("a", "r1", {"logical_thinking": 90, "stress_tolerance": 70, "communication": 80, "teamwork": 60})]
    )
    # When matched against the risk analyst profile
    report = compute_match(risk_job(), agg)
    # Then the score is 75 and it sits between the thresholds: second interview
    assert report.match_score == 75.0
    assert report.recommendation is Recommendation.SECOND_INTERVIEW
    assert "逻辑思维 90 ≥ 80，必备 — 达标" in texts(report)
    assert "Logical thinking 90 ≥ 80, required — meets" in texts_en(report)
    assert report.reasons[0].kind == "verdict" and report.reasons[0].text.startswith("建议复试")


def test_weights_need_not_sum_to_one():
    # Given weights 3 and 1: (3·100 + 1·60) / 4 = 90
    job = risk_job(competencies=[Requirement(code="communication", weight=3), Requirement(code="teamwork", weight=1)])
    report = compute_match(job, aggregate([res("a", "r", {"communication": 100, "teamwork": 60})]))
    assert report.match_score == 90.0
    assert report.recommendation is Recommendation.HIRE


def test_thresholds_are_inclusive():
    job = risk_job(competencies=[Requirement(code="communication", weight=1)])
    assert compute_match(job, aggregate([res("a", "r", {"communication": 80})])).recommendation is Recommendation.HIRE
    second = compute_match(job, aggregate([res("a", "r", {"communication": 65})]))
    assert second.recommendation is Recommendation.SECOND_INTERVIEW
    low = compute_match(job, aggregate([res("a", "r", {"communication": 64.99})]))
    assert low.recommendation is Recommendation.REJECT


# --- gates ---------------------------------------------------------------------------------------------


def test_failed_must_have_is_never_hire():
    # Given a match of 0.3·79 + 0.7·100 = 93.7, far above the hire line, but the must-have 逻辑思维 below 80
    job = risk_job(
        competencies=[
            Requirement(code="logical_thinking", weight=0.3, min=80, must_have=True),
            Requirement(code="communication", weight=0.7),
        ]
    )
    report = compute_match(job, aggregate([res("a", "r", {"logical_thinking": 79, "communication": 100})]))
    # Then the recommendation is reject, and the reasons say why
    assert report.match_score == 93.7
    assert report.recommendation is Recommendation.REJECT
    assert "逻辑思维 79 < 80，必备项未达标" in texts(report)
    assert report.reasons[0].text == "不推荐：综合匹配度 93.7，但必备能力未达标（逻辑思维）"


def test_below_minimum_caps_at_second_interview():
    # Given 抗压能力 62 < 70 (not a must-have) in an otherwise excellent profile: 0.2·62 + 0.8·95 = 88.4
    job = risk_job(
        competencies=[
            Requirement(code="stress_tolerance", weight=0.2, min=70),
            Requirement(code="communication", weight=0.8),
        ]
    )
    report = compute_match(job, aggregate([res("a", "r", {"stress_tolerance": 62, "communication": 95})]))
    assert report.match_score == 88.4
    assert report.recommendation is Recommendation.SECOND_INTERVIEW
    assert "抗压能力 62 < 70 — 需在复试中核实" in texts(report)
    assert "Stress tolerance 62 < 70 — verify in the second interview" in texts_en(report)


def test_a_score_just_below_the_minimum_is_not_rounded_up():
    job = risk_job(competencies=[Requirement(code="logical_thinking", weight=1, min=80, must_have=True)])
    report = compute_match(job, aggregate([res("a", "r", {"logical_thinking": 79.96})]))
    assert report.recommendation is Recommendation.REJECT
    assert "逻辑思维 79.96 < 80，必备项未达标" in texts(report)
    assert fmt(80.0) == "80" and fmt(79.5) == "79.5"


# --- missing competencies -------------------------------------------------------------------------------


def test_unmeasured_competency_is_a_gap_not_averaged_away():
    # Given the profile needs teamwork (weight 0.5) that no vendor measured
    job = risk_job(
        competencies=[Requirement(code="communication", weight=0.5), Requirement(code="teamwork", weight=0.5, min=60)]
    )
    report = compute_match(job, aggregate([res("a", "r", {"communication": 90})]))
    # Then the score covers what was measured, but the gap is reported and blocks "hire"
    assert report.match_score == 90.0
    assert report.gaps == ["teamwork"]
    assert report.coverage == 0.5
    assert report.recommendation is Recommendation.SECOND_INTERVIEW
    assert "团队协作：没有供应商测评该能力 — 需在复试中核实" in texts(report)
    assert "已测能力覆盖岗位权重的 50%" in texts(report)
    radar = {p["code"]: p for p in report.radar}
    assert radar["teamwork"]["score"] is None and radar["teamwork"]["required"] == 60


def test_nothing_measured_gives_no_score():
    report = compute_match(risk_job(), aggregate([res("a", "r", {"innovation": 90})]))
    assert report.match_score is None and report.recommendation is None
    assert set(report.gaps) == {"logical_thinking", "stress_tolerance", "communication", "teamwork"}


def test_missing_profile_falls_back_to_equal_weights_over_measured():
    # Given a job first seen in a webhook (no profile): (90 + 60) / 2 = 75; unmapped labels do not count
    agg = aggregate([res("a", "r", {"communication": 90, "teamwork": 60, "unmapped:气质": 0})])
    for job in (None, Job(job_id="J", profile_defined=False)):
        report = compute_match(job, agg)
        assert report.match_score == 75.0
        assert report.profile_defined is False
        assert report.reasons[1].kind == "profile_missing"
        assert "尚未设置人才画像" in report.reasons[1].text
        assert [p["code"] for p in report.radar] == ["communication", "teamwork"]
        assert all(p["required"] is None for p in report.radar)


# --- several vendors ------------------------------------------------------------------------------------


def test_vendors_are_averaged_and_sources_kept():
    agg = aggregate([res("acme", "r1", {"communication": 90}), res("zp", "r2", {"communication": 60})])
    c = agg.scores["communication"]
    assert c.score == 75.0
    assert {(s.vendor, s.result_id, s.normalized) for s in c.sources} == {("acme", "r1", 90), ("zp", "r2", 60)}


def test_disagreement_beyond_the_margin_is_flagged():
    # Given vendors 30 points apart on communication and 15 apart on teamwork
    agg = aggregate(
        [
            res("acme", "r1", {"communication": 90, "teamwork": 80}),
            res("zp", "r2", {"communication": 60, "teamwork": 95}),
        ]
    )
    assert agg.scores["communication"].disagreement is True
    assert agg.scores["teamwork"].disagreement is False
    job = risk_job(competencies=[Requirement(code="communication", weight=1), Requirement(code="teamwork", weight=1)])
    report = compute_match(job, agg)
    assert report.disagreements == ["communication"]
    assert "沟通能力：供应商评分相差 30 分（acme 90、zp 60）— 请人工复核" in texts(report)
    assert report.scores["communication"]["sources"] == [
        {"vendor": "acme", "result_id": "r1", "score": 90.0},
        {"vendor": "zp", "result_id": "r2", "score": 60.0},
    ]


def test_a_spread_of_exactly_the_margin_is_not_a_disagreement():
    agg = aggregate(
        [res("a", "r1", {"communication": 70}), res("b", "r2", {"communication": 70 + DISAGREEMENT_MARGIN})]
    )
    assert agg.scores["communication"].disagreement is False


def test_only_the_latest_active_result_per_vendor_counts():
    agg = aggregate(
        [
            res("acme", "r1", {"communication": 50}, revision=1, completed="2026-11-01T00:00:00Z"),
            res("acme", "r2", {"communication": 90}, revision=1, completed="2026-11-20T00:00:00Z"),
            res("zp", "r3", {"communication": 10}, status="withdrawn"),
        ]
    )
    assert agg.value("communication") == 90.0
    assert [s.vendor for s in agg.scores["communication"].sources] == ["acme"]


def test_one_vendor_splitting_a_competency_gets_one_vote():
    # Given acme sends two labels that both map to communication (80, 100) and zp sends 60
    agg = aggregate([res("acme", "r1", {"communication": [80, 100]}), res("zp", "r2", {"communication": 60})])
    # Then acme counts once with 90: (90 + 60) / 2 = 75, not (80 + 100 + 60) / 3 = 80
    assert agg.value("communication") == 75.0


def test_hr_adjustment_takes_precedence():
    r = res("acme", "r1", {"communication": 50})
    r["dimensions"][0]["adjusted_normalized"] = 85
    assert aggregate([r]).value("communication") == 85.0


# --- percentile --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "hist", "counted", "expected"),
    [
        (60, {50: 1, 60: 2, 70: 1}, True, 50.0),  # others: 50, 60, 70 → 1 below + ½ tie of 3
        (70, {50: 1, 60: 2, 70: 1}, True, 100.0),
        (50, {50: 1, 60: 2, 70: 1}, True, 0.0),
        (65, {50: 1, 60: 2, 70: 1}, False, 75.0),  # not in the histogram yet: 3 of 4 below
        (88, {88: 1}, True, 100.0),  # the only scored candidate
        (None, {50: 1}, True, None),
    ],
)
def test_percentile(score, hist, counted, expected):
    assert percentile(score, hist, counted=counted) == expected


def test_buckets_are_whole_points_clamped():
    assert bucket(79.4) == "h079" and bucket(79.6) == "h080" and bucket(-3) == "h000" and bucket(100) == "h100"

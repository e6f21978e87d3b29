"""Calibration figures against a small example worked out by hand (the arithmetic is in comments)."""

from __future__ import annotations

import pytest

from shared.analytics.calibration import Case, calibrate, pearson

CASES = [
    # 1: hire → probation passed                                        good
    Case("hire", 90, "hired", ("a",), {"communication": 90}, {"a": 88}, True, 80, True, 85, {"communication": 85}),
    # 2: hire → probation failed                                        bad
    Case("hire", 80, "hired", ("a", "b"), {"communication": 80}, {"a": 82, "b": 70}, True, 70, False, 40,
         {"communication": 60}),
    # 3: second_interview → second interview failed                     bad
    Case("second_interview", 70, "rejected", ("b",), {"communication": 70}, {"b": 65}, False, 50, None, None,
         {"communication": 50}),
    # 4: reject → rejected                                              bad
    Case("reject", 50, "rejected", ("b",), {"communication": 50}, {"b": 45}),
    # 5: reject → second interview passed                               good
    Case("reject", 60, "offer", ("a",), {"communication": 60}, {"a": 62}, True, 75, None, None,
         {"communication": 70}),
    # 6: hire → hired, no probation result yet: no outcome, left out
    Case("hire", 85, "hired", ("a",), {"communication": 85}, {"a": 86}),
    # 7: not scored → rejected                                          bad, but not in accuracy
    Case(None, None, "rejected", ("b",)),
]  # fmt: skip


def test_matrix_and_accuracy() -> None:
    r = calibrate(CASES)
    assert r["n"] == 6  # case 6 has no outcome yet
    m = r["matrix"]
    assert m["hire"] == {**dict.fromkeys(m["hire"], 0), "probation_passed": 1, "probation_failed": 1, "n": 2}
    assert m["second_interview"]["second_interview_failed"] == 1 and m["second_interview"]["n"] == 1
    assert m["reject"]["rejected"] == 1 and m["reject"]["second_interview_passed"] == 1 and m["reject"]["n"] == 2
    assert m["unscored"]["rejected"] == 1 and m["unscored"]["n"] == 1
    # right: 1 (yes→good), 4 (no→bad); wrong: 2, 3, 5 → 2 of 5 scored cases
    assert r["accuracy"] == {"value": 0.4, "n": 5}
    assert r["hire_precision"] == {"value": 0.5, "n": 2}  # 1 of cases 1, 2 turned out well
    assert r["reject_precision"] == {"value": 0.5, "n": 2}  # case 4 bad, case 5 good


def test_correlations_with_their_n() -> None:
    c = calibrate(CASES)["correlation"]
    # (90,80) (80,70) (70,50) (60,75): dx 15 5 -5 -15, dy 11.25 1.25 -18.75 6.25
    # sxy 175, sxx 500, syy 518.75 → r = 175 / sqrt(259375) = 0.34362
    assert c["match_score_vs_second_interview_rating"] == {"r": pytest.approx(0.3436, abs=1e-4), "n": 4}
    # two pairs only: no r, the n still shown
    assert c["match_score_vs_probation_rating"] == {"r": None, "n": 2}
    # latest rating (probation over interview): (90,85) (80,40) (70,50) (60,75)
    # sxy 100, sxx 500, syy 1325 → r = 100 / sqrt(662500) = 0.12286
    assert c["match_score_vs_latest_rating"] == {"r": pytest.approx(0.1229, abs=1e-4), "n": 4}


def test_per_vendor_and_per_competency() -> None:
    r = calibrate(CASES)
    a = r["per_vendor"]["a"]
    assert a["n"] == 3  # cases 1, 2, 5 (6 has no outcome)
    assert a["accuracy"] == {"value": pytest.approx(1 / 3, abs=1e-4), "n": 3}
    # vendor a's own scores vs latest rating: (88,85) (82,40) (62,75)
    # Σxy 15410 - 232·200/3 = -56.667; sxx 18312 - 232²/3 = 370.667; syy 14450 - 200²/3 = 1116.667 → r = -0.0881
    assert a["vendor_score_vs_latest_rating"] == {"r": pytest.approx(-0.0881, abs=1e-4), "n": 3}
    b = r["per_vendor"]["b"]
    assert b["n"] == 4 and b["matrix"]["unscored"]["n"] == 1
    comm = r["per_competency"]["communication"]
    assert comm["score_vs_latest_rating"] == {"r": pytest.approx(0.1229, abs=1e-4), "n": 4}
    # (90,85) (80,60) (70,50) (60,70): sxy 275, sxx 500, syy 668.75 → r = 275 / sqrt(334375) = 0.47557
    assert comm["score_vs_competency_rating"] == {"r": pytest.approx(0.4756, abs=1e-4), "n": 4}


def test_pearson_edges() -> None:
    assert pearson([(1, 2), (2, 4), (3, 6)]) == pytest.approx(1.0)
    assert pearson([(1, 3), (2, 2), (3, 1)]) == pytest.approx(-1.0)
    assert pearson([(1, 5), (2, 5), (3, 5)]) is None  # no variance
    assert pearson([(1, 5), (2, 6)]) is None  # too few


def test_nothing_known_gives_empty_figures_with_zero_n() -> None:
    r = calibrate([Case("hire", 90, "awaiting_review")])
    assert r["n"] == 0 and r["accuracy"] == {"value": None, "n": 0}
    assert r["correlation"]["match_score_vs_latest_rating"] == {"r": None, "n": 0}

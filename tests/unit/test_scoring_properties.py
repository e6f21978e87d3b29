"""Properties of the match: the score stays within 0–100 and never falls when a competency rises."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.models.domain import Job, Recommendation, Requirement, Thresholds
from shared.scoring.aggregate import aggregate
from shared.scoring.match import compute_match
from shared.taxonomy import default_taxonomy

CODES = sorted(default_taxonomy().competencies)
RANK = {None: -1, Recommendation.REJECT: 0, Recommendation.SECOND_INTERVIEW: 1, Recommendation.HIRE: 2}
score = st.floats(min_value=0, max_value=100, allow_nan=False)


@st.composite
def jobs(draw: st.DrawFn) -> Job:
    codes = draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=len(CODES), unique=True))
    reqs = [
        Requirement(
            code=c,
            weight=draw(st.floats(min_value=0.01, max_value=10, allow_nan=False)),
            min=draw(st.none() | score),
            must_have=draw(st.booleans()),
        )
        for c in codes
    ]
    second = draw(score)
    hire = draw(st.floats(min_value=second, max_value=100))
    defined = draw(st.booleans())
    return Job(
        job_id="J",
        competencies=reqs,
        thresholds=Thresholds(hire=hire, second_interview=second),
        profile_defined=defined,
    )


@st.composite
def vendor_results(draw: st.DrawFn) -> list[dict]:
    out = []
    for v in draw(st.lists(st.sampled_from(["acme", "zp", "va"]), min_size=1, max_size=3, unique=True)):
        dims = draw(st.dictionaries(st.sampled_from(CODES), score, max_size=len(CODES)))
        out.append(
            {
                "vendor": v,
                "result_id": f"r-{v}",
                "revision": 1,
                "completed_at": None,
                "dimensions": [{"code": c, "normalized": s} for c, s in dims.items()],
            }
        )
    return out


@settings(max_examples=300, deadline=None)
@given(jobs(), vendor_results())
def test_score_is_within_0_and_100(job, results):
    report = compute_match(job, aggregate(results))
    assert report.match_score is None or 0 <= report.match_score <= 100
    if report.match_score is None:
        assert report.recommendation is None


@settings(max_examples=300, deadline=None)
@given(jobs(), vendor_results(), st.sampled_from(CODES), st.floats(min_value=0, max_value=100))
def test_monotone_in_each_competency(job, results, code, raise_by):
    # Given one vendor's score on one competency raised (capped at 100)
    before = compute_match(job, aggregate(results))
    bumped = [dict(r, dimensions=[dict(d) for d in r["dimensions"]]) for r in results]
    dims = bumped[0]["dimensions"]
    hit = [d for d in dims if d["code"] == code]
    if hit:
        hit[0]["normalized"] = min(100.0, hit[0]["normalized"] + raise_by)
    else:
        dims.append({"code": code, "normalized": 100.0})  # measuring a gap at the top of the scale
    after = compute_match(job, aggregate(bumped))
    # Then neither the score nor the recommendation goes down
    if hit and before.match_score is not None:
        assert after.match_score is not None and after.match_score >= before.match_score - 1e-9
    if hit:
        assert RANK[after.recommendation] >= RANK[before.recommendation]

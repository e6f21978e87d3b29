"""Normalisation to 0–100, the `generic` adapter (CONTRACT §4.1) and the taxonomy (§4.4)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.models.results import EventKind, ScaledScore, normalize
from shared.taxonomy import Taxonomy, default_taxonomy
from shared.vendors.adapters.base import PayloadInvalid
from shared.vendors.adapters.generic import GenericAdapter
from shared.vendors.registry import adapter_for

CONTRACT_EXAMPLE: dict[str, Any] = {
    "type": "interview.result.completed",
    "occurred_at": "2026-11-20T08:30:00Z",
    "data": {
        "result_id": "R-1001",
        "revision": 1,
        "candidate": {
            "external_id": "C-9",
            "name": "张三",
            "email": "zhangsan@example.com",
            "phone": "+8613800000000",
        },
        "job": {"external_id": "JOB-7", "title": "风控分析师", "department": "risk"},
        "completed_at": "2026-11-20T08:20:00Z",
        "overall": {"score": 4.2, "scale_min": 1, "scale_max": 5},
        "dimensions": [
            {
                "code": "communication",
                "label": "沟通能力",
                "score": 85,
                "scale_min": 0,
                "scale_max": 100,
                "comment": "表达清晰",
            }
        ],
        "answers": [
            {
                "question_id": "q1",
                "question": "请介绍一次团队合作的经历",
                "transcript": "……",
                "media": {"url": "https://vendor.example/m/1.mp4", "content_type": "video/mp4", "duration_s": 95},
            }
        ],
        "analyses": [
            {"kind": "speech", "summary": "语速适中", "metrics": {"words_per_minute": 182, "filler_ratio": 0.03}},
            {"kind": "expression", "summary": "表情自然", "metrics": {"eye_contact": 0.81}},
        ],
        "consent": {"biometric_analysis": True},
        "report_url": "https://vendor.example/r/R-1001",
    },
}


def _doc(**data_changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(CONTRACT_EXAMPLE)
    for k, v in data_changes.items():
        if v is _DROP:
            doc["data"].pop(k, None)
        else:
            doc["data"][k] = v
    return doc


_DROP = object()


def _parse(doc: Any) -> Any:
    raw = doc if isinstance(doc, bytes) else json.dumps(doc, ensure_ascii=False).encode()
    return GenericAdapter().parse("acme", raw)


def _errors(doc: Any) -> list[dict[str, Any]]:
    with pytest.raises(PayloadInvalid) as info:
        _parse(doc)
    errors = info.value.errors
    assert errors, "a rejected payload must say why"
    for e in errors:
        assert isinstance(e["loc"], list) and isinstance(e["msg"], str) and e["msg"]
    return errors


def _locs(errors: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [tuple(e["loc"]) for e in errors]


def _dim(**fields: Any) -> dict[str, Any]:
    return {"score": 80, "scale_min": 0, "scale_max": 100, **fields}


# -- normalisation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "lo", "hi", "expected"),
    [
        (4.2, 1, 5, 80.0),
        (1, 1, 5, 0.0),
        (5, 1, 5, 100.0),
        (85, 0, 100, 85.0),
        (0, 0, 100, 0.0),
        (7.8, 0, 10, 78.0),
        (3, 1, 5, 50.0),
        (-5, -10, 10, 25.0),
    ],
)
def test_scores_normalise_to_0_100(score, lo, hi, expected):
    assert normalize(score, lo, hi) == pytest.approx(expected)
    assert ScaledScore(score=score, scale_min=lo, scale_max=hi).normalized == pytest.approx(expected)


@pytest.mark.parametrize(
    ("score", "lo", "hi"), [(5.5, 1, 5), (0, 1, 5), (101, 0, 100), (-0.1, 0, 100), (3, 5, 5), (3, 5, 1)]
)
def test_a_score_off_its_scale_is_refused(score, lo, hi):
    with pytest.raises(ValidationError):
        ScaledScore(score=score, scale_min=lo, scale_max=hi)


@given(
    lo=st.floats(-1000, 1000, allow_nan=False),
    width=st.floats(0.001, 1000, allow_nan=False),
    frac=st.floats(0, 1),
)
def test_normalised_scores_stay_in_0_100_and_keep_order(lo, width, frac):
    hi = lo + width
    score = min(hi, lo + frac * width)
    n = normalize(score, lo, hi)
    assert -0.001 <= n <= 100.001
    assert normalize(lo, lo, hi) <= n <= normalize(hi, lo, hi)


def test_out_of_scale_scores_in_a_payload_are_payload_invalid():
    # Given a vendor claiming 6 on a 1–5 scale, Then the payload is refused with the field named
    errors = _errors(_doc(dimensions=[_dim(code="communication", score=6, scale_min=1, scale_max=5)]))
    assert any("outside" in e["msg"] for e in errors)
    errors = _errors(_doc(overall={"score": 4, "scale_min": 5, "scale_max": 1}))
    assert any("scale_max" in e["msg"] for e in errors)


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity", "1e400", "1e300"])
def test_non_finite_or_absurd_numbers_are_payload_invalid(bad):
    # Given a signed body whose numbers JSON parsers turn into inf/nan or beyond what DynamoDB stores
    raw = json.dumps(_doc(dimensions=[_dim(code="communication")])).replace('"scale_max": 100', f'"scale_max": {bad}')
    raw = raw.replace('"score": 80', f'"score": {bad}')
    # Then it is refused at the door (quarantined), not accepted and left to poison the queue
    with pytest.raises(PayloadInvalid):
        _parse(raw.encode())


# -- the generic adapter ---------------------------------------------------------------------------


def test_the_contract_example_maps_every_field():
    r = _parse(CONTRACT_EXAMPLE)
    assert r.kind is EventKind.COMPLETED
    assert (r.vendor, r.vendor_result_id, r.revision) == ("acme", "R-1001", 1)
    assert r.occurred_at.isoformat() == "2026-11-20T08:30:00+00:00"
    assert r.completed_at.isoformat() == "2026-11-20T08:20:00+00:00"
    assert r.candidate.model_dump() == {
        "external_id": "C-9",
        "name": "张三",
        "email": "zhangsan@example.com",
        "phone": "+8613800000000",
    }
    assert (r.job.external_id, r.job.title, r.job.department) == ("JOB-7", "风控分析师", "risk")
    assert (r.overall.score, r.overall.scale_min, r.overall.scale_max) == (4.2, 1, 5)
    assert r.overall.normalized == pytest.approx(80.0)
    (d,) = r.dimensions
    assert (d.code, d.label, d.score, d.scale_min, d.scale_max, d.comment) == (
        "communication",
        "沟通能力",
        85,
        0,
        100,
        "表达清晰",
    )
    assert d.normalized == 85
    (a,) = r.answers
    assert (a.question_id, a.question, a.transcript) == ("q1", "请介绍一次团队合作的经历", "……")
    assert a.media.model_dump() == {
        "url": "https://vendor.example/m/1.mp4",
        "content_type": "video/mp4",
        "duration_s": 95,
    }
    assert [(x.kind, x.summary) for x in r.analyses] == [("speech", "语速适中"), ("expression", "表情自然")]
    assert r.analyses[0].metrics == {"words_per_minute": 182, "filler_ratio": 0.03}
    assert r.biometric_consent is True
    assert r.report_url == "https://vendor.example/r/R-1001"
    assert r.unmapped_labels == []


def test_the_registry_serves_the_generic_adapter():
    assert isinstance(adapter_for("generic"), GenericAdapter)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("interview.result.completed", EventKind.COMPLETED),
        ("interview.result.updated", EventKind.UPDATED),
        ("interview.result.withdrawn", EventKind.WITHDRAWN),
    ],
)
def test_event_types_map_to_kinds(kind, expected):
    doc = _doc()
    doc["type"] = kind
    assert _parse(doc).kind is expected


def test_optional_fields_may_be_missing():
    # Given only what §4.1 requires
    doc = _doc(overall=_DROP, answers=_DROP, analyses=_DROP, consent=_DROP, report_url=_DROP)
    doc["data"]["candidate"] = {"external_id": "C-9", "name": "张三"}
    doc["data"]["dimensions"] = [{"code": "communication", "score": 85, "scale_min": 0, "scale_max": 100}]
    # When parsed, Then it is a complete result with the optional parts empty
    r = _parse(doc)
    assert r.overall is None and r.answers == () and r.analyses == () and r.report_url is None
    assert r.biometric_consent is None
    assert r.candidate.email is None and r.candidate.phone is None
    assert r.dimensions[0].comment is None
    assert r.dimensions[0].label == "沟通能力"  # a code without a label gets the taxonomy's label


def test_a_candidate_known_only_by_email_or_phone_is_accepted():
    r = _parse(_doc(candidate={"email": "a@example.com"}))
    assert r.candidate.external_id is None and r.candidate.email == "a@example.com"
    assert _parse(_doc(candidate={"phone": "13800000000"})).candidate.phone == "13800000000"


def test_a_withdrawal_needs_only_the_result_id_and_revision():
    doc = {
        "type": "interview.result.withdrawn",
        "occurred_at": "2026-11-21T08:00:00Z",
        "data": {"result_id": "R-1001", "revision": 2},
    }
    r = _parse(doc)
    assert r.kind is EventKind.WITHDRAWN and r.revision == 2 and r.candidate is None and r.dimensions == ()


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"revision": "two"}, ("data", "revision")),
        ({"revision": -1}, ("data", "revision")),
        ({"revision": 1.5}, ("data", "revision")),
        ({"revision": 10**40}, ("data", "revision")),
        ({"result_id": ""}, ("data", "result_id")),
        ({"result_id": 42}, ("data", "result_id")),
        ({"dimensions": "communication"}, ("data", "dimensions")),
        ({"dimensions": [_dim(code="communication", score="high")]}, ("data", "dimensions", 0, "score")),
        ({"dimensions": [_dim(code="communication", scale_max=None)]}, ("data", "dimensions", 0, "scale_max")),
        ({"completed_at": "yesterday"}, ("data", "completed_at")),
        ({"job": {"title": "x"}}, ("data", "job", "external_id")),
        ({"candidate": "C-9"}, ("data", "candidate")),
        ({"answers": [{"question": "q"}]}, ("data", "answers", 0, "question_id")),
        ({"answers": [{"question_id": "q1", "media": {"url": 5}}]}, ("data", "answers", 0, "media", "url")),
        ({"analyses": [{"kind": "handwriting"}]}, ("data", "analyses", 0, "kind")),
        ({"consent": {"biometric_analysis": "maybe"}}, ("data", "consent", "biometric_analysis")),
        ({"overall": {"score": 4}}, ("data", "overall", "scale_min")),
    ],
)
def test_wrong_types_are_payload_invalid_with_field_errors(change, loc):
    # Given a body with one field wrong; Then the errors point at that field
    errors = _errors(_doc(**change))
    assert loc in _locs(errors), errors


def test_wrong_top_level_fields_are_named():
    doc = _doc()
    doc["type"] = "interview.result.exploded"
    del doc["occurred_at"]
    locs = _locs(_errors(doc))
    assert ("type",) in locs and ("occurred_at",) in locs


@pytest.mark.parametrize(
    "raw",
    [b"", b"not json", b'{"type": ', b"[1, 2, 3]", b'"a string"', b"\xff\xfe\x00garbage", b"null"],
)
def test_bodies_that_are_not_a_json_object_are_payload_invalid(raw):
    with pytest.raises(PayloadInvalid) as info:
        GenericAdapter().parse("acme", raw)
    assert info.value.errors[0]["loc"] == ["body"]


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"candidate": {"name": "张三"}}, "external_id, email or phone"),
        ({"candidate": _DROP}, "data.candidate"),
        ({"job": _DROP}, "data.job"),
        ({"completed_at": _DROP}, "data.completed_at"),
        ({"dimensions": []}, "at least one dimension"),
        ({"dimensions": [{"score": 1, "scale_min": 0, "scale_max": 5}]}, "code or a label"),
    ],
)
def test_a_completed_result_without_its_essentials_is_refused(change, needle):
    errors = _errors(_doc(**change))
    assert any(needle in e["msg"] for e in errors), errors


# -- labels through the taxonomy ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("沟通能力", "communication"),
        ("沟通表达", "communication"),
        ("Communication Skills", "communication"),
        ("团队合作", "teamwork"),
        ("Teamwork & Collaboration", "teamwork"),
        ("Problem-Solving", "problem_solving"),
        ("抗压能力", "stress_tolerance"),
        ("Stress Tolerance", "stress_tolerance"),
        ("学习能力", "learning_agility"),
        ("领导力", "leadership"),
        ("客户导向", "customer_orientation"),
        ("专业知识", "professional_knowledge"),
        ("创新思维", "innovation"),
        ("逻辑思维", "logical_thinking"),
        ("问题解决", "problem_solving"),
    ],
)
def test_a_label_only_dimension_maps_through_the_taxonomy(label, code):
    r = _parse(_doc(dimensions=[_dim(label=label)]))
    assert r.dimensions[0].code == code
    assert r.dimensions[0].label == label  # the vendor's own words are kept
    assert r.unmapped_labels == []


def test_an_unknown_label_is_kept_as_unmapped_never_dropped():
    # Given two dimensions, one the taxonomy does not know
    r = _parse(_doc(dimensions=[_dim(label="飞行驾驶", score=70), _dim(label="沟通能力")]))
    # Then both are kept, the unknown one as unmapped:<label>, and reported
    assert [d.code for d in r.dimensions] == ["unmapped:飞行驾驶", "communication"]
    assert r.dimensions[0].normalized == 70
    assert r.unmapped_labels == ["飞行驾驶"]


def test_an_unknown_code_falls_back_to_its_label_then_to_unmapped():
    r = _parse(_doc(dimensions=[_dim(code="comm", label="Communication"), _dim(code="piloting")]))
    assert [d.code for d in r.dimensions] == ["communication", "unmapped:piloting"]
    assert r.unmapped_labels == ["piloting"]


def test_a_known_code_wins_over_its_label():
    r = _parse(_doc(dimensions=[_dim(code="teamwork", label="沟通能力")]))
    assert r.dimensions[0].code == "teamwork"


def test_every_contract_code_and_its_zh_label_are_known():
    contract = {
        "communication": "沟通能力",
        "teamwork": "团队协作",
        "problem_solving": "问题解决",
        "logical_thinking": "逻辑思维",
        "innovation": "创新思维",
        "stress_tolerance": "抗压能力",
        "learning_agility": "学习能力",
        "leadership": "领导力",
        "customer_orientation": "客户导向",
        "professional_knowledge": "专业知识",
    }
    tax = default_taxonomy()
    assert set(tax.competencies) == set(contract)
    for code, zh in contract.items():
        assert tax.code_for(zh) == code
        assert tax.code_for(code) == code
        assert tax.label(code) == zh
        assert tax.code_for(tax.label(code, "en")) == code


@pytest.mark.parametrize(
    "label",
    [
        "communication skills",
        "COMMUNICATION SKILLS",
        "  Communication   Skills ",
        "communication_skills",
        "Communication-Skills",
        "communicationskills",
    ],
)
def test_labels_fold_case_spaces_and_separators(label):
    assert default_taxonomy().code_for(label) == "communication"


@pytest.mark.parametrize("label", ["", None, "communicat", "沟通能力强", "skills"])
def test_near_misses_do_not_map(label):
    assert default_taxonomy().code_for(label) is None


def test_unmapped_labels_resolve_and_label_back():
    tax = default_taxonomy()
    assert tax.resolve(None, "飞行驾驶") == "unmapped:飞行驾驶"
    assert tax.label("unmapped:飞行驾驶") == "飞行驾驶"
    assert not tax.is_known("unmapped:飞行驾驶")


def test_a_deployment_can_extend_the_taxonomy_as_data():
    # Given a taxonomy with an extra synonym; Then an adapter built on it maps that label
    tax = Taxonomy.from_data(
        {"competencies": [{"code": "communication", "zh": "沟通能力", "en": "Communication", "synonyms": ["口才"]}]}
    )
    r = GenericAdapter(tax).parse("acme", json.dumps(_doc(dimensions=[_dim(label="口才")])).encode())
    assert r.dimensions[0].code == "communication"

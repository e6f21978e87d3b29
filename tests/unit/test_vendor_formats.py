"""The `vidassess` and `zhiping` adapters (CONTRACT §4.2, §4.3), from payloads written for these tests."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import pytest

from shared.models.results import EventKind
from shared.taxonomy import _fold, default_taxonomy
from shared.vendors.adapters.base import PayloadInvalid
from shared.vendors.registry import ADAPTERS, adapter_for


def parse(fmt: str, doc: Any) -> Any:
    return adapter_for(fmt).parse("acme", json.dumps(doc, ensure_ascii=False).encode())


def errors(fmt: str, doc: Any) -> list[dict[str, Any]]:
    with pytest.raises(PayloadInvalid) as exc:
        parse(fmt, doc)
    return exc.value.errors


def vidassess(**over: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "event": "assessment.scored",
        "event_time": 1763626200,
        "assessment": {
            "id": "VA-77",
            "version": 3,
            "finished": "2026-11-20T08:20:00+08:00",
            "applicant": {
                "ref": "C-9",
                "full_name": "Zhang San",
                "contact": {"email": "zs@example.com", "phone": "+86 138 0000 0000"},
            },
            "requisition": {"code": "JOB-7", "name": "Risk Analyst", "org_unit": "risk"},
            "competencies": [
                {"name": "Communication Skills", "rating": 4.5, "comment": "clear"},
                {"name": "Stress Tolerance", "rating": 3},
                {"name": "Grit", "rating": 1},
            ],
            "overall_rating": 4.1,
            "questions": [
                {"qid": "1", "prompt": "Tell us about a conflict", "transcript": "Once...", "video": "https://v/1.mp4"}
            ],
            "report_url": "https://vidassess.example/r/VA-77",
        },
    }
    doc.update(over)
    return doc


def zhiping(**over: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "事件": "面试完成",
        "时间戳": 1763626200000,
        "面试": {
            "面试编号": "ZP-5",
            "版本": 1,
            "完成时间": 1763626000000,
            "候选人": {"编号": "C-9", "姓名": "张三", "手机": "13800000000", "邮箱": "zs@example.com"},
            "岗位": {"编号": "JOB-7", "名称": "风控分析师", "部门": "risk"},
            "维度得分": [
                {"维度": "沟通表达", "得分": 8.5, "评语": "表达清晰"},
                {"维度": "抗压能力", "得分": 6.0},
                {"维度": "钻研精神", "得分": 10},
            ],
            "综合得分": 7.8,
            "百分位": 85,
            "作答": [{"题号": "1", "题目": "请介绍一次冲突", "文字稿": "有一次……", "音频": "https://zp/a/1.mp3"}],
            "报告链接": "https://zhiping.example/r/ZP-5",
        },
    }
    doc.update(over)
    return doc


# --- registry --------------------------------------------------------------------------------


def test_every_contract_format_has_an_adapter() -> None:
    assert set(ADAPTERS) == {"generic", "vidassess", "zhiping"}
    for name, cls in ADAPTERS.items():
        assert cls.format_name == name


# --- vidassess -------------------------------------------------------------------------------


def test_vidassess_every_field_maps() -> None:
    # When the vendor's full payload is parsed
    r = parse("vidassess", vidassess())
    # Then every field lands where hirelens keeps it
    assert (r.kind, r.vendor, r.vendor_result_id, r.revision) == (EventKind.COMPLETED, "acme", "VA-77", 3)
    assert r.occurred_at == datetime(2025, 11, 20, 8, 10, tzinfo=UTC)  # epoch seconds
    assert r.completed_at == datetime(2026, 11, 20, 0, 20, tzinfo=UTC)  # +08:00 → UTC
    assert r.candidate.model_dump() == {
        "external_id": "C-9",
        "name": "Zhang San",
        "email": "zs@example.com",
        "phone": "+86 138 0000 0000",
    }
    assert r.job.model_dump() == {"external_id": "JOB-7", "title": "Risk Analyst", "department": "risk"}
    assert (r.overall.score, r.overall.scale_min, r.overall.scale_max) == (4.1, 1, 5)
    assert r.overall.normalized == pytest.approx(77.5)
    dims = {d.code: d for d in r.dimensions}
    assert set(dims) == {"communication", "stress_tolerance", "unmapped:Grit"}
    assert dims["communication"].label == "Communication Skills"
    assert dims["communication"].comment == "clear"
    assert dims["communication"].normalized == pytest.approx(87.5)
    assert dims["stress_tolerance"].normalized == pytest.approx(50.0)
    assert dims["unmapped:Grit"].normalized == 0
    assert r.unmapped_labels == ["Grit"]
    (answer,) = r.answers
    assert (answer.question_id, answer.question, answer.transcript) == ("1", "Tell us about a conflict", "Once...")
    assert answer.media.url == "https://v/1.mp4"
    assert r.report_url == "https://vidassess.example/r/VA-77"
    assert r.extra == {"vendor_event": "assessment.scored"}
    assert r.analyses == () and r.biometric_consent is None


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        ("assessment.scored", EventKind.COMPLETED),
        ("assessment.rescored", EventKind.UPDATED),
        ("assessment.cancelled", EventKind.WITHDRAWN),
    ],
)
def test_vidassess_events_map_to_kinds(event: str, kind: EventKind) -> None:
    assert parse("vidassess", vidassess(event=event)).kind is kind


def test_vidassess_cancellation_needs_only_the_id_and_version() -> None:
    r = parse("vidassess", {"event": "assessment.cancelled", "assessment": {"id": "VA-77", "version": 4}})
    assert (r.kind, r.vendor_result_id, r.revision, r.candidate, r.dimensions) == (
        EventKind.WITHDRAWN,
        "VA-77",
        4,
        None,
        (),
    )


def test_vidassess_optional_fields_may_be_left_out() -> None:
    # Given a scored assessment with only what the format requires
    doc = {
        "event": "assessment.scored",
        "assessment": {
            "id": 77,  # a numeric id is accepted as text
            "version": 1,
            "finished": 1763626000123,  # epoch milliseconds
            "applicant": {"ref": "C-9"},
            "requisition": {"code": "JOB-7"},
            "competencies": [{"name": "teamwork", "rating": 5}],
        },
    }
    r = parse("vidassess", doc)
    assert r.vendor_result_id == "77"
    assert r.completed_at == datetime(2025, 11, 20, 8, 6, 40, 123000, tzinfo=UTC)
    assert r.occurred_at is None and r.overall is None and r.answers == () and r.report_url is None
    assert r.candidate.model_dump() == {"external_id": "C-9", "name": None, "email": None, "phone": None}
    assert r.job.title is None and r.job.department is None
    assert r.dimensions[0].code == "teamwork" and r.dimensions[0].normalized == 100


def test_vidassess_time_without_offset_is_utc() -> None:
    doc = vidassess()
    doc["assessment"]["finished"] = "2026-11-20T08:20:00"
    assert parse("vidassess", doc).completed_at == datetime(2026, 11, 20, 8, 20, tzinfo=UTC)


def test_vidassess_applicant_may_be_known_by_email_only() -> None:
    doc = vidassess()
    doc["assessment"]["applicant"] = {"contact": {"email": "zs@example.com"}}
    assert parse("vidassess", doc).candidate.email == "zs@example.com"


@pytest.mark.parametrize(
    ("path", "value", "loc"),
    [
        (("assessment", "competencies", 0, "rating"), "excellent", ["assessment", "competencies", 0, "rating"]),
        (("assessment", "competencies", 0, "rating"), 6, ["assessment", "competencies", 0, "rating"]),
        (("assessment", "competencies", 0, "rating"), 0.5, ["assessment", "competencies", 0, "rating"]),
        (("assessment", "version"), 1.5, ["assessment", "version"]),
        (("assessment", "version"), -1, ["assessment", "version"]),
        (("assessment", "finished"), "next tuesday", ["assessment", "finished"]),
        (("assessment", "finished"), True, ["assessment", "finished"]),
        (("assessment", "overall_rating"), [4], ["assessment", "overall_rating"]),
        (("assessment", "applicant", "contact"), "zs@example.com", ["assessment", "applicant", "contact"]),
        (("assessment", "requisition", "code"), {"x": 1}, ["assessment", "requisition", "code"]),
        (("assessment", "competencies"), {"name": "x"}, ["assessment", "competencies"]),
        (("event",), "assessment.deleted", ["event"]),
    ],
)
def test_vidassess_wrong_types_name_the_field(path: tuple[Any, ...], value: Any, loc: list[Any]) -> None:
    # Given a payload with one field of the wrong type or out of range
    doc = vidassess()
    target: Any = doc
    for p in path[:-1]:
        target = target[p]
    target[path[-1]] = value
    # Then the error points at that field, with a message
    found = errors("vidassess", doc)
    assert [e["loc"] for e in found] == [loc]
    assert all(e["msg"] for e in found)


@pytest.mark.parametrize("field", ["id", "version"])
def test_vidassess_missing_required_fields(field: str) -> None:
    doc = vidassess()
    del doc["assessment"][field]
    assert errors("vidassess", doc) == [{"loc": ["assessment", field], "msg": "Field required"}]


def test_vidassess_scored_without_applicant_requisition_time_or_ratings() -> None:
    doc = vidassess()
    for f in ("applicant", "requisition", "finished"):
        del doc["assessment"][f]
    doc["assessment"]["competencies"] = []
    locs = [e["loc"] for e in errors("vidassess", doc)]
    assert locs == [
        ["assessment", "applicant"],
        ["assessment", "requisition"],
        ["assessment", "finished"],
        ["assessment", "competencies"],
    ]


def test_vidassess_applicant_without_any_identifier() -> None:
    doc = vidassess()
    doc["assessment"]["applicant"] = {"full_name": "Zhang San"}
    (e,) = errors("vidassess", doc)
    assert e["loc"] == ["assessment", "applicant"] and "ref" in e["msg"]


def test_not_json_or_not_an_object_is_invalid() -> None:
    with pytest.raises(PayloadInvalid) as exc:
        adapter_for("vidassess").parse("acme", b"{not json")
    assert exc.value.errors[0]["loc"] == ["body"]
    assert errors("zhiping", [1, 2]) == [{"loc": ["body"], "msg": "a JSON object is required"}]


# --- zhiping ---------------------------------------------------------------------------------


def test_zhiping_every_field_maps() -> None:
    r = parse("zhiping", zhiping())
    assert (r.kind, r.vendor_result_id, r.revision) == (EventKind.COMPLETED, "ZP-5", 1)
    assert r.occurred_at == datetime(2025, 11, 20, 8, 10, tzinfo=UTC)  # epoch milliseconds
    assert r.completed_at == datetime(2025, 11, 20, 8, 6, 40, tzinfo=UTC)
    assert r.candidate.model_dump() == {
        "external_id": "C-9",
        "name": "张三",
        "email": "zs@example.com",
        "phone": "13800000000",
    }
    assert r.job.model_dump() == {"external_id": "JOB-7", "title": "风控分析师", "department": "risk"}
    assert (r.overall.score, r.overall.scale_min, r.overall.scale_max) == (7.8, 0, 10)
    assert r.overall.normalized == pytest.approx(78.0)
    dims = {d.code: d for d in r.dimensions}
    assert set(dims) == {"communication", "stress_tolerance", "unmapped:钻研精神"}
    assert dims["communication"].label == "沟通表达" and dims["communication"].comment == "表达清晰"
    assert dims["communication"].normalized == pytest.approx(85.0)
    assert dims["stress_tolerance"].normalized == pytest.approx(60.0)
    assert dims["unmapped:钻研精神"].normalized == 100
    assert r.unmapped_labels == ["钻研精神"]
    (answer,) = r.answers
    assert (answer.question_id, answer.question, answer.transcript) == ("1", "请介绍一次冲突", "有一次……")
    assert answer.media.url == "https://zp/a/1.mp3"
    assert r.report_url == "https://zhiping.example/r/ZP-5"
    assert r.extra == {"vendor_event": "面试完成", "percentile": 85}


@pytest.mark.parametrize(
    ("event", "kind"),
    [("面试完成", EventKind.COMPLETED), ("面试更新", EventKind.UPDATED), ("面试取消", EventKind.WITHDRAWN)],
)
def test_zhiping_events_map_to_kinds(event: str, kind: EventKind) -> None:
    assert parse("zhiping", zhiping(事件=event)).kind is kind


def test_zhiping_cancellation_needs_only_the_id_and_version() -> None:
    r = parse("zhiping", {"事件": "面试取消", "面试": {"面试编号": "ZP-5", "版本": 2}})
    assert (r.kind, r.revision, r.candidate, r.job) == (EventKind.WITHDRAWN, 2, None, None)


def test_zhiping_text_times_without_offset_are_china_time() -> None:
    doc = zhiping()
    doc["面试"]["完成时间"] = "2026-11-20 16:20:00"
    doc["时间戳"] = "2026-11-20T16:30:00+08:00"
    r = parse("zhiping", doc)
    assert r.completed_at == datetime(2026, 11, 20, 8, 20, tzinfo=UTC)
    assert r.occurred_at == datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


def test_zhiping_epoch_seconds_are_seconds() -> None:
    doc = zhiping()
    doc["面试"]["完成时间"] = 1763626000
    assert parse("zhiping", doc).completed_at == datetime(2025, 11, 20, 8, 6, 40, tzinfo=UTC)


def test_zhiping_optional_fields_may_be_left_out() -> None:
    doc = zhiping()
    interview = doc["面试"]
    for f in ("综合得分", "百分位", "作答", "报告链接"):
        del interview[f]
    interview["候选人"] = {"手机": "13800000000"}
    interview["岗位"] = {"编号": 7}
    del doc["时间戳"]
    r = parse("zhiping", doc)
    assert r.overall is None and r.answers == () and r.occurred_at is None
    assert r.extra == {"vendor_event": "面试完成"}
    assert r.candidate.phone == "13800000000" and r.candidate.external_id is None
    assert r.job.external_id == "7"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("面试", "维度得分", 0, "得分"), "高"),
        (("面试", "维度得分", 0, "得分"), 11),
        (("面试", "维度得分", 0, "得分"), -0.5),
        (("面试", "综合得分"), 10.5),
        (("面试", "百分位"), 101),
        (("面试", "版本"), "一"),
        (("面试", "完成时间"), "昨天"),
        (("面试", "候选人"), ["C-9"]),
        (("面试", "维度得分", 0, "维度"), ""),
        (("事件",), "面试开始"),
    ],
)
def test_zhiping_wrong_types_name_the_vendors_field(path: tuple[Any, ...], value: Any) -> None:
    doc = zhiping()
    target: Any = doc
    for p in path[:-1]:
        target = target[p]
    target[path[-1]] = value
    found = errors("zhiping", doc)
    assert [e["loc"] for e in found] == [list(path)]


def test_zhiping_completed_without_candidate_post_time_or_scores() -> None:
    doc = copy.deepcopy(zhiping())
    for f in ("候选人", "岗位", "完成时间"):
        del doc["面试"][f]
    doc["面试"]["维度得分"] = []
    locs = [e["loc"] for e in errors("zhiping", doc)]
    assert locs == [["面试", "候选人"], ["面试", "岗位"], ["面试", "完成时间"], ["面试", "维度得分"]]


def test_zhiping_candidate_without_any_identifier() -> None:
    doc = zhiping()
    doc["面试"]["候选人"] = {"姓名": "张三"}
    (e,) = errors("zhiping", doc)
    assert e["loc"] == ["面试", "候选人"]


# --- taxonomy --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("Communication Skills", "communication"),
        ("沟通表达", "communication"),
        ("Stress Tolerance", "stress_tolerance"),
        ("抗压能力", "stress_tolerance"),
        ("Problem-Solving", "problem_solving"),
        ("Team Work", "teamwork"),
        ("团队合作", "teamwork"),
        ("Analytical Skills", "logical_thinking"),
        ("Learning Agility", "learning_agility"),
        ("领导潜力", "leadership"),
        ("Customer Focus", "customer_orientation"),
        ("专业素养", "professional_knowledge"),
        ("创新意识", "innovation"),
    ],
)
def test_vendor_labels_map_to_the_taxonomy(label: str, code: str) -> None:
    assert default_taxonomy().resolve(None, label) == code


def test_no_synonym_maps_to_two_codes() -> None:
    data = json.loads(resources.files("shared.data").joinpath("taxonomy.json").read_text("utf-8"))
    owner: dict[str, str] = {}
    for c in data["competencies"]:
        for label in (c["code"], c["zh"], c["en"], *c["synonyms"]):
            folded = _fold(label)
            assert owner.setdefault(folded, c["code"]) == c["code"], f"{label!r} maps to two codes"

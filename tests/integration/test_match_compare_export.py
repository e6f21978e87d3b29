"""Match, compare and export against moto: shapes, scope, highlights, CWE-1236 in CSV and XLSX."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from shared.authz.policy import Principal, Role
from shared.errors import Forbidden, NotFound, Unprocessable
from shared.models.domain import TalentProfile
from shared.services.exports import EXPORT_PREFIX, Exporter
from tests.integration.analysis_support import ADMIN, HR, store_result

PROFILE = TalentProfile.model_validate(
    {
        "title": "风控分析师",
        "department": "risk",
        "competencies": [
            {"code": "logical_thinking", "weight": 0.3, "min": 80, "must_have": True},
            {"code": "stress_tolerance", "weight": 0.2, "min": 70},
            {"code": "communication", "weight": 0.5},
        ],
        "thresholds": {"hire": 80, "second_interview": 65},
    }
)
TRANSCRIPT = "上次项目截止前压力很大，我保持冷静。我带领团队一起分工合作，用数据分析找到了根因。"
INJECTIONS = ['=HYPERLINK("http://evil.example","x")', "+SUM(1,2)", "-2+3", "@cmd", "\t=1+1", "\r=1+1"]


@pytest.fixture
def job(aws):
    aws.analysis.put_job(ADMIN, "JOB-7", PROFILE)
    a = store_result(
        aws,
        "acme",
        "JOB-7",
        "C-a",
        {"logical_thinking": 90, "stress_tolerance": 62, "communication": 88},
        answers=[{"question_id": "q1", "question": "压力", "transcript": TRANSCRIPT}],
    )
    b = store_result(aws, "acme", "JOB-7", "C-b", {"logical_thinking": 85, "stress_tolerance": 80, "communication": 70})
    c = store_result(aws, "acme", "JOB-7", "C-c", {"logical_thinking": 60, "communication": 99})
    return aws, {"a": a, "b": b, "c": c}


def test_match_explains_itself(job):
    aws, ids = job
    m = aws.analysis.match(HR, ids["a"], "JOB-7")
    # 0.3·90 + 0.2·62 + 0.5·88 = 27 + 12.4 + 44 = 83.4 ≥ 80, but 抗压能力 62 < 70 → second interview
    assert m["match_score"] == 83.4 and m["recommendation"] == "second_interview"
    texts = [r["text"] for r in m["reasons"]]
    assert "逻辑思维 90 ≥ 80，必备 — 达标" in texts and "抗压能力 62 < 70 — 需在复试中核实" in texts
    assert m["radar"] == [
        {
            "code": "logical_thinking",
            "label": "逻辑思维",
            "label_zh": "逻辑思维",
            "label_en": "Logical thinking",
            "score": 90.0,
            "required": 80.0,
            "must_have": True,
            "weight": 0.3,
        },
        {
            "code": "stress_tolerance",
            "label": "抗压能力",
            "label_zh": "抗压能力",
            "label_en": "Stress tolerance",
            "score": 62.0,
            "required": 70.0,
            "must_have": False,
            "weight": 0.2,
        },
        {
            "code": "communication",
            "label": "沟通能力",
            "label_zh": "沟通能力",
            "label_en": "Communication",
            "score": 88.0,
            "required": None,
            "must_have": False,
            "weight": 0.5,
        },
    ]
    assert 0 <= m["percentile"] <= 100
    en = aws.analysis.match(HR, ids["a"], "JOB-7", lang="en")
    assert "Stress tolerance 62 < 70 — verify in the second interview" in [r["text"] for r in en["reasons"]]


def test_match_scope(job):
    aws, ids = job
    with pytest.raises(NotFound):
        aws.analysis.match(Principal("i", Role.INTERVIEWER, department="sales"), ids["a"], "JOB-7")
    assert aws.analysis.match(Principal("i", Role.INTERVIEWER, department="risk"), ids["a"], "JOB-7")
    with pytest.raises(NotFound):
        aws.analysis.match(HR, ids["a"], "JOB-NOPE")
    with pytest.raises(Forbidden):
        aws.analysis.match(Principal("f", Role.FINANCE), ids["a"], "JOB-7")


def test_compare_side_by_side(job):
    aws, ids = job
    cmp = aws.analysis.compare(HR, "JOB-7", [ids["a"], ids["b"], ids["c"]])
    rows = {r["code"]: r for r in cmp["competencies"]}
    assert [r["code"] for r in cmp["competencies"]] == ["logical_thinking", "stress_tolerance", "communication"]
    assert rows["logical_thinking"]["leaders"] == [ids["a"]]
    assert rows["stress_tolerance"]["leaders"] == [ids["b"]]
    assert rows["stress_tolerance"]["scores"][ids["c"]] is None  # c was never measured there: a gap, not a zero
    assert rows["communication"]["leaders"] == [ids["c"]]
    by = {c["candidate_id"]: c for c in cmp["candidates"]}
    assert by[ids["c"]]["recommendation"] == "reject" and by[ids["c"]]["gaps"] == ["stress_tolerance"]
    assert by[ids["a"]]["name"] == "张三"
    # highlights come from the decrypted transcript, for the profile's competencies
    ha = cmp["highlights"][ids["a"]]
    assert "我带领团队一起分工合作，用数据分析找到了根因。" in [h["sentence"] for h in ha["logical_thinking"]]
    assert ha["stress_tolerance"][0]["sentence"] == "上次项目截止前压力很大，我保持冷静。"
    assert "teamwork" not in ha  # not in the profile


def test_compare_limits_and_scope(job):
    aws, ids = job
    with pytest.raises(Unprocessable):
        aws.analysis.compare(HR, "JOB-7", [f"c_{i}" for i in range(11)])
    with pytest.raises(Unprocessable):
        aws.analysis.compare(HR, "JOB-7", [" ", ""])
    with pytest.raises(NotFound):
        aws.analysis.compare(HR, "JOB-7", [ids["a"], "c_nobody"])
    with pytest.raises(NotFound):
        aws.analysis.compare(Principal("i", Role.INTERVIEWER, department="sales"), "JOB-7", [ids["a"]])


def test_result_view_carries_highlights(job):
    aws, ids = job
    rid = next(r["result_id"] for r in aws.candidates.partition(ids["a"], "RES#"))
    view, _ = aws.views.result(HR, rid, mark_viewed=False)
    assert view["highlights"]["teamwork"][0]["sentence"] == "我带领团队一起分工合作，用数据分析找到了根因。"


@pytest.fixture
def hostile(aws):
    aws.analysis.put_job(ADMIN, "JOB-X", PROFILE)
    for i, name in enumerate(INJECTIONS):
        store_result(aws, "acme", "JOB-X", f"C-x{i}", {"logical_thinking": 80 + i, "communication": 70}, name=name)
    return aws


def test_xlsx_export_neutralises_formulas(hostile):
    f = hostile.exporter.export(HR, job_id="JOB-X", fmt="xlsx")
    assert f.body is not None and f.rows == len(INJECTIONS)
    ws = load_workbook(io.BytesIO(f.body)).active
    rows = list(ws.iter_rows(values_only=False))
    header = [c.value for c in rows[0]]
    names = [r[header.index("姓名 name")] for r in rows[1:]]
    # Then no cell is a formula, and each hostile name is shown as text behind an apostrophe
    assert all(c.data_type != "f" for r in rows for c in r)
    assert sorted(c.value for c in names) == sorted("'" + n.strip() for n in INJECTIONS)  # names arrive trimmed
    # And scores stay numbers, best match first
    scores = [r[header.index("匹配度 match_score")].value for r in rows[1:]]
    assert all(isinstance(s, float | int) for s in scores) and scores == sorted(scores, reverse=True)
    assert "逻辑思维 logical_thinking" in header


def test_csv_export_has_bom_and_neutralises(hostile):
    f = hostile.exporter.export(HR, job_id="JOB-X", fmt="csv")
    assert f.body is not None and f.body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(f.body.decode("utf-8-sig"))))
    names = [r[1] for r in rows[1:]]
    assert sorted(names) == sorted("'" + n.strip() for n in INJECTIONS)
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r)


def test_large_export_goes_through_a_short_lived_link(hostile):
    # Given an exporter whose inline limit is tiny
    ex = Exporter(hostile.views, hostile.jobs, hostile.evidence, hostile.table, inline_max_bytes=10)
    f = ex.export(HR, job_id="JOB-X", fmt="csv", recommendation=None)
    # Then the file is in the bucket under exports/, linked from each candidate, handed out presigned
    assert f.body is None and f.url and "X-Amz-Expires=300" in f.url and f.expires_in_s <= 900
    keys = hostile.s3.list_objects_v2(Bucket=hostile.settings.evidence_bucket, Prefix=EXPORT_PREFIX)["Contents"]
    data = hostile.s3.get_object(Bucket=hostile.settings.evidence_bucket, Key=keys[0]["Key"])["Body"].read()
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\r\n") == len(INJECTIONS) + 1
    some = hostile.views.list_candidates(
        HR, job_id="JOB-X", mins={}, recommendation=None, status=None, sort="-match_score", limit=1, cursor=None
    )["items"][0]["candidate_id"]
    assert [i["s3_key"] for i in hostile.candidates.partition(some, "EXP#")] == [keys[0]["Key"]]


def test_export_roles_and_filters(hostile):
    with pytest.raises(Forbidden):
        hostile.exporter.export(Principal("i", Role.INTERVIEWER, department="risk"), job_id="JOB-X", fmt="csv")
    with pytest.raises(NotFound):
        hostile.exporter.export(HR, job_id="JOB-NONE", fmt="csv")
    f = hostile.exporter.export(HR, job_id="JOB-X", fmt="csv", mins={"logical_thinking": 84})
    assert f.rows == 2

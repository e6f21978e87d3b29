"""Every channel in, over HTTP on the embedded stack: three webhook formats and a file import
land in one candidate's profile; the vendor report shows unmapped labels; bad payloads are
quarantined with the vendor's field names."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx

from tests.conftest import bearer, generic_payload, post_signed, unique, wait_until


def admin() -> dict[str, str]:
    return bearer("hr_admin")  # minted per use: the stack's signing key exists once it runs


def hr() -> dict[str, str]:
    return bearer("hr")


def new_vendor(http: httpx.Client, fmt: str) -> tuple[str, str]:
    name = unique("v")
    r = http.post("/v1/vendors", json={"name": name, "format": fmt}, headers=admin())
    assert r.status_code == 201, r.text
    return name, r.json()["signing_secret"]


def vidassess_payload(cand: str, job: str) -> dict[str, Any]:
    return {
        "event": "assessment.scored",
        "event_time": 1763626200,
        "assessment": {
            "id": unique("VA-"),
            "version": 3,
            "finished": "2026-11-20T08:20:00+08:00",
            "applicant": {"ref": cand, "full_name": "Zhang San", "contact": {"email": "zs@example.com"}},
            "requisition": {"code": job, "name": "Risk Analyst", "org_unit": "risk"},
            "competencies": [
                {"name": "Communication Skills", "rating": 4.5},
                {"name": "Stress Tolerance", "rating": 3},
                {"name": "Grit", "rating": 4},
            ],
            "overall_rating": 4.1,
            "questions": [{"qid": "1", "prompt": "Tell us about a conflict", "transcript": "..."}],
        },
    }


def zhiping_payload(cand: str, job: str) -> dict[str, Any]:
    return {
        "事件": "面试完成",
        "时间戳": 1763626200000,
        "面试": {
            "面试编号": unique("ZP-"),
            "版本": 1,
            "完成时间": 1763626000000,
            "候选人": {"编号": cand, "姓名": "张三", "手机": "13800000000"},
            "岗位": {"编号": job, "名称": "风控分析师", "部门": "risk"},
            "维度得分": [{"维度": "沟通表达", "得分": 8.5}, {"维度": "抗压能力", "得分": 6.0}],
            "综合得分": 7.8,
            "百分位": 85,
            "作答": [{"题号": "1", "题目": "……", "文字稿": "……"}],
        },
    }


def import_file(cand: str, job: str) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(
        [
            "result_id",
            "revision",
            "candidate_external_id",
            "candidate_name",
            "candidate_email",
            "job_external_id",
            "job_title",
            "department",
            "completed_at",
            "overall_score",
            "scale_min",
            "scale_max",
            "communication",
            "teamwork",
        ]
    )
    w.writerow([unique("IMP-"), 1, cand, "张三", "", job, "风控分析师", "risk", "2026-11-21 10:00", 72, 0, 100, 80, 64])
    w.writerow(["", 1, "C-other", "", "", job, "", "risk", "2026-11-21", "", 0, 100, "n/a", ""])  # broken
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def upload_and_wait(http: httpx.Client, vendor: str, data: bytes) -> dict[str, Any]:
    r = http.post("/v1/imports", json={"vendor": vendor, "format": "csv", "filename": "月度导出.csv"}, headers=hr())
    assert r.status_code == 201, r.text
    created = r.json()
    assert r.headers["location"] == f"/v1/imports/{created['import_id']}"
    assert http.get(f"/v1/imports/{created['import_id']}", headers=hr()).json()["status"] == "pending"
    put = httpx.put(created["upload_url"], content=data, headers=created["upload_headers"], timeout=30)
    assert put.status_code == 200, put.text

    def finished() -> dict[str, Any] | None:
        s = http.get(f"/v1/imports/{created['import_id']}", headers=hr()).json()
        return s if s["status"] in ("done", "failed") else None

    status = wait_until(finished, timeout=60)
    assert status, "the import never finished"
    return dict(status)


def test_one_candidate_from_three_formats_and_a_file(http: httpx.Client) -> None:
    # Given four vendors, one per channel, and one candidate the company's ATS knows as `cand`
    cand, job = unique("C-"), unique("JOB-")
    generic, g_secret = new_vendor(http, "generic")
    vidassess, v_secret = new_vendor(http, "vidassess")
    zhiping, z_secret = new_vendor(http, "zhiping")
    spreadsheet, _ = new_vendor(http, "generic")
    # When each webhook vendor posts its native payload
    for vendor, secret, payload in (
        (generic, g_secret, generic_payload(unique("R-"), cand, job, {"communication": 85})),
        (vidassess, v_secret, vidassess_payload(cand, job)),
        (zhiping, z_secret, zhiping_payload(cand, job)),
    ):
        r = post_signed(http, vendor, secret, payload)
        assert r.status_code == 202, (vendor, r.text)
    # and the third-party spreadsheet is imported (one good row, one broken)
    status = upload_and_wait(http, spreadsheet, import_file(cand, job))
    assert (status["status"], status["rows_total"], status["rows_imported"], status["rows_rejected"]) == (
        "done",
        2,
        1,
        1,
    )
    assert {(e["row"], e["field"]) for e in status["errors"]} == {(3, "result_id"), (3, "communication")}

    # Then there is one candidate with one application holding all four results
    def profile() -> dict[str, Any] | None:
        items = http.get("/v1/candidates", params={"job_id": job}, headers=hr()).json()["items"]
        if len(items) != 1:
            return None
        p = http.get(f"/v1/candidates/{items[0]['candidate_id']}", headers=hr()).json()
        results = [r for a in p["applications"] for r in a["results"]]
        return p if len(results) == 4 else None

    p = wait_until(profile, timeout=30)
    assert p, "the four results never met in one profile"
    (application,) = p["applications"]
    by_vendor = {r["vendor"]: r for r in application["results"]}
    assert set(by_vendor) == {generic, vidassess, zhiping, spreadsheet}
    norm = {v: {d["code"]: d["normalized"] for d in r["dimensions"]} for v, r in by_vendor.items()}
    assert norm[generic]["communication"] == 85
    assert norm[vidassess]["communication"] == 87.5 and norm[vidassess]["stress_tolerance"] == 50
    assert norm[zhiping]["communication"] == 85 and norm[zhiping]["stress_tolerance"] == 60
    assert norm[spreadsheet] == {"communication": 80, "teamwork": 64}
    assert "unmapped:Grit" in norm[vidassess]
    assert by_vendor[zhiping]["overall"]["normalized"] == 78
    # and the vendor report counts the label that mapped to nothing
    report = http.get(f"/v1/vendors/{vidassess}", headers=admin()).json()
    assert report["unmapped_labels"] == {"Grit": 1}
    assert http.get(f"/v1/vendors/{zhiping}", headers=admin()).json()["unmapped_labels"] == {}


def test_a_malformed_native_payload_is_quarantined_with_the_vendors_field_names(http: httpx.Client) -> None:
    zhiping, secret = new_vendor(http, "zhiping")
    payload = zhiping_payload(unique("C-"), unique("JOB-"))
    payload["面试"]["维度得分"][0]["得分"] = "优秀"
    r = post_signed(http, zhiping, secret, payload)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"] == [
        {
            "loc": ["面试", "维度得分", 0, "得分"],
            "msg": "Input should be a valid number, unable to parse string as a number",
        }
    ]
    listed = http.get("/v1/ingest/quarantine", params={"limit": 200}, headers=admin()).json()["items"]
    assert any(i["vendor"] == zhiping for i in listed)


def test_imports_are_for_hr_and_hr_admin_only(http: httpx.Client) -> None:
    vendor, _ = new_vendor(http, "generic")
    body = {"vendor": vendor, "format": "xlsx", "filename": "x.xlsx"}
    for role, expected in (("interviewer", 403), ("auditor", 403), ("finance", 403), ("hr_admin", 201)):
        r = http.post("/v1/imports", json=body, headers=bearer(role, department="risk"))
        assert r.status_code == expected, (role, r.text)
    assert http.post("/v1/imports", json=body).status_code == 401
    assert http.get(f"/v1/imports/{'0' * 32}", headers=hr()).status_code == 404
    bad = http.post("/v1/imports", json={**body, "format": "pdf"}, headers=hr())
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    unknown = http.post("/v1/imports", json={**body, "vendor": "no-such-vendor"}, headers=hr())
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == [{"loc": ["body", "vendor"], "msg": "no vendor with this name"}]


def test_xlsx_import_over_http(http: httpx.Client) -> None:
    from openpyxl import Workbook

    # Given an XLSX export with one good row and one whose score is off its scale
    vendor, _ = new_vendor(http, "generic")
    job = unique("JOB-")
    wb = Workbook()
    ws = wb.active
    header = ["result_id", "revision", "candidate_external_id", "job_external_id", "completed_at"]
    ws.append([*header, "scale_min", "scale_max", "问题解决"])
    ws.append([unique("X-"), 1, unique("C-"), job, "2026-11-20T08:20:00Z", 0, 10, 7.5])
    ws.append([unique("X-"), 1, unique("C-"), job, "2026-11-20T08:20:00Z", 0, 10, 12])
    buf = io.BytesIO()
    wb.save(buf)
    r = http.post("/v1/imports", json={"vendor": vendor, "format": "xlsx", "filename": "导出.xlsx"}, headers=hr())
    assert r.status_code == 201, r.text
    created = r.json()
    put = httpx.put(created["upload_url"], content=buf.getvalue(), headers=created["upload_headers"], timeout=30)
    assert put.status_code == 200
    # Then it is processed like a CSV

    def finished() -> dict[str, Any] | None:
        s = http.get(f"/v1/imports/{created['import_id']}", headers=hr()).json()
        return s if s["status"] in ("done", "failed") else None

    status = wait_until(finished, timeout=60)
    assert status and (status["status"], status["rows_imported"], status["rows_rejected"]) == ("done", 1, 1)
    (error,) = status["errors"]
    assert (error["row"], error["field"]) == (3, "问题解决") and "scale" in error["message"]

    def scored() -> list[dict[str, Any]] | None:
        items = http.get("/v1/candidates", params={"job_id": job}, headers=hr()).json()["items"]
        return items if items and items[0]["scores"] else None

    items = wait_until(scored)
    assert items and items[0]["scores"] == {"problem_solving": 75}

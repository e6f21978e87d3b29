"""Analysis over real HTTP on the embedded stack: profile → webhooks → ranked, filtered list →
compare → match → export, and a profile change re-scoring the job through the score queue."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.conftest import bearer, generic_payload, post_signed, unique, wait_until

PROFILE = {
    "title": "风控分析师",
    "department": "risk",
    "competencies": [
        {"code": "logical_thinking", "weight": 0.3, "min": 80, "must_have": True},
        {"code": "stress_tolerance", "weight": 0.2, "min": 70},
        {"code": "communication", "weight": 0.5},
    ],
    "thresholds": {"hire": 80, "second_interview": 65},
}
PEOPLE = {  # external id → (name, scores)
    "A": ("张三", {"logical_thinking": 90, "stress_tolerance": 85, "communication": 92}),  # 89.9 hire
    "B": ("李四", {"logical_thinking": 85, "stress_tolerance": 62, "communication": 90}),  # 82.9 capped: second
    "C": ("=王五", {"logical_thinking": 70, "stress_tolerance": 90, "communication": 95}),  # 86.5 must-have: reject
    "D": ("赵六", {"logical_thinking": 82, "stress_tolerance": 75, "communication": 60}),  # 69.6 second
}


def test_analysis_end_to_end(http):
    admin, hr = bearer("hr_admin"), bearer("hr")
    job = unique("JOB-")
    vendor = unique("v")
    secret = http.post("/v1/vendors", json={"name": vendor, "format": "generic"}, headers=admin).json()[
        "signing_secret"
    ]

    # Given HR defines the job's talent profile (201 first, 200 when replaced; 422 when invalid; 403 for interviewers)
    assert http.put(f"/v1/jobs/{job}", json=PROFILE, headers=hr).status_code == 201
    assert http.put(f"/v1/jobs/{job}", json=PROFILE, headers=hr).status_code == 200
    bad = http.put(f"/v1/jobs/{job}", json={**PROFILE, "thresholds": {"hire": 50, "second_interview": 70}}, headers=hr)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    interviewer = bearer("interviewer", department="risk")
    assert http.put(f"/v1/jobs/{job}", json=PROFILE, headers=interviewer).status_code == 403

    # When four candidates' results arrive by webhook
    for ext, (name, dims) in PEOPLE.items():
        payload = generic_payload(f"R-{ext}", f"{job}-{ext}", job, dims, name=name)
        payload["data"]["candidate"].pop("phone")
        payload["data"]["answers"][0]["transcript"] = "项目截止前压力很大，我保持冷静。我用数据分析找到了根因。"
        assert post_signed(http, vendor, secret, payload).status_code == 202

    def listing(**params):
        r = http.get("/v1/candidates", params={"job_id": job, **params}, headers=hr)
        assert r.status_code == 200, r.text
        return r.json()["items"]

    everyone = wait_until(
        lambda: (lambda xs: xs if len(xs) == 4 and all(x["match_score"] for x in xs) else None)(listing()), timeout=30
    )
    assert everyone, "the four candidates were not scored in time"
    # Then they are ranked best match first, with recommendations and percentiles
    by_name = {i["name"]: i for i in everyone}
    assert [i["name"] for i in everyone] == ["张三", "=王五", "李四", "赵六"]
    assert {n: i["recommendation"] for n, i in by_name.items()} == {
        "张三": "hire",
        "李四": "second_interview",
        "=王五": "reject",
        "赵六": "second_interview",
    }
    assert by_name["张三"]["percentile"] == 100.0 and by_name["赵六"]["percentile"] == 0.0
    assert set(everyone[0]) >= {
        "candidate_id",
        "name",
        "job_id",
        "status",
        "match_score",
        "recommendation",
        "percentile",
        "scores",
        "viewed",
    }

    # And the list filters on several competencies at once
    got = listing(**{"min.communication": 90, "min.logical_thinking": 85})
    assert [i["name"] for i in got] == ["张三", "李四"]
    assert [i["name"] for i in listing(recommendation="second_interview")] == ["李四", "赵六"]
    assert http.get("/v1/candidates", params={"job_id": job, "min.charisma": 1}, headers=hr).status_code == 400

    # And the job shows its counts
    j = http.get(f"/v1/jobs/{job}", headers=hr).json()
    assert j["counts"]["total"] == 4 and j["counts"]["by_status"]["awaiting_review"] == 4
    assert j["counts"]["by_recommendation"] == {"hire": 1, "second_interview": 2, "reject": 1, "unscored": 0}
    assert any(x["job_id"] == job for x in http.get("/v1/jobs", params={"limit": 200}, headers=hr).json()["items"])

    ids = {i["name"]: i["candidate_id"] for i in everyone}
    # When HR compares three of them
    r = http.get(
        f"/v1/jobs/{job}/compare", params={"candidates": f"{ids['张三']},{ids['李四']},{ids['=王五']}"}, headers=hr
    )
    assert r.status_code == 200, r.text
    cmp = r.json()
    leaders = {row["code"]: row["leaders"] for row in cmp["competencies"]}
    assert leaders == {
        "logical_thinking": [ids["张三"]],
        "stress_tolerance": [ids["=王五"]],
        "communication": [ids["=王五"]],
    }
    assert cmp["highlights"][ids["张三"]]["stress_tolerance"][0]["sentence"] == "项目截止前压力很大，我保持冷静。"
    many = ",".join([ids["张三"]] * 1 + [f"c_{n}" for n in range(10)])
    assert http.get(f"/v1/jobs/{job}/compare", params={"candidates": many}, headers=hr).status_code == 422
    sales = bearer("interviewer", department="sales")
    assert http.get(f"/v1/jobs/{job}/compare", params={"candidates": ids["张三"]}, headers=sales).status_code == 404

    # And reads one match, in Chinese by default and in English on request
    m = http.get(f"/v1/candidates/{ids['李四']}/match", params={"job_id": job}, headers=hr).json()
    assert m["recommendation"] == "second_interview" and 0 <= m["match_score"] <= 100
    assert "抗压能力 62 < 70 — 需在复试中核实" in [x["text"] for x in m["reasons"]]
    assert [p["required"] for p in m["radar"]] == [80, 70, None] and 0 <= m["percentile"] <= 100
    en = http.get(
        f"/v1/candidates/{ids['李四']}/match", params={"job_id": job}, headers={**hr, "Accept-Language": "en-US"}
    ).json()
    assert "Stress tolerance 62 < 70 — verify in the second interview" in [x["text"] for x in en["reasons"]]
    assert http.get(f"/v1/candidates/{ids['李四']}/match", params={"job_id": job}, headers=sales).status_code == 404

    # And exports the list in one click, CSV and XLSX, with the formula-looking name neutralised
    r = http.get("/v1/exports", params={"job_id": job, "format": "csv"}, headers=hr)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"] and r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == ["张三", "'=王五", "李四", "赵六"]
    r = http.get(
        "/v1/exports", params={"job_id": job, "format": "xlsx", "recommendation": "second_interview"}, headers=hr
    )
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    assert [row[1] for row in ws.iter_rows(min_row=2, values_only=True)] == ["李四", "赵六"]
    assert http.get("/v1/exports", params={"job_id": job, "format": "csv"}, headers=interviewer).status_code == 403

    # When the profile changes (logical thinking no longer a must-have), the whole job is re-scored
    relaxed = {
        **PROFILE,
        "competencies": [{**PROFILE["competencies"][0], "must_have": False}, *PROFILE["competencies"][1:]],
    }
    assert http.put(f"/v1/jobs/{job}", json=relaxed, headers=hr).status_code == 200
    rescored = wait_until(
        lambda: [i for i in listing() if i["name"] == "=王五" and i["recommendation"] == "second_interview"], timeout=30
    )
    assert rescored, "the profile change did not re-score the job"

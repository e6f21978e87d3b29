"""Annotations shown to those allowed; a candidate's own view cut to the company's setting;
consent recorded by HR."""

from __future__ import annotations

import json

import pytest

from shared.crypto.encryptor import candidate_subject
from shared.storage import keys
from tests.conftest import generic_payload
from tests.integration.protection_kit import api, drain, ingest, result_id, vendor, webhook


@pytest.fixture
def two_departments(aws):
    """One candidate who applied to a risk job and a sales job."""
    v = vendor(aws)
    cid = ingest(aws, v, "R-r", "C-two", "JOB-RISK", {"communication": 80}, department="risk")
    ingest(aws, v, "R-s", "C-two", "JOB-SALES", {"teamwork": 70}, department="sales")
    return aws, v, cid


def _texts(cid: str, role: str, **claims) -> list[str]:
    r = api("GET", f"/v1/candidates/{cid}", role, **claims)
    assert r.status == 200, r.body
    return [a["text"] for a in r.body["annotations"]]


def test_annotations_are_shown_to_those_allowed(two_departments):
    aws, v, cid = two_departments
    risk, sales = {"department": "risk"}, {"department": "sales"}

    # Given notes of every kind
    def note(role, body, **claims):
        r = api("POST", f"/v1/candidates/{cid}/annotations", role, body=body, **claims)
        assert r.status == 201, r.body
        return r.body

    hr_note = note("hr", {"text": "薪资期望偏高"})  # hr_only by default
    dept_note = note("hr", {"text": "请风控部门关注", "visibility": "department", "result_id": result_id(v[0], "R-r")})
    risk_note = note("interviewer", {"text": "逻辑清楚"}, **risk)  # department by default
    secret = note("interviewer", {"text": "仅供HR", "visibility": "hr_only"}, **sales)
    assert hr_note["visibility"] == "hr_only" and risk_note["visibility"] == "department"
    assert dept_note["department"] == "risk" and risk_note["department"] == "risk"
    # Then HR, HR admins and auditors see every note, oldest first
    everything = ["薪资期望偏高", "请风控部门关注", "逻辑清楚", "仅供HR"]
    for role in ("hr", "hr_admin", "auditor"):
        assert _texts(cid, role) == everything
    # and interviewers only their department's department-visible notes
    assert _texts(cid, "interviewer", **risk) == ["请风控部门关注", "逻辑清楚"]
    assert _texts(cid, "interviewer", **sales) == []
    # and the text is stored encrypted under the candidate's key, the addition audited
    items = aws.candidates.partition(cid, "ANN#")
    assert len(items) == 4 and all(i["text_enc"].startswith("e1:") for i in items)
    assert "薪资" not in json.dumps(items, ensure_ascii=False)
    assert (
        aws.encryptor.decrypt_field(
            candidate_subject(cid), f"annotation/{hr_note['annotation_id']}", items[0]["text_enc"]
        )
        == "薪资期望偏高"
    )
    actions = [e["action"] for e in aws.audit.read(cid)["entries"]]
    assert actions.count("annotation.added") == 4
    assert secret["author_role"] == "interviewer"


def test_who_may_annotate_what(two_departments):
    _, v, cid = two_departments
    body = {"text": "x"}
    path = f"/v1/candidates/{cid}/annotations"
    assert api("POST", path, "auditor", body=body).status == 403
    assert api("POST", path, "finance", body=body).status == 403
    assert api("POST", path, "candidate", body=body, candidate_id=cid).status == 403
    assert api("POST", path, "interviewer", body=body, department="hr-it").status == 404
    # an interviewer may not attach a note to another department's result
    other = {"text": "x", "result_id": result_id(v[0], "R-s")}
    assert api("POST", path, "interviewer", body=other, department="risk").status == 404
    assert api("POST", path, "hr", body={"text": "x", "result_id": "r_nope"}).status == 404
    assert api("POST", path, "hr", body={"text": ""}).status == 422
    assert api("POST", path, "hr", body={"text": "x", "visibility": "public"}).status == 422
    assert api("POST", path, "hr", body={"text": "x" * 5001}).status == 422


def test_a_candidate_sees_their_own_results_as_the_company_chose(two_departments):
    _, _, cid = two_departments
    assert api("POST", f"/v1/candidates/{cid}/annotations", "hr", body={"text": "内部评语"}).status == 201
    # When the candidate looks with the default setting
    r = api("GET", "/v1/me", "candidate", candidate_id=cid)
    # Then they see their scores and the reasons, not the match score, notes or comments
    assert r.status == 200, r.body
    me = r.body
    assert me["candidate_id"] == cid and me["name"] == "张三"
    assert me["shared"] == ["reasons", "scores"]
    apps = {a["job_id"]: a for a in me["applications"]}
    assert set(apps) == {"JOB-RISK", "JOB-SALES"}
    risk = apps["JOB-RISK"]
    assert risk["scores"] == {"communication": 80}
    assert set(risk["match"]) == {"reasons"}
    assert "status" not in risk
    assert risk["results"][0]["dimensions"] == [{"code": "communication", "label": "communication", "normalized": 80}]
    assert "内部评语" not in json.dumps(me, ensure_ascii=False) and "annotations" not in me
    assert "answers" not in risk["results"][0]
    # When HR admin shares more
    view = {"scores": True, "reasons": True, "match_score": True, "status": True, "transcripts": True}
    assert api("PUT", "/v1/settings/candidate-view", "hr_admin", body=view).status == 200
    assert api("GET", "/v1/settings/candidate-view", "hr_admin").body["match_score"] is True
    me = api("GET", "/v1/me", "candidate", candidate_id=cid).body
    risk = next(a for a in me["applications"] if a["job_id"] == "JOB-RISK")
    assert "match_score" in risk["match"] and risk["status"] == "awaiting_review"
    assert risk["results"][0]["answers"][0]["transcript"] == "我们团队一起解决了一个很难的问题"
    # When nothing is shared
    nothing = dict.fromkeys(view, False)
    assert api("PUT", "/v1/settings/candidate-view", "hr_admin", body=nothing).status == 200
    risk = api("GET", "/v1/me", "candidate", candidate_id=cid).body["applications"][0]
    assert risk["match"] == {} and "scores" not in risk and "dimensions" not in risk["results"][0]


def test_the_candidate_view_is_only_for_candidates_and_their_own(two_departments):
    _, _, cid = two_departments
    assert api("GET", "/v1/me", "candidate", candidate_id="c_someone_else").status == 404
    assert api("GET", "/v1/me", "candidate").status == 404  # a token without a candidate id
    for role in ("hr", "hr_admin", "interviewer", "auditor", "finance"):
        assert api("GET", "/v1/me", role, department="risk").status == 403
    # and candidates reach nothing else
    assert api("GET", f"/v1/candidates/{cid}", "candidate", candidate_id=cid).status == 403
    assert api("GET", "/v1/candidates", "candidate", candidate_id=cid).status == 403
    # and only HR admins change what candidates see
    assert api("PUT", "/v1/settings/candidate-view", "hr", body={"scores": False}).status == 403
    assert api("PUT", "/v1/settings/candidate-view", "hr_admin", body={"gossip": True}).status == 422


def test_biometric_consent_recorded_by_hr(aws):
    # Given a result whose vendor sent analyses with consent
    v = vendor(aws)
    analyses = [{"kind": "speech", "summary": "语速适中", "metrics": {"words_per_minute": 180}}]
    cid = ingest(
        aws,
        v,
        "R-1",
        "C-bio",
        "JOB-BIO",
        {"communication": 70},
        analyses=analyses,
        consent={"biometric_analysis": True},
    )
    rid = result_id(v[0], "R-1")
    assert api("GET", f"/v1/results/{rid}", "hr").body["analyses"][0]["summary"] == "语速适中"
    # When HR records that the candidate withdrew biometric consent
    r = api("PUT", f"/v1/candidates/{cid}/consent", "hr", body={"biometric_analysis": False})
    # Then the stored analyses are gone, and the change is audited
    assert r.status == 200, r.body
    assert r.body["analyses_deleted"] == 1 and r.body["consent"]["biometric_analysis"]["value"] is False
    assert api("GET", f"/v1/results/{rid}", "hr").body["analyses"] == []
    assert "analyses_enc" not in aws.table.get_item(Key=keys.result(cid, rid))["Item"]
    entry = [e for e in aws.audit.read(cid)["entries"] if e["action"] == "consent.changed"][-1]
    assert entry["after"] == {"biometric_analysis": False, "analyses_deleted": 1}
    # and a later result that claims consent has its analyses dropped all the same
    payload = generic_payload(
        "R-2", "C-bio", "JOB-BIO", {"communication": 72}, analyses=analyses, consent={"biometric_analysis": True}
    )
    payload["data"]["candidate"]["phone"] = None
    assert webhook(*v, payload).status == 202
    drain(aws)
    later = api("GET", f"/v1/results/{result_id(v[0], 'R-2')}", "hr").body
    assert later["analyses"] == [] and later["analyses_dropped"] == 1
    # and consent is recorded by HR only, never by interviewers or auditors
    for role in ("interviewer", "auditor"):
        assert (
            api("PUT", f"/v1/candidates/{cid}/consent", role, body={"talent_pool": True}, department="risk").status
            == 403
        )
    assert api("PUT", f"/v1/candidates/{cid}/consent", "hr", body={"unknown": True}).status == 422
    assert api("PUT", "/v1/candidates/c_none/consent", "hr", body={"talent_pool": True}).status == 404

"""Score adjustments: If-Match (428/412), a required reason, the vendor's score kept beside the
adjusted one, audited with before/after, re-scored — and of two edits from one ETag, one wins."""

from __future__ import annotations

import threading

import pytest

from shared.authz.policy import Principal, Role
from shared.errors import PreconditionFailed
from tests.integration.protection_kit import api, drain, ingest, result_id, vendor


@pytest.fixture
def one(aws):
    v = vendor(aws)
    cid = ingest(aws, v, "R-1", "C-adj", "JOB-ADJ", {"communication": 60, "teamwork": 70}, department="risk")
    rid = result_id(v[0], "R-1")
    return aws, cid, rid


def _etag(rid: str) -> str:
    r = api("GET", f"/v1/results/{rid}", "hr")
    assert r.status == 200
    return r.headers["etag"]


def test_an_adjustment_keeps_the_vendor_score_and_is_audited(one):
    aws, cid, rid = one
    etag = _etag(rid)
    assert etag == '"1.0"'
    # When HR corrects communication with a reason
    r = api(
        "PATCH",
        f"/v1/results/{rid}",
        "hr",
        body={"dimensions": {"communication": 75}, "reason": "录像复核"},
        headers={"If-Match": etag},
    )
    # Then the new score shows with the vendor's original beside it, under a new ETag
    assert r.status == 200, r.body
    assert r.headers["etag"] == '"1.1"'
    dim = next(d for d in r.body["dimensions"] if d["code"] == "communication")
    assert (dim["score"], dim["normalized"], dim["original_score"], dim["original_normalized"]) == (75, 75, 60, 60)
    assert r.body["adjustments"][-1]["reason"] == "录像复核"
    # and reading the result again shows the same, and the profile too
    whole = api("GET", f"/v1/results/{rid}", "hr")
    assert whole.headers["etag"] == '"1.1"'
    dim = next(d for d in whole.body["dimensions"] if d["code"] == "communication")
    assert dim["score"] == 75 and dim["original_score"] == 60
    assert whole.body["adjustments"][0]["reason"] == "录像复核" and "reason_enc" not in whole.body["adjustments"][0]
    # and the change, its author and before/after are in the audit trail
    trail = api("GET", f"/v1/candidates/{cid}/audit", "auditor").body
    assert trail["chain_valid"] is True
    e = next(e for e in trail["entries"] if e["action"] == "result.adjusted")
    assert e["actor"] == "test-hr" and e["actor_role"] == "hr" and e["target"] == rid
    assert e["before"] == {"communication": {"score": 60, "normalized": 60}}
    assert e["after"]["communication"]["score"] == 75 and e["note"] == "录像复核"
    # and the application is re-scored from the adjusted value
    drain(aws)
    prof = api("GET", f"/v1/candidates/{cid}", "hr").body
    assert prof["applications"][0]["scores"]["communication"] == 75


def test_if_match_is_required_and_must_be_current(one):
    _, _, rid = one
    body = {"dimensions": {"communication": 70}, "reason": "x"}
    assert api("PATCH", f"/v1/results/{rid}", "hr", body=body).status == 428
    assert api("PATCH", f"/v1/results/{rid}", "hr", body=body, headers={"If-Match": '"0.0"'}).status == 412
    etag = _etag(rid)
    assert api("PATCH", f"/v1/results/{rid}", "hr", body=body, headers={"If-Match": etag}).status == 200
    # the same ETag a second time is stale now
    r = api("PATCH", f"/v1/results/{rid}", "hr", body=body, headers={"If-Match": etag})
    assert r.status == 412 and r.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"dimensions": {"communication": 70}}, 422),  # no reason
        ({"dimensions": {"communication": 70}, "reason": "   "}, 422),  # a blank reason
        ({"dimensions": {}, "reason": "x"}, 422),  # nothing to change
        ({"dimensions": {"communication": 101}, "reason": "x"}, 422),  # outside the vendor's scale
        ({"dimensions": {"leadership": 50}, "reason": "x"}, 422),  # not in this result
        ({"dimensions": {"communication": "high"}, "reason": "x"}, 422),
    ],
)
def test_invalid_adjustments_are_refused(one, body, status):
    _, _, rid = one
    r = api("PATCH", f"/v1/results/{rid}", "hr", body=body, headers={"If-Match": _etag(rid)})
    assert r.status == status and r.body["errors"]


def test_who_may_adjust(one):
    _, _, rid = one
    body = {"dimensions": {"communication": 70}, "reason": "x"}
    h = {"If-Match": '"1.0"'}
    for role in ("interviewer", "auditor", "finance"):
        assert api("PATCH", f"/v1/results/{rid}", role, body=body, headers=h, department="risk").status == 403
    assert api("PATCH", "/v1/results/r_nothing", "hr", body=body, headers=h).status == 404
    assert api("PATCH", f"/v1/results/{rid}", "hr_admin", body=body, headers=h).status == 200


def test_concurrent_edits_with_the_same_etag_exactly_one_wins(one):
    # Given eight HR users who read the result at the same moment
    _, cid, rid = one
    etag = _etag(rid)
    start = threading.Barrier(8)
    statuses: list[int] = []

    def edit(i: int) -> None:
        start.wait()
        r = api(
            "PATCH",
            f"/v1/results/{rid}",
            "hr",
            body={"dimensions": {"communication": 61 + i}, "reason": f"r{i}"},
            headers={"If-Match": etag},
            sub=f"hr-{i}",
        )
        statuses.append(r.status)

    # When they all save their edit at once
    threads = [threading.Thread(target=edit, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then exactly one edit is stored and the others are told the result changed
    assert sorted(statuses) == [200] + [412] * 7
    assert _etag(rid) == '"1.1"'
    entries = [
        e for e in api("GET", f"/v1/candidates/{cid}/audit", "hr").body["entries"] if e["action"] == "result.adjusted"
    ]
    assert len(entries) == 1


def test_a_write_from_a_stale_read_loses_the_condition(one, monkeypatch):
    # Given an adjuster that read the result before somebody else saved an edit
    aws, _, rid = one
    stale = aws.candidates.get_result(rid)
    hr = Principal("hr-1", Role.HR)
    aws.adjuster.adjust(hr, rid, '"1.0"', {"communication": 80}, "first")
    monkeypatch.setattr(aws.candidates, "get_result", lambda _rid: stale)
    # When it writes with the ETag it had
    # Then the conditional write refuses it: the first edit is not overwritten
    with pytest.raises(PreconditionFailed):
        aws.adjuster.adjust(hr, rid, '"1.0"', {"communication": 90}, "second")
    monkeypatch.undo()
    dim = next(d for d in aws.candidates.get_result(rid)["dimensions"] if d["code"] == "communication")
    assert dim["adjusted_score"] == 80


def test_a_new_vendor_revision_makes_the_old_etag_stale(aws):
    # Given a result read by HR
    v = vendor(aws)
    ingest(aws, v, "R-1", "C-rev", "JOB-REV", {"communication": 60}, department="risk")
    rid = result_id(v[0], "R-1")
    etag = _etag(rid)
    # When the vendor sends a new revision before HR saves
    ingest(aws, v, "R-1", "C-rev", "JOB-REV", {"communication": 65}, revision=2, department="risk")
    # Then HR's edit is refused: it was made against scores that are no longer there
    r = api(
        "PATCH",
        f"/v1/results/{rid}",
        "hr",
        body={"dimensions": {"communication": 70}, "reason": "x"},
        headers={"If-Match": etag},
    )
    assert r.status == 412
    assert _etag(rid) == '"2.0"'

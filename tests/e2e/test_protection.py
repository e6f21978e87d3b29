"""Protection over real HTTP against the embedded stack: scoped roles, audited edits, erasure,
the front door's own answers."""

from __future__ import annotations

import threading

import pytest

from shared.http.problems import SECURITY_HEADERS
from tests.conftest import bearer, generic_payload, post_signed, unique, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def seeded(http):
    """A vendor and one candidate in a `sales` job, waited for until listed."""
    r = http.post("/v1/vendors", json={"name": unique("v"), "format": "generic"}, headers=bearer("hr_admin"))
    assert r.status_code == 201
    vendor, secret = r.json()["name"], r.json()["signing_secret"]
    job, ext = unique("JOB-"), unique("C-")
    payload = generic_payload("R-1", ext, job, {"communication": 70}, department="sales")
    payload["data"]["candidate"]["phone"] = None
    assert post_signed(http, vendor, secret, payload).status_code == 202
    hr = bearer("hr")
    items = wait_until(lambda: http.get("/v1/candidates", params={"job_id": job}, headers=hr).json()["items"])
    assert items
    cid = items[0]["candidate_id"]
    rid = http.get(f"/v1/candidates/{cid}", headers=hr).json()["applications"][0]["results"][0]["result_id"]
    return {"vendor": vendor, "secret": secret, "job": job, "cid": cid, "rid": rid}


def test_an_interviewer_sees_only_their_department(http, seeded):
    cid, rid, job = seeded["cid"], seeded["rid"], seeded["job"]
    risk, sales = bearer("interviewer", department="risk"), bearer("interviewer", department="sales")
    for path in (f"/v1/candidates/{cid}", f"/v1/results/{rid}", f"/v1/candidates/{cid}/match?job_id={job}"):
        assert http.get(path, headers=risk).status_code == 404, path
        assert http.get(path, headers=sales).status_code == 200, path
    assert http.get("/v1/candidates", params={"job_id": job}, headers=risk).json()["items"] == []
    r = http.post(f"/v1/candidates/{cid}/annotations", json={"text": "x"}, headers=risk)
    assert r.status_code == 404
    assert http.get(f"/v1/candidates/{cid}/audit", headers=sales).status_code == 403


def test_a_candidate_token_reaches_only_their_own_record(http, seeded):
    mine = bearer("candidate", candidate_id=seeded["cid"])
    r = http.get("/v1/me", headers=mine)
    assert r.status_code == 200 and r.json()["candidate_id"] == seeded["cid"]
    assert http.get(f"/v1/candidates/{seeded['cid']}", headers=mine).status_code == 403
    assert http.get("/v1/me", headers=bearer("candidate", candidate_id="c_other")).status_code == 404


def test_concurrent_patches_over_http_exactly_one_wins(http, seeded):
    rid = seeded["rid"]
    etag = http.get(f"/v1/results/{rid}", headers=bearer("hr")).headers["etag"]
    start, statuses = threading.Barrier(4), []

    def edit(i: int) -> None:
        start.wait()
        r = http.patch(
            f"/v1/results/{rid}",
            json={"dimensions": {"communication": 60 + i}, "reason": f"r{i}"},
            headers={**bearer("hr", sub=f"hr-{i}"), "If-Match": etag},
        )
        statuses.append(r.status_code)

    threads = [threading.Thread(target=edit, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 412, 412, 412]
    trail = http.get(f"/v1/candidates/{seeded['cid']}/audit", headers=bearer("auditor")).json()
    assert trail["chain_valid"] is True
    assert [e["action"] for e in trail["entries"]].count("result.adjusted") == 1


def test_erasure_over_http(http):
    # Given a candidate of their own (the module's candidate stays for the other tests)
    admin = bearer("hr_admin")
    r = http.post("/v1/vendors", json={"name": unique("v"), "format": "generic"}, headers=admin)
    vendor, secret = r.json()["name"], r.json()["signing_secret"]
    job = unique("JOB-")
    payload = generic_payload("R-e", unique("C-"), job, {"communication": 70})
    payload["data"]["candidate"]["phone"] = None
    assert post_signed(http, vendor, secret, payload).status_code == 202
    hr = bearer("hr")
    items = wait_until(lambda: http.get("/v1/candidates", params={"job_id": job}, headers=hr).json()["items"])
    cid = items[0]["candidate_id"]
    # When HR admin erases them
    r = http.delete(f"/v1/candidates/{cid}", headers=admin)
    assert r.status_code == 204 and r.content == b""
    # Then every read is 404 and the trail ends in a tombstone
    assert http.get(f"/v1/candidates/{cid}", headers=hr).status_code == 404
    assert http.get(f"/v1/candidates/{cid}/audit", headers=bearer("auditor")).status_code == 404
    assert http.get("/v1/candidates", params={"job_id": job}, headers=hr).json()["items"] == []
    tomb = http.get(f"/v1/erasures/{cid}", headers=bearer("auditor")).json()
    assert tomb["entries"][-1]["action"] == "candidate.erased" and tomb["chain_valid"] is True


def test_the_retention_timer_runs_the_sweep(stack):
    out = stack.timers["retention"].tick()
    assert set(out) == {"examined", "erased", "quarantine_destroyed"}


def _secure(headers) -> None:
    for k, v in SECURITY_HEADERS.items():
        assert headers.get(k) == v, k


def test_the_front_doors_own_answers_carry_security_headers(http):
    no_token = http.get("/v1/candidates")
    bad_token = http.get("/v1/candidates", headers={"Authorization": "Bearer nope"})
    nowhere = http.get("/elsewhere")
    assert (no_token.status_code, bad_token.status_code, nowhere.status_code) == (401, 401, 404)
    for r in (no_token, bad_token, nowhere, http.get("/v1/health")):
        _secure(r.headers)
        if r.status_code >= 400:
            assert r.headers["content-type"] == "application/problem+json"


def test_request_size_limits(http):
    hr = bearer("hr")
    big = {"text": "x" * (300 * 1024)}
    r = http.post("/v1/candidates/c_x/annotations", json=big, headers=hr)
    assert r.status_code == 413
    _secure(r.headers)
    r = http.post(
        "/v1/candidates/c_x/annotations",
        content=b"x" * (10 * 1024 * 1024 + 1),
        headers={**hr, "content-type": "application/json"},
    )
    assert r.status_code == 413

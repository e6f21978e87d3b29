"""The foundation over real HTTP against the embedded stack: vendors, signed webhooks, the read
API, bearer tokens and the error contract (CONTRACT §2–§5)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from embedded.tokens import ALGORITHM, AUDIENCE, ISSUER, mint, signing_key
from shared.webhooks.signature import new_secret, signed_headers
from tests.conftest import bearer, generic_payload, post_signed, unique, wait_until

pytestmark = pytest.mark.e2e

PROBLEM = "application/problem+json"
SECURITY = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "strict-transport-security": None,
    "referrer-policy": None,
}
TRANSCRIPT = "我们团队一起解决了一个很难的问题"


def assert_problem(r: Any, status: int) -> dict[str, Any]:
    """Every 4xx/5xx is RFC 9457 problem+json without internals."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM), r.headers
    body = r.json()
    assert body["status"] == status and body["title"] and body["type"] and "detail" in body
    text = r.text.lower()
    for leak in ("traceback", 'file "', "botocore", "dynamodb", "exception"):
        assert leak not in text, r.text
    return body


def assert_secure(r: Any) -> None:
    for header, value in SECURITY.items():
        assert header in r.headers, (header, dict(r.headers))
        if value:
            assert r.headers[header] == value


@pytest.fixture(scope="module")
def vendor(http: Any) -> tuple[str, str]:
    name = unique("v-")
    r = http.post("/v1/vendors", json={"name": name, "format": "generic"}, headers=bearer("hr_admin"))
    assert r.status_code == 201, r.text
    return name, r.json()["signing_secret"]


def _processed(http: Any, job: str) -> list[dict[str, Any]]:
    r = http.get("/v1/candidates", params={"job_id": job}, headers=bearer("hr"))
    return r.json()["items"] if r.status_code == 200 else []


# -- the main path ----------------------------------------------------------------------------------


def test_register_vendor_then_signed_webhook_then_profile(http):
    # Given an HR admin registering a vendor
    name = unique("v-")
    r = http.post("/v1/vendors", json={"name": name, "format": "generic"}, headers=bearer("hr_admin"))
    assert r.status_code == 201
    assert_secure(r)
    created = r.json()
    assert created["name"] == name and created["format"] == "generic"
    assert created["signing_secret"].startswith("whsec_")
    # When the vendor posts a signed result
    job = unique("JOB-")
    cand = unique("C-")
    doc = generic_payload(
        "R-1001", cand, job, {"communication": 85}, overall={"score": 4.2, "scale_min": 1, "scale_max": 5}
    )
    doc["data"]["dimensions"].append({"label": "抗压能力", "score": 3, "scale_min": 1, "scale_max": 5})
    r = post_signed(http, name, created["signing_secret"], doc, msg_id="msg_main")
    # Then it is accepted with its id
    assert r.status_code == 202 and r.json() == {"event_id": "msg_main"}
    assert_secure(r)
    # and within seconds the candidate is listed for the job
    started = time.monotonic()
    items = wait_until(lambda: _processed(http, job))
    assert items, "the result never became visible"
    assert time.monotonic() - started < 10
    (item,) = items
    for key in (
        "candidate_id",
        "name",
        "job_id",
        "status",
        "match_score",
        "recommendation",
        "percentile",
        "scores",
        "viewed",
    ):
        assert key in item
    assert item["name"] == "张三" and item["job_id"] == job and item["status"] == "awaiting_review"
    assert wait_until(lambda: _processed(http, job)[0]["scores"]) == {"communication": 85, "stress_tolerance": 50}
    # and the whole profile is readable
    r = http.get(f"/v1/candidates/{item['candidate_id']}", headers=bearer("hr"))
    assert r.status_code == 200
    profile = r.json()
    assert (profile["name"], profile["email"], profile["phone"]) == (
        "张三",
        f"{cand.lower()}@example.com",
        "+8613800000000",
    )
    (app,) = profile["applications"]
    assert app["job_id"] == job and app["status"] == "awaiting_review"
    (res,) = app["results"]
    assert res["vendor"] == name and res["vendor_result_id"] == "R-1001" and res["revision"] == 1
    assert res["overall"] == {"score": 4.2, "scale_min": 1, "scale_max": 5, "normalized": 80.0}
    dims = {d["code"]: d for d in res["dimensions"]}
    assert dims["communication"]["normalized"] == 85 and dims["communication"]["score"] == 85
    assert dims["stress_tolerance"] == {
        "code": "stress_tolerance",
        "label": "抗压能力",
        "score": 3,
        "scale_min": 1,
        "scale_max": 5,
        "normalized": 50.0,
    }
    # and the result whole, with its ETag and the transcript
    r = http.get(f"/v1/results/{res['result_id']}", headers=bearer("hr"))
    assert r.status_code == 200
    assert_secure(r)
    assert r.headers.get("etag", "").startswith('"')
    result = r.json()
    assert result["result_id"] == res["result_id"] and result["revision"] == 1
    (answer,) = result["answers"]
    assert answer["question_id"] == "q1" and answer["question"] and answer["transcript"] == TRANSCRIPT
    assert "media_url" in answer
    assert result["analyses"] == []


def test_a_duplicate_webhook_id_is_202_and_processed_once(http, vendor):
    name, secret = vendor
    job = unique("JOB-")
    doc = generic_payload("R-dup", unique("C-"), job, {"communication": 70})
    msg_id = f"msg_{uuid.uuid4().hex}"
    assert post_signed(http, name, secret, doc, msg_id=msg_id).status_code == 202
    items = wait_until(lambda: _processed(http, job))
    assert items
    # When the vendor retries the same id (re-signed, later), even with a changed body
    doc["data"]["dimensions"][0]["score"] = 10
    r = post_signed(http, name, secret, doc, msg_id=msg_id)
    # Then it is 202 with the same id, and nothing changes
    assert r.status_code == 202 and r.json() == {"event_id": msg_id}
    time.sleep(1.0)
    profile = http.get(f"/v1/candidates/{items[0]['candidate_id']}", headers=bearer("hr")).json()
    (res,) = profile["applications"][0]["results"]
    assert res["dimensions"][0]["score"] == 70
    result = http.get(f"/v1/results/{res['result_id']}", headers=bearer("hr")).json()
    assert len(result["revisions"]) == 1


def test_a_rotated_secret_keeps_the_old_one_valid(http, vendor):
    # Given a vendor whose secret is rotated
    name = unique("v-")
    old = http.post("/v1/vendors", json={"name": name, "format": "generic"}, headers=bearer("hr_admin")).json()
    r = http.post(f"/v1/vendors/{name}/rotate-secret", headers=bearer("hr_admin"))
    assert r.status_code == 200
    new = r.json()["signing_secret"]
    assert new.startswith("whsec_") and new != old["signing_secret"]
    # Then both the new and (within 24 h) the old secret sign acceptable deliveries, a foreign one does not
    doc = generic_payload("R-rot", unique("C-"), unique("JOB-"), {"communication": 70})
    assert post_signed(http, name, new, doc).status_code == 202
    assert post_signed(http, name, old["signing_secret"], doc).status_code == 202
    assert_problem(post_signed(http, name, new_secret(), doc), 401)
    # and only hr_admin may rotate, only existing vendors
    assert_problem(http.post(f"/v1/vendors/{name}/rotate-secret", headers=bearer("hr")), 403)
    assert_problem(http.post(f"/v1/vendors/{unique('nobody-')}/rotate-secret", headers=bearer("hr_admin")), 404)


# -- refused deliveries ------------------------------------------------------------------------------


def _body(vendor_payload: dict[str, Any] | None = None) -> bytes:
    doc = vendor_payload or generic_payload("R-x", "C-x", "JOB-x", {"communication": 70})
    return json.dumps(doc, ensure_ascii=False).encode()


def test_bad_missing_or_stale_signatures_are_401(http, vendor):
    name, secret = vendor
    raw = _body()
    now = int(time.time())
    good = signed_headers(secret, f"msg_{uuid.uuid4().hex}", now, raw)
    cases = {
        "wrong secret": signed_headers(new_secret(), good["webhook-id"], now, raw),
        "tampered body": {**good, "webhook-id": good["webhook-id"] + "x"},
        "stale": signed_headers(secret, good["webhook-id"], now - 301, raw),
        "future": signed_headers(secret, good["webhook-id"], now + 301, raw),
        "no signature": {k: v for k, v in good.items() if k != "webhook-signature"},
        "no timestamp": {k: v for k, v in good.items() if k != "webhook-timestamp"},
        "no id": {k: v for k, v in good.items() if k != "webhook-id"},
        "no headers": {},
        "garbage signature": {**good, "webhook-signature": "v1,%%%"},
    }
    details = set()
    for headers in cases.values():
        r = http.post(f"/v1/webhooks/{name}", content=raw, headers={**headers, "content-type": "application/json"})
        details.add(assert_problem(r, 401)["detail"])
        assert_secure(r)
    assert len(details) == 1  # one answer for every failure: no oracle for which check failed
    # and nothing was stored under that id: correctly signed, it is accepted as new
    r = http.post(f"/v1/webhooks/{name}", content=raw, headers={**good, "content-type": "application/json"})
    assert r.status_code == 202


def test_unknown_vendor_is_404(http):
    assert_problem(post_signed(http, unique("nobody-"), new_secret(), None, body=_body()), 404)


def test_a_body_over_1_mib_is_413(http, vendor):
    name, secret = vendor
    doc = generic_payload("R-big", "C-big", "JOB-big", {"communication": 70})
    doc["data"]["answers"][0]["transcript"] = "x" * (1024 * 1024)
    r = post_signed(http, name, secret, doc)
    assert_problem(r, 413)
    assert_secure(r)


def _quarantine(http: Any, event_id: str) -> dict[str, Any] | None:
    cursor = None
    for _ in range(50):
        params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        r = http.get("/v1/ingest/quarantine", params=params, headers=bearer("hr_admin"))
        assert r.status_code == 200, r.text
        page = r.json()
        for item in page["items"]:
            if item["event_id"] == event_id:
                return item
        cursor = page["next_cursor"]
        if not cursor:
            return None
    return None


def test_signed_but_invalid_is_422_with_field_errors_and_quarantined(http, vendor):
    name, secret = vendor
    doc = generic_payload("R-bad", "C-bad", "JOB-bad", {"communication": 70})
    doc["data"]["revision"] = "first"
    del doc["data"]["job"]["external_id"]
    msg_id = f"msg_{uuid.uuid4().hex}"
    # When delivered, and delivered again
    for _ in range(2):
        r = post_signed(http, name, secret, doc, msg_id=msg_id)
        body = assert_problem(r, 422)
        locs = {tuple(e["loc"]) for e in body["errors"]}
        assert {("data", "revision"), ("data", "job", "external_id")} <= locs
        assert all(isinstance(e["msg"], str) for e in body["errors"])
    # Then the quarantine lists it once, with the contract's fields
    item = _quarantine(http, msg_id)
    assert item is not None
    assert {"id", "event_id", "vendor", "received_at", "errors"} <= set(item)
    assert item["vendor"] == name and {tuple(e["loc"]) for e in item["errors"]} == locs
    # and not-even-JSON is quarantined too
    msg2 = f"msg_{uuid.uuid4().hex}"
    assert_problem(post_signed(http, name, secret, None, body=b"<xml/>", msg_id=msg2), 422)
    assert _quarantine(http, msg2) is not None
    # and only hr_admin may look at it
    assert_problem(http.get("/v1/ingest/quarantine", headers=bearer("hr")), 403)


# -- vendors -------------------------------------------------------------------------------------------


def test_an_existing_vendor_name_is_409(http, vendor):
    name, _ = vendor
    r = http.post("/v1/vendors", json={"name": name, "format": "generic"}, headers=bearer("hr_admin"))
    assert_problem(r, 409)


@pytest.mark.parametrize(
    "body",
    [
        {"name": "A", "format": "generic"},
        {"name": "x", "format": "generic"},
        {"name": "Acme", "format": "generic"},
        {"name": "has space", "format": "generic"},
        {"name": "a" * 41, "format": "generic"},
        {"name": "acme_1", "format": "generic"},
        {"name": "ok-name", "format": "xml"},
        {"format": "generic"},
        {"name": "ok-name"},
    ],
)
def test_a_bad_vendor_is_422_with_field_errors(http, body):
    r = http.post("/v1/vendors", json=body, headers=bearer("hr_admin"))
    problem = assert_problem(r, 422)
    assert problem["errors"] and all("loc" in e and "msg" in e for e in problem["errors"])


def test_only_hr_admin_registers_vendors(http):
    r = http.post("/v1/vendors", json={"name": unique("v-"), "format": "generic"}, headers=bearer("hr"))
    assert_problem(r, 403)


# -- tokens and roles ----------------------------------------------------------------------------------


def _token(key: Any = None, **overrides: Any) -> str:
    """A token like the local issuer's, with some claims changed (None removes one)."""
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "someone", "role": "hr", "iat": now, "nbf": now, "exp": now + 600}
    claims.update(overrides)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key or signing_key(), algorithm=ALGORITHM)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer garbage",
        "Basic aHI6aHI=",
        "bearer " + "a.b.c",
        "expired",
        "wrong issuer",
        "wrong audience",
        "foreign key",
        "alg none",
        "no exp",
    ],
)
def test_missing_or_invalid_bearer_tokens_are_401(http, authorization):
    now = int(time.time())
    tokens = {
        "expired": mint("hr", now=now - 7200, ttl=3600),
        "wrong issuer": _token(iss="https://evil.example/auth"),
        "wrong audience": _token(aud="someone-else"),
        "foreign key": _token(ec.generate_private_key(ec.SECP256R1())),
        "alg none": jwt.encode(
            {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "role": "hr_admin", "iat": now, "exp": now + 600},
            None,
            algorithm="none",
        ),
        "no exp": _token(exp=None),
    }
    headers = {}
    if authorization is not None:
        value = tokens.get(authorization)
        headers["Authorization"] = f"Bearer {value}" if value else authorization
    r = http.get("/v1/candidates", headers=headers)
    assert_problem(r, 401)
    assert_secure(r)


def test_a_valid_token_of_a_role_without_access_is_403(http):
    for role in ("finance", "candidate"):
        r = http.get(
            "/v1/candidates", headers=bearer(role, candidate_id="c_x") if role == "candidate" else bearer(role)
        )
        assert_problem(r, 403)
    # while hr and hr_admin are admitted
    for role in ("hr", "hr_admin"):
        assert http.get("/v1/candidates", headers=bearer(role)).status_code == 200


def test_unknown_ids_are_404(http):
    assert_problem(http.get(f"/v1/candidates/{unique('c_')}", headers=bearer("hr")), 404)
    assert_problem(http.get(f"/v1/results/{unique('r_')}", headers=bearer("hr")), 404)
    assert_problem(http.get("/v1/no-such-thing", headers=bearer("hr")), 404)
    assert_problem(http.get("/nothing-here"), 404)


def test_bad_query_parameters_are_problem_json(http):
    problem = assert_problem(http.get("/v1/candidates", params={"limit": 0}, headers=bearer("hr")), 422)
    assert problem["errors"]
    assert_problem(http.get("/v1/candidates", params={"cursor": "%%%"}, headers=bearer("hr")), 400)
    assert_problem(http.get("/v1/candidates", params={"min.flying": "80"}, headers=bearer("hr")), 400)


# -- public documents -----------------------------------------------------------------------------------


def test_health_needs_no_token(http):
    r = http.get("/v1/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    assert_secure(r)


def test_openapi_is_valid_3x_with_the_webhook_and_needs_no_token(http):
    from openapi_spec_validator import validate

    r = http.get("/v1/openapi.json")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    validate(doc)
    paths = doc["paths"]
    for path in (
        "/v1/webhooks/{vendor}",
        "/v1/candidates",
        "/v1/candidates/{candidate_id}",
        "/v1/results/{result_id}",
        "/v1/vendors",
        "/v1/health",
        "/v1/ingest/quarantine",
    ):
        assert path in paths, path
    webhook = paths["/v1/webhooks/{vendor}"]["post"]
    assert {"202", "401", "404", "413", "422"} <= set(webhook["responses"])
    assert {p["name"] for p in webhook["parameters"]} >= {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert paths["/v1/health"]["get"].get("security") == []

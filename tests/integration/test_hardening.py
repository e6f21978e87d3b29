"""Hardening: no personal data in logs or error bodies, security headers on every answer,
request size limits, pagination limits."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from shared.http.problems import SECURITY_HEADERS
from tests.conftest import generic_payload
from tests.integration.protection_kit import api, drain, ingest, result_id, vendor, webhook

NAME, PHONE = "司马相如", "+8613566667777"
SECRETS = (
    NAME,
    "c-logs@example.com",
    "13566667777",
    "我们团队一起解决了一个很难的问题",  # the transcript generic_payload sends
    "逻辑清楚但略显紧张",  # a vendor comment
    "请复核此候选人的背景",  # an annotation
    "录像复核后上调",  # an adjustment reason
)


class Capture(logging.Handler):
    """Everything logged anywhere in the process, formatted with every attribute it carries."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        self.lines.append(message + " " + json.dumps(record.__dict__, default=str, ensure_ascii=False))


@pytest.fixture
def captured(aws) -> Any:
    cap = Capture()
    root, ours = logging.getLogger(), logging.getLogger("hirelens")
    old = (root.level, ours.level)
    root.addHandler(cap)
    ours.addHandler(cap)
    root.setLevel(logging.DEBUG)
    ours.setLevel(logging.DEBUG)
    yield cap
    root.removeHandler(cap)
    ours.removeHandler(cap)
    root.setLevel(old[0])
    ours.setLevel(old[1])


def test_no_personal_data_in_logs_through_a_whole_flow(aws, captured):
    # Given a vendor result full of personal data, taken in, read, annotated, adjusted and erased
    v = vendor(aws)
    payload = generic_payload("R-logs", "C-logs", "JOB-LOGS", {"communication": 70}, name=NAME)
    payload["data"]["candidate"]["phone"] = PHONE
    payload["data"]["dimensions"][0]["comment"] = "逻辑清楚但略显紧张"
    assert webhook(*v, payload).status == 202
    drain(aws)
    rid = result_id(v[0], "R-logs")
    cid = aws.candidates.pointer(rid)["candidate_id"]
    assert api("GET", "/v1/candidates?job_id=JOB-LOGS", "hr").status == 200
    assert api("GET", f"/v1/candidates/{cid}", "interviewer", department="risk").status == 200
    r = api("GET", f"/v1/results/{rid}", "hr")
    assert r.status == 200 and r.body["answers"][0]["transcript"]
    body = {"text": "请复核此候选人的背景"}
    assert api("POST", f"/v1/candidates/{cid}/annotations", "hr", body=body).status == 201
    patch = {"dimensions": {"communication": 80}, "reason": "录像复核后上调"}
    assert api("PATCH", f"/v1/results/{rid}", "hr", body=patch, headers={"If-Match": r.headers["etag"]}).status == 200
    drain(aws)
    # and some requests that fail, carrying personal data in what they send
    api(
        "PATCH",
        f"/v1/results/{rid}",
        "hr",
        body={**patch, "dimensions": {"communication": NAME}},
        headers={"If-Match": '"9.9"'},
    )
    api("POST", f"/v1/candidates/{cid}/annotations", "hr", body={"text": NAME, "visibility": NAME})
    assert api("GET", "/v1/me", "candidate", candidate_id=cid).status == 200
    assert api("DELETE", f"/v1/candidates/{cid}", "hr_admin").status == 204
    # Then none of it appears in any log line, at any level
    assert len(captured.lines) > 20  # the flow did log
    text = "\n".join(captured.lines)
    for secret in SECRETS:
        assert secret not in text, f"personal data {secret!r} in the logs"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/vendors", {"name": NAME, "format": "generic"}),
        ("POST", "/v1/candidates/c_x/annotations", {"text": "x", "visibility": NAME}),
        ("PATCH", "/v1/results/r_x", {"dimensions": {NAME: 1}, "reason": "x"}),
        ("PATCH", "/v1/results/r_x", {"dimensions": {"communication": NAME}, "reason": "x"}),
        ("PUT", "/v1/settings/retention", {"rejected": NAME}),
        ("PUT", "/v1/candidates/c_x/consent", {NAME: True}),
    ],
)
def test_error_bodies_do_not_echo_what_was_sent(aws, method, path, body):
    r = api(method, path, "hr_admin", body=body, headers={"If-Match": '"1.0"'})
    assert 400 <= r.status < 500
    assert set(r.body) <= {"type", "title", "status", "detail", "errors"}
    # the values sent never come back; `loc` names the JSON path the client itself sent
    said = [r.body["detail"], *(e["msg"] for e in r.body.get("errors") or [])]
    assert NAME not in json.dumps(said, ensure_ascii=False)


def test_webhook_errors_do_not_echo_personal_data(aws):
    v = vendor(aws)
    payload = generic_payload("R-bad", "C-bad", "JOB-BAD", {"communication": 70}, name=NAME)
    payload["data"]["candidate"]["email"] = NAME  # not an e-mail
    payload["data"]["dimensions"][0]["score"] = NAME
    r = webhook(*v, payload)
    assert r.status == 422
    assert NAME not in json.dumps(r.body, ensure_ascii=False)


def _check_headers(headers: dict[str, str]) -> None:
    lowered = {k.lower(): v for k, v in headers.items()}
    for k, v in SECURITY_HEADERS.items():
        assert lowered.get(k.lower()) == v, f"{k} missing or wrong on an answer"


def test_security_headers_on_every_answer_errors_included(aws, monkeypatch):
    v = vendor(aws)
    cid = ingest(aws, v, "R-h", "C-h", "JOB-H", {"communication": 70})
    rid = result_id(v[0], "R-h")
    answers = [
        api("GET", "/v1/health", None),
        api("GET", "/v1/openapi.json", None),
        api("GET", f"/v1/candidates/{cid}", "hr"),
        api("POST", f"/v1/candidates/{cid}/annotations", "hr", body={"text": "x"}),  # 201
        api("GET", "/v1/candidates", None),  # 401
        api("GET", "/v1/vendors", "hr"),  # 403
        api("GET", "/v1/candidates/c_none", "hr"),  # 404
        api("GET", "/v1/no/such/route", "hr"),  # 404, no route
        api("GET", "/v1/candidates?cursor=%%%", "hr"),  # 400
        api("PATCH", f"/v1/results/{rid}", "hr", body={"dimensions": {"communication": 1}, "reason": "x"}),  # 428
        api(
            "PATCH",
            f"/v1/results/{rid}",
            "hr",
            body={"dimensions": {"communication": 1}, "reason": "x"},
            headers={"If-Match": '"0.0"'},
        ),  # 412
        api("POST", "/v1/vendors", "hr_admin", body={"name": "!"}),  # 422
        api("POST", "/v1/vendors", "hr_admin", raw=b"{" + b" " * (300 * 1024) + b"}"),  # 413
        api("DELETE", f"/v1/candidates/{cid}", "hr_admin"),  # 204
    ]
    statuses = [a.status for a in answers]
    assert statuses == [200, 200, 200, 201, 401, 403, 404, 404, 400, 428, 412, 422, 413, 204]
    for a in answers:
        _check_headers(a.headers)
    # and when the code fails unexpectedly: a 500 without internals, headers all the same
    monkeypatch.setattr(aws.company, "retention", lambda: 1 / 0)
    boom = api("GET", "/v1/settings/retention", "hr_admin")
    assert boom.status == 500 and "ZeroDivision" not in json.dumps(boom.body)
    _check_headers(boom.headers)
    # and on the webhook function's answers
    assert webhook(v[0], "whsec_" + "A" * 44, {"x": 1}).status == 401
    _check_headers(webhook(v[0], "whsec_" + "A" * 44, {"x": 1}).headers)
    _check_headers(webhook(*v, generic_payload("R-h2", "C-h2", "JOB-H", {"communication": 70})).headers)


def test_the_api_refuses_large_bodies_before_parsing(aws):
    limit = aws.settings.max_api_body_bytes
    text = "长" * (limit // 3 + 10)  # over the limit in UTF-8 bytes, under it in characters
    r = api("POST", "/v1/candidates/c_x/annotations", "hr", body={"text": text})
    assert r.status == 413 and r.headers["content-type"] == "application/problem+json"
    assert api("POST", "/v1/candidates/c_x/annotations", "hr", body={"text": "短"}).status == 404


def _list_operations() -> list[tuple[str, dict[str, Any]]]:
    from functions.api.app import openapi_document

    out = []
    for path, ops in openapi_document()["paths"].items():
        for method, op in ops.items():
            if any(p.get("name") == "limit" for p in op.get("parameters", [])):
                out.append((f"{method.upper()} {path}", op))
    return out


def test_every_list_caps_its_page_at_200(aws):
    ops = _list_operations()
    assert len(ops) >= 5
    for name, op in ops:
        limit = next(p for p in op["parameters"] if p["name"] == "limit")
        schema = limit["schema"]
        assert schema.get("maximum", 10**9) <= 200, f"{name} lets a page be larger than 200"
        assert schema.get("minimum", schema.get("exclusiveMinimum", 0)) >= 0
    # and asking for more is refused, not silently served
    for path in ("/v1/candidates", "/v1/vendors", "/v1/ingest/quarantine", "/v1/jobs", "/v1/inbox"):
        assert api("GET", f"{path}?limit=201", "hr_admin").status == 422, path


def test_a_method_a_path_does_not_take_is_405_with_allow(aws):
    r = api("PUT", "/v1/health", None)
    assert r.status == 405 and r.headers["allow"] == "GET"
    r = api("POST", "/v1/candidates/c_x", "hr")
    assert r.status == 405 and r.headers["allow"] == "DELETE, GET"
    _check_headers(r.headers)
    assert api("GET", "/v1/nowhere", "hr").status == 404


def test_a_body_that_is_not_json_is_415(aws):
    r = api("POST", "/v1/candidates/c_x/annotations", "hr", raw=b"text=x", headers={"content-type": "text/plain"})
    assert r.status == 415 and r.headers["content-type"] == "application/problem+json"

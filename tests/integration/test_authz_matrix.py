"""The authorization matrix (OWASP API1 BOLA, API5 function-level authorization), generated:
every route of the HR API and the webhook × every role × a resource in the caller's scope and
one outside it, asserting the exact status — and no token at all.

`MATRIX` is the table. A route without an entry fails `test_every_route_has_an_entry`: adding a
route means deciding here who may call it. Statuses read "in/out": `in` is a resource the
caller's scope covers (interviewers: a `risk` candidate or job; candidates: their own record),
`out` one it does not (a `sales` candidate or job; someone else's record). For routes that
are not about a candidate or job, `out` is a resource that does not exist. One status means
both. The requests go through the real API handler with the claims the JWT authorizer passes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from shared.storage import keys
from tests.integration.protection_kit import Answer, api, ingest, result_id, vendor, webhook

ROLES = ("hr_admin", "hr", "interviewer", "candidate", "finance", "auditor")
SCOPES = ("in", "out")
NO_TOKEN = "no-token"
DEPT_IN, DEPT_OUT = "risk", "sales"


@dataclass
class World:
    """What the requests point at: one candidate in each department, and the like."""

    services: Any
    vendor: str = ""
    secret: str = ""
    cid: dict[str, str] = field(default_factory=dict)  # scope → candidate id
    job: dict[str, str] = field(default_factory=dict)  # scope → job id
    rid: dict[str, str] = field(default_factory=dict)  # scope → result id
    erased: str = ""
    import_id: str = ""
    quarantine_id: str = ""
    spare_vendor: str = ""

    @classmethod
    def build(cls, services: Any, *, with_extras: bool = True) -> World:
        w = cls(services)
        w.vendor, w.secret = vendor(services)
        tag = uuid.uuid4().hex[:6]
        for scope, dept in (("in", DEPT_IN), ("out", DEPT_OUT)):
            job, ext = f"JOB-{dept}-{tag}", f"C-{scope}-{tag}"
            w.cid[scope] = ingest(
                services, (w.vendor, w.secret), f"R-{ext}", ext, job, {"communication": 70}, department=dept
            )
            w.job[scope], w.rid[scope] = job, result_id(w.vendor, f"R-{ext}")
        if with_extras:
            gone = ingest(
                services,
                (w.vendor, w.secret),
                f"R-gone-{tag}",
                f"C-gone-{tag}",
                w.job["in"],
                {"communication": 50},
                department=DEPT_IN,
            )
            services.eraser.erase(gone)
            w.erased = gone
            r = api("POST", "/v1/imports", "hr", body={"vendor": w.vendor, "format": "csv", "filename": "a.csv"})
            assert r.status == 201, r.body
            w.import_id = r.body["import_id"]
            bad = webhook(w.vendor, w.secret, {"type": "interview.result.completed", "data": {}})
            assert bad.status == 422
            w.quarantine_id = services.quarantine.list(100, None)[0][0]["id"]
            w.spare_vendor, _ = vendor(services)
            body = {
                "base_url": "https://vendor.example/api",
                "interval_minutes": 60,
                "credentials": {"type": "bearer", "token": "t0ken"},
            }
            assert api("PUT", f"/v1/vendors/{w.spare_vendor}/pull", "hr_admin", body=body).status == 200
        return w

    def second_interview(self) -> World:
        """Applications moved on to the second interview (feedback may be given)."""
        for scope in SCOPES:
            self.services.table.update_item(
                Key=keys.application(self.cid[scope], self.job[scope]),
                UpdateExpression="SET #s = :s, second_interview_at = :t",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":s": "second_interview", ":t": "2026-01-01T00:00:00Z"},
            )
        return self


@dataclass
class Req:
    method: str
    path: str
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Build = Callable[[World, str], Req]


@dataclass
class Entry:
    build: Build
    expect: dict[str, str]  # role (or NO_TOKEN) → "status" or "in/out"
    fresh: str | None = None  # a new World per case: "plain" or "second_interview"
    check: Callable[[World, str, str, Answer], bool] | None = None  # more than the status

    def status(self, who: str, scope: str) -> int:
        spec = self.expect[who]
        parts = spec.split("/")
        return int(parts[0] if scope == "in" or len(parts) == 1 else parts[1])


def roles(**spec: str) -> dict[str, str]:
    """Expected statuses, 403 for every role not named; 401 without a token."""
    return {**dict.fromkeys(ROLES, "403"), NO_TOKEN: "401", **spec}


def public(status: str) -> dict[str, str]:
    return {**dict.fromkeys(ROLES, status), NO_TOKEN: status}


READERS = {"hr_admin": "200", "hr": "200", "interviewer": "200/404", "auditor": "200"}
ANNOTATORS = {"hr_admin": "201", "hr": "201", "interviewer": "201/404"}
UNSCOPED = {"hr_admin": "200", "hr": "200", "auditor": "200"}


def _unique() -> str:
    return uuid.uuid4().hex[:8]


def _etag(w: World, s: str) -> str:
    return api("GET", f"/v1/results/{w.rid[s]}", "hr").headers["etag"]


def _list_check(w: World, who: str, scope: str, r: Answer) -> bool:
    """Interviewers' lists hold only their department; the others see the candidate."""
    ids = [i["candidate_id"] for i in r.body["items"]]
    if who == "interviewer" and scope == "out":
        return ids == []
    return w.cid[scope] in ids


def _jobs_check(w: World, who: str, scope: str, r: Answer) -> bool:
    ids = {j["job_id"] for j in r.body["items"]}
    return (w.job["out"] not in ids) if who == "interviewer" else {w.job["in"], w.job["out"]} <= ids


def _no_other_department(w: World, who: str, scope: str, r: Answer) -> bool:
    """An interviewer's view of a candidate shows no application of another department."""
    if who != "interviewer":
        return True
    return all(a.get("department") == DEPT_IN for a in r.body["applications"])


def _job_profile() -> dict[str, Any]:
    return {
        "title": "Analyst",
        "department": DEPT_IN,
        "competencies": [{"code": "communication", "weight": 1, "min": 60, "must_have": False}],
        "thresholds": {"hire": 80, "second_interview": 65},
    }


MATRIX: dict[tuple[str, str], Entry] = {
    # -- meta: no token needed -------------------------------------------------------------
    ("GET", "/v1/health"): Entry(lambda w, s: Req("GET", "/v1/health"), public("200")),
    ("GET", "/v1/openapi.json"): Entry(lambda w, s: Req("GET", "/v1/openapi.json"), public("200")),
    # -- candidates -------------------------------------------------------------------------
    ("GET", "/v1/candidates"): Entry(
        lambda w, s: Req("GET", f"/v1/candidates?job_id={w.job[s]}"),
        roles(**{**READERS, "interviewer": "200"}),
        check=_list_check,
    ),
    ("GET", "/v1/candidates/<candidate_id>"): Entry(
        lambda w, s: Req("GET", f"/v1/candidates/{w.cid[s]}"), roles(**READERS), check=_no_other_department
    ),
    ("DELETE", "/v1/candidates/<candidate_id>"): Entry(
        lambda w, s: Req("DELETE", f"/v1/candidates/{w.cid[s]}"), roles(hr_admin="204"), fresh="plain"
    ),
    ("POST", "/v1/candidates/<candidate_id>/annotations"): Entry(
        lambda w, s: Req("POST", f"/v1/candidates/{w.cid[s]}/annotations", {"text": "note"}), roles(**ANNOTATORS)
    ),
    ("GET", "/v1/candidates/<candidate_id>/audit"): Entry(
        lambda w, s: Req("GET", f"/v1/candidates/{w.cid[s]}/audit"), roles(**UNSCOPED)
    ),
    ("PUT", "/v1/candidates/<candidate_id>/consent"): Entry(
        lambda w, s: Req("PUT", f"/v1/candidates/{w.cid[s]}/consent", {"talent_pool": True}),
        roles(hr_admin="200", hr="200"),
    ),
    ("GET", "/v1/candidates/<candidate_id>/match"): Entry(
        lambda w, s: Req("GET", f"/v1/candidates/{w.cid[s]}/match?job_id={w.job[s]}"), roles(**READERS)
    ),
    ("POST", "/v1/candidates/<candidate_id>/decisions"): Entry(
        lambda w, s: Req(
            "POST",
            f"/v1/candidates/{w.cid[s]}/decisions",
            {"job_id": w.job[s], "action": "second_interview", "note": "ok"},
        ),
        roles(hr_admin="200", hr="200"),
        fresh="plain",
    ),
    ("POST", "/v1/candidates/<candidate_id>/feedback"): Entry(
        lambda w, s: Req(
            "POST",
            f"/v1/candidates/{w.cid[s]}/feedback",
            {"job_id": w.job[s], "stage": "second_interview", "rating": 80, "passed": True},
        ),
        roles(hr_admin="201", hr="201", interviewer="201/404"),
        fresh="second_interview",
    ),
    ("GET", "/v1/me"): Entry(lambda w, s: Req("GET", "/v1/me"), roles(candidate="200/404")),
    # -- results ------------------------------------------------------------------------------
    ("GET", "/v1/results/<result_id>"): Entry(lambda w, s: Req("GET", f"/v1/results/{w.rid[s]}"), roles(**READERS)),
    ("PATCH", "/v1/results/<result_id>"): Entry(
        lambda w, s: Req(
            "PATCH",
            f"/v1/results/{w.rid[s]}",
            {"dimensions": {"communication": 71}, "reason": "x"},
            {"If-Match": _etag(w, s)},
        ),
        roles(hr_admin="200", hr="200"),
    ),
    # the signed link is the capability (docs/media.md): a bearer token adds nothing, a forged link is refused
    ("GET", "/v1/media/<token>"): Entry(lambda w, s: Req("GET", "/v1/media/forged-token"), public("403")),
    # -- jobs and analysis ------------------------------------------------------------------
    ("GET", "/v1/jobs"): Entry(
        lambda w, s: Req("GET", "/v1/jobs?limit=200"), roles(**{**READERS, "interviewer": "200"}), check=_jobs_check
    ),
    ("GET", "/v1/jobs/<job_id>"): Entry(lambda w, s: Req("GET", f"/v1/jobs/{w.job[s]}"), roles(**READERS)),
    ("PUT", "/v1/jobs/<job_id>"): Entry(
        lambda w, s: Req("PUT", f"/v1/jobs/JOB-new-{_unique()}", _job_profile()), roles(hr_admin="201", hr="201")
    ),
    ("GET", "/v1/jobs/<job_id>/compare"): Entry(
        lambda w, s: Req("GET", f"/v1/jobs/{w.job[s]}/compare?candidates={w.cid[s]}"), roles(**READERS)
    ),
    ("GET", "/v1/exports"): Entry(
        lambda w, s: Req("GET", f"/v1/exports?job_id={w.job[s]}"), roles(hr_admin="200", hr="200")
    ),
    ("GET", "/v1/analytics/calibration"): Entry(
        lambda w, s: Req("GET", f"/v1/analytics/calibration?job_id={w.job[s]}"), roles(hr_admin="200", hr="200")
    ),
    ("GET", "/v1/inbox"): Entry(
        lambda w, s: Req("GET", "/v1/inbox"), roles(hr_admin="200", hr="200", interviewer="200")
    ),
    # -- audit and erasure -----------------------------------------------------------------
    ("GET", "/v1/erasures/<candidate_id>"): Entry(
        lambda w, s: Req("GET", f"/v1/erasures/{w.erased if s == 'in' else w.cid['in']}"),
        roles(hr_admin="200/404", hr="200/404", auditor="200/404"),
    ),
    # -- company settings --------------------------------------------------------------------
    ("GET", "/v1/settings/candidate-view"): Entry(
        lambda w, s: Req("GET", "/v1/settings/candidate-view"), roles(hr_admin="200")
    ),
    ("PUT", "/v1/settings/candidate-view"): Entry(
        lambda w, s: Req("PUT", "/v1/settings/candidate-view", {"scores": True, "reasons": True}), roles(hr_admin="200")
    ),
    ("GET", "/v1/settings/retention"): Entry(lambda w, s: Req("GET", "/v1/settings/retention"), roles(hr_admin="200")),
    ("PUT", "/v1/settings/retention"): Entry(
        lambda w, s: Req("PUT", "/v1/settings/retention", {"rejected": 180, "withdrawn": 30}), roles(hr_admin="200")
    ),
    ("GET", "/v1/departments/<department>/channels"): Entry(
        lambda w, s: Req("GET", f"/v1/departments/{DEPT_IN}/channels"), roles(hr_admin="200")
    ),
    ("PUT", "/v1/departments/<department>/channels"): Entry(
        lambda w, s: Req("PUT", f"/v1/departments/{DEPT_IN}/channels", {"channels": []}), roles(hr_admin="200")
    ),
    # -- vendors and intake --------------------------------------------------------------------
    ("GET", "/v1/vendors"): Entry(lambda w, s: Req("GET", "/v1/vendors"), roles(hr_admin="200")),
    ("POST", "/v1/vendors"): Entry(
        lambda w, s: Req("POST", "/v1/vendors", {"name": f"v{_unique()}", "format": "generic"}), roles(hr_admin="201")
    ),
    ("GET", "/v1/vendors/<name>"): Entry(
        lambda w, s: Req("GET", f"/v1/vendors/{w.vendor if s == 'in' else 'nobody'}"), roles(hr_admin="200/404")
    ),
    ("PATCH", "/v1/vendors/<name>"): Entry(
        lambda w, s: Req("PATCH", f"/v1/vendors/{w.spare_vendor if s == 'in' else 'nobody'}", {"format": "generic"}),
        roles(hr_admin="200/404"),
    ),
    ("POST", "/v1/vendors/<name>/rotate-secret"): Entry(
        lambda w, s: Req("POST", f"/v1/vendors/{w.spare_vendor if s == 'in' else 'nobody'}/rotate-secret"),
        roles(hr_admin="200/404"),
    ),
    ("GET", "/v1/vendors/<name>/pull"): Entry(
        lambda w, s: Req("GET", f"/v1/vendors/{w.spare_vendor if s == 'in' else 'nobody'}/pull"),
        roles(hr_admin="200/404"),
    ),
    ("PUT", "/v1/vendors/<name>/pull"): Entry(
        lambda w, s: Req(
            "PUT",
            f"/v1/vendors/{w.spare_vendor if s == 'in' else 'nobody'}/pull",
            {"base_url": "https://vendor.example/api", "interval_minutes": 30},
        ),
        roles(hr_admin="200/404"),
    ),
    ("POST", "/v1/imports"): Entry(
        lambda w, s: Req(
            "POST", "/v1/imports", {"vendor": w.vendor if s == "in" else "nobody", "format": "csv", "filename": "x.csv"}
        ),
        roles(hr_admin="201/422", hr="201/422"),
    ),
    ("GET", "/v1/imports/<import_id>"): Entry(
        lambda w, s: Req("GET", f"/v1/imports/{w.import_id if s == 'in' else 'i_nobody'}"),
        roles(hr_admin="200/404", hr="200/404"),
    ),
    ("GET", "/v1/ingest/quarantine"): Entry(lambda w, s: Req("GET", "/v1/ingest/quarantine"), roles(hr_admin="200")),
    ("POST", "/v1/ingest/quarantine/<item_id>/replay"): Entry(
        # the stored payload is still not the vendor's format: authorized, and told so (422)
        lambda w, s: Req("POST", f"/v1/ingest/quarantine/{w.quarantine_id if s == 'in' else 'nobody'}/replay"),
        roles(hr_admin="422/404"),
    ),
    ("GET", "/v1/ingest/dlq"): Entry(lambda w, s: Req("GET", "/v1/ingest/dlq"), roles(hr_admin="200")),
    ("POST", "/v1/ingest/dlq/redrive"): Entry(
        lambda w, s: Req("POST", "/v1/ingest/dlq/redrive", {"max": 1}), roles(hr_admin="200")
    ),
}

# The webhook function: vendors sign, nobody's bearer token counts. in: signed; out: unsigned.
WEBHOOK: dict[tuple[str, str], dict[str, str]] = {("POST", "/v1/webhooks/<vendor>"): public("202/401")}


def _claims(who: str, scope: str, w: World) -> dict[str, Any]:
    if who == "interviewer":
        return {"department": DEPT_IN}
    if who == "candidate":
        return {"candidate_id": w.cid["in"] if scope == "in" else "c_somebody_else"}
    return {}


# -- the world, once per module ------------------------------------------------------------------


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Any:
    import boto3
    from moto import mock_aws

    from embedded.aws import REGION, create_resources
    from embedded.gate import GATE
    from shared import wiring

    # the session stack's pollers and timers wait meanwhile (tests/conftest.py `_background_held`)
    with GATE.closed():
        with pytest.MonkeyPatch.context() as mp:
            for k in ("AWS_ENDPOINT_URL", "MOTO_PORT"):
                mp.delenv(k, raising=False)
            for k, v in {
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
            }.items():
                mp.setenv(k, v)
            with mock_aws():
                settings = create_resources(boto3.session.Session(region_name=REGION))
                for k, v in settings.to_env().items():
                    mp.setenv(k, v)
                wiring.reset()
                yield wiring.services()
        wiring.reset()  # the stack's threads see its own settings again when they resume


@pytest.fixture(scope="module")
def world(env: Any) -> World:
    return World.build(env)


def _routes() -> set[tuple[str, str]]:
    from functions.api.app import app

    return {(r.method, r.path) for r in app._static_routes + app._dynamic_routes}


def _webhook_routes() -> set[tuple[str, str]]:
    from functions.ingest.webhook import app

    return {(r.method, r.path) for r in app._static_routes + app._dynamic_routes}


def test_every_route_has_an_entry() -> None:
    missing = sorted(_routes() - set(MATRIX)) + sorted(_webhook_routes() - set(WEBHOOK))
    assert not missing, f"routes without an authorization matrix entry: {missing}"
    stale = sorted(set(MATRIX) - _routes()) + sorted(set(WEBHOOK) - _webhook_routes())
    assert not stale, f"matrix entries for routes that no longer exist: {stale}"


CASES = [
    pytest.param(key, who, scope, id=f"{key[0]} {key[1]} {who} {scope}")
    for key in sorted(MATRIX)
    for who in (*ROLES, NO_TOKEN)
    for scope in SCOPES
    if not (who == NO_TOKEN and scope == "out")
]


@pytest.mark.parametrize(("key", "who", "scope"), CASES)
def test_matrix(env: Any, world: World, key: tuple[str, str], who: str, scope: str) -> None:
    entry = MATRIX[key]
    w = world
    expected = entry.status(who, scope)
    if entry.fresh and expected < 300:  # a request that is refused changes nothing
        w = World.build(env, with_extras=False)
        if entry.fresh == "second_interview":
            w.second_interview()
    req = entry.build(w, scope)
    role = None if who == NO_TOKEN else who
    r = api(req.method, req.path, role, body=req.body, headers=req.headers, **_claims(who, scope, w))
    assert r.status == expected, f"{key} as {who} ({scope}): {r.status} {r.body}"
    if r.status >= 400:
        assert r.headers["content-type"] == "application/problem+json"
    if entry.check and r.status < 300:
        assert entry.check(w, who, scope, r), f"{key} as {who} ({scope}) returned what it must not: {r.body}"


def _public(entry: Entry) -> bool:
    return entry.expect[NO_TOKEN] != "401"


def test_the_table_keeps_the_role_rules() -> None:
    """Whatever a row says, some rules hold for every route (CONTRACT §2)."""
    for key, entry in MATRIX.items():
        if _public(entry):
            continue
        method, path = key
        # auditors only read
        if method != "GET":
            assert entry.expect["auditor"] == "403", key
        # finance reaches /v1/usage only, candidates /v1/me only
        if path != "/v1/usage":
            assert entry.expect["finance"] == "403", key
        if path != "/v1/me":
            assert entry.expect["candidate"] == "403", key
        # interviewers never manage vendors, settings, erasure, or read audit trails
        if path.startswith(("/v1/vendors", "/v1/settings", "/v1/ingest", "/v1/erasures")) or method == "DELETE":
            assert entry.expect["interviewer"] == "403", key
        if path.endswith("/audit"):
            assert entry.expect["interviewer"] == "403", key


@pytest.mark.parametrize("who", [*ROLES, NO_TOKEN])
@pytest.mark.parametrize("scope", SCOPES)
def test_webhook_matrix(env: Any, world: World, who: str, scope: str) -> None:
    from embedded.frontdoor import build_event
    from embedded.runtime import LocalContext
    from functions.ingest.webhook import lambda_handler
    from tests.conftest import generic_payload
    from tests.integration.protection_kit import claims_for

    if scope == "in":
        payload = generic_payload(f"R-{_unique()}", "C-wh", "JOB-WH", {"communication": 60})
        status = webhook(world.vendor, world.secret, payload).status
    else:
        event = build_event(
            "POST",
            f"/v1/webhooks/{world.vendor}",
            {"content-type": "application/json"},
            b"{}",
            "127.0.0.1",
            claims_for(None if who == NO_TOKEN else who),
        )
        status = int(lambda_handler(event, LocalContext("webhook"))["statusCode"])
    assert status == int(WEBHOOK[("POST", "/v1/webhooks/<vendor>")][who].split("/")[0 if scope == "in" else 1])

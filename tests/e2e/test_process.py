"""The review process end to end on the embedded stack: moto runs the state machine CDK
synthesizes; HTTP decisions resume it; the interviewers' channel receives a signed briefing."""

from __future__ import annotations

from typing import Any

from shared.services.workflow import execution_arn, execution_name
from shared.storage import keys
from tests.conftest import bearer, generic_payload, post_signed, unique, wait_until
from tests.receivers import Receiver


def _app(stack: Any, cid: str, job: str) -> dict[str, Any]:
    table = stack.session().resource("dynamodb").Table(stack.settings.table_name)
    return table.get_item(Key=keys.application(cid, job), ConsistentRead=True).get("Item") or {}


def _states(stack: Any, arn: str) -> list[str]:
    sfn = stack.session().client("stepfunctions")
    events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


def test_result_to_hire_runs_the_synthesized_state_machine(http, stack):
    admin, hr = bearer("hr_admin"), bearer("hr")
    dept, job = unique("dept"), unique("JOB-")
    with Receiver() as rx:
        # Given a vendor and a signed webhook channel for the department's interviewers
        r = http.put(
            f"/v1/departments/{dept}/channels",
            json={"channels": [{"kind": "webhook", "url": rx.url, "audience": ["interviewers"]}]},
            headers=admin,
        )
        assert r.status_code == 200, r.text
        rx.secret = next(iter(r.json()["generated_secrets"].values()))
        vendor = unique("v")
        secret = http.post("/v1/vendors", json={"name": vendor, "format": "generic"}, headers=admin).json()[
            "signing_secret"
        ]
        profile = {
            "title": "风控分析师",
            "department": dept,
            "competencies": [
                {"code": "logical_thinking", "weight": 0.6, "min": 80, "must_have": True},
                {"code": "stress_tolerance", "weight": 0.4, "min": 70, "must_have": False},
            ],
            "thresholds": {"hire": 80, "second_interview": 65},
        }
        assert http.put(f"/v1/jobs/{job}", json=profile, headers=hr).status_code in (200, 201)
        # When results arrive: three other candidates, then ours
        for i, score in enumerate((60, 70, 95)):
            other = generic_payload(f"R-o{i}", unique("C-"), job, {"logical_thinking": score}, department=dept)
            other["data"]["candidate"].pop("phone")
            assert post_signed(http, vendor, secret, other).status_code == 202
        ext = unique("C-")
        payload = generic_payload("R-1", ext, job, {"logical_thinking": 90, "stress_tolerance": 55}, department=dept)
        payload["data"]["candidate"].pop("phone")
        assert post_signed(http, vendor, secret, payload).status_code == 202

        def ours() -> Any:
            found = http.get("/v1/candidates", params={"job_id": job}, headers=hr).json()["items"]
            scored = [i for i in found if i["scores"].get("stress_tolerance") is not None]
            return len(found) == 4 and scored

        cid = wait_until(ours, timeout=30)[0]["candidate_id"]
        # Then its execution is waiting for review, with the task token on the application
        assert wait_until(lambda: _app(stack, cid, job).get("task_step") == "AwaitingReview", timeout=30)
        arn = execution_arn(stack.settings.state_machine_arn, execution_name(cid, job))
        sfn = stack.session().client("stepfunctions")
        assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
        # and it is in HR's inbox
        inbox = http.get("/v1/inbox", headers=hr).json()["items"]
        assert any(i["candidate_id"] == cid and i["kind"] == "result" for i in inbox)

        # When HR decides on a second interview
        r = http.post(f"/v1/candidates/{cid}/decisions", json={"job_id": job, "action": "second_interview"}, headers=hr)
        assert r.status_code == 200, r.text
        # Then the execution moves on, and the interviewers get a signed briefing with highlights
        assert wait_until(lambda: _app(stack, cid, job).get("task_step") == "SecondInterview", timeout=30)
        assert wait_until(lambda: rx.received, timeout=15)
        got = rx.received[0]
        assert got.signature_ok is True
        event = got.json()
        assert event["type"] == "hirelens.second_interview" and event["data"]["candidate_id"] == cid
        text = " ".join(event["data"]["lines"])
        assert "逻辑思维 90，超过 67% 的候选人" in text and "抗压能力 需复试核实" in text
        assert "张三" not in got.body.decode()  # no name leaves hirelens
        interviewer = bearer("interviewer", department=dept, sub=unique("iv-"))
        assert any(i["kind"] == "second_interview" for i in http.get("/v1/inbox", headers=interviewer).json()["items"])

        # And the rest of the path: feedback, offer, hire
        fb = {"job_id": job, "stage": "second_interview", "rating": 82, "passed": True, "comment": "沟通顺畅"}
        assert http.post(f"/v1/candidates/{cid}/feedback", json=fb, headers=interviewer).status_code == 201
        assert (
            http.post(
                f"/v1/candidates/{cid}/decisions", json={"job_id": job, "action": "offer"}, headers=hr
            ).status_code
            == 200
        )
        assert wait_until(lambda: _app(stack, cid, job).get("task_step") == "Offer", timeout=30)
        assert (
            http.post(f"/v1/candidates/{cid}/decisions", json={"job_id": job, "action": "hire"}, headers=hr).status_code
            == 200
        )
        assert wait_until(lambda: sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED", timeout=30)
        assert _states(stack, arn) == ["AwaitingReview", "Route", "SecondInterview", "Route", "Offer", "Route", "Hired"]
        # A final status refuses every further decision
        r = http.post(f"/v1/candidates/{cid}/decisions", json={"job_id": job, "action": "reject"}, headers=hr)
        assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
        prof = http.get(f"/v1/candidates/{cid}", headers=hr).json()
        assert prof["applications"][0]["status"] == "hired"
        assert prof["feedback"][0]["comment"] == "沟通顺畅"


def _candidate(
    http: Any, admin: dict[str, str], hr: dict[str, str], job: str, dims: dict[str, float], **kw: Any
) -> str:
    vendor = unique("v")
    secret = http.post("/v1/vendors", json={"name": vendor, "format": "generic"}, headers=admin).json()[
        "signing_secret"
    ]
    payload = generic_payload(unique("R-"), unique("C-"), job, dims, **kw)
    payload["data"]["candidate"].pop("phone")
    assert post_signed(http, vendor, secret, payload).status_code == 202
    found = wait_until(lambda: http.get("/v1/candidates", params={"job_id": job}, headers=hr).json()["items"])
    return str(found[0]["candidate_id"])


def test_concurrent_identical_decisions_over_http_one_wins(http):
    import concurrent.futures

    admin, hr = bearer("hr_admin"), bearer("hr")
    job = unique("JOB-")
    cid = _candidate(http, admin, hr, job, {"communication": 80})
    body = {"job_id": job, "action": "second_interview"}
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        codes = sorted(
            f.result().status_code
            for f in [
                pool.submit(http.post, f"/v1/candidates/{cid}/decisions", json=body, headers=hr) for _ in range(2)
            ]
        )
    assert codes == [200, 409]
    r = http.post(f"/v1/candidates/{cid}/decisions", json={"job_id": job, "action": "hire"}, headers=hr)
    assert r.status_code == 409  # hire only from offer
    r = http.post(f"/v1/candidates/{cid}/decisions", json={"job_id": job, "action": "promote"}, headers=hr)
    assert r.status_code == 422
    iv = bearer("interviewer", department="risk")
    assert http.post(f"/v1/candidates/{cid}/decisions", json=body, headers=iv).status_code == 403


def test_channels_are_hr_admin_only_validated_and_never_echo_secrets(http):
    admin, hr = bearer("hr_admin"), bearer("hr")
    dept = unique("dept")
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET-KEY"
    body = {"channels": [{"kind": "wecom", "url": url}]}
    assert http.put(f"/v1/departments/{dept}/channels", json=body, headers=hr).status_code == 403
    bad = {"channels": [{"kind": "wecom", "url": "http://example.com/x"}]}
    r = http.put(f"/v1/departments/{dept}/channels", json=bad, headers=admin)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    r = http.put(f"/v1/departments/{dept}/channels", json=body, headers=admin)
    assert r.status_code == 200 and "SECRET-KEY" not in r.text
    shown = http.get(f"/v1/departments/{dept}/channels", headers=admin).json()
    assert shown["channels"][0]["target_hint"] == "https://qyapi.weixin.qq.com/…" and "SECRET-KEY" not in str(shown)


def test_calibration_over_http(http):
    admin, hr = bearer("hr_admin"), bearer("hr")
    job = unique("JOB-")
    hired = _candidate(http, admin, hr, job, {"communication": 90})
    for action in ("offer", "hire"):
        assert (
            http.post(
                f"/v1/candidates/{hired}/decisions", json={"job_id": job, "action": action}, headers=hr
            ).status_code
            == 200
        )
    fb = {"job_id": job, "stage": "probation", "rating": 88, "passed": True, "comment": "按期转正"}
    assert http.post(f"/v1/candidates/{hired}/feedback", json=fb, headers=hr).status_code == 201
    report = http.get("/v1/analytics/calibration", params={"job_id": job}, headers=hr).json()
    assert report["n"] == 1 and report["accuracy"]["n"] == 1
    assert sum(row["probation_passed"] for row in report["matrix"].values()) == 1
    assert http.get("/v1/analytics/calibration", headers=bearer("interviewer", department="risk")).status_code == 403


def test_reminders_run_on_the_embedded_schedule(stack):
    # The embedded stack plays EventBridge Scheduler: a timer invokes the same reminders function
    timer = stack.timers["reminders"]
    assert timer.every_s == stack.settings.reminder_interval_s
    sent = timer.tick()
    assert set(sent) == {"unviewed", "expiring"}  # nothing here is three days old

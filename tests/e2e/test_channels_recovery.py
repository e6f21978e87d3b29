"""API pull, media copies and recovery over real HTTP against the embedded stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import bearer, generic_payload, post_signed, unique, wait_until
from tests.loopback_vendor import Answer, LoopbackVendor, page


def admin() -> dict[str, str]:  # minted when used: the signing key lives under the session's HIRELENS_HOME
    return bearer("hr_admin")


def hr() -> dict[str, str]:
    return bearer("hr")


@pytest.fixture(scope="module")
def vendor_server() -> Iterator[LoopbackVendor]:
    v = LoopbackVendor()
    yield v
    v.close()


def new_vendor(http: Any, fmt: str = "generic") -> tuple[str, str]:
    name = unique("e")
    r = http.post("/v1/vendors", json={"name": name, "format": fmt}, headers=admin())
    assert r.status_code == 201, r.text
    return name, r.json()["signing_secret"]


def result_id_of(http: Any, job: str) -> str | None:
    items = http.get("/v1/candidates", params={"job_id": job}, headers=hr()).json()["items"]
    if not items:
        return None
    profile = http.get(f"/v1/candidates/{items[0]['candidate_id']}", headers=hr()).json()
    results = [r for a in profile["applications"] if a["job_id"] == job for r in a["results"]]
    return results[0]["result_id"] if results else None


# --- API pull ------------------------------------------------------------------------------------


def test_a_vendor_configured_for_pull_is_polled_and_its_results_land(http, stack, vendor_server):
    # Given a vendor that offers only a results API, with a bearer token
    vendor, _ = new_vendor(http)
    job = unique("JOB-")
    path = f"/{vendor}/results"
    vendor_server.script(
        path, page([generic_payload("PR-1", unique("C-"), job, {"communication": 90})], "cur-1", False)
    )
    token = "e2e-secret-" + unique("")
    r = http.put(
        f"/v1/vendors/{vendor}/pull",
        json={
            "base_url": f"{vendor_server.url}/{vendor}",
            "credentials": {"type": "bearer", "token": token},
            "interval_minutes": 60,
        },
        headers=admin(),
    )
    # Then the configuration is kept, without the credential
    assert r.status_code == 200, r.text
    assert token not in r.text
    assert r.json()["credentials"] == {"type": "bearer", "configured": True}
    # When the schedule fires
    stack.timers["puller"].tick()
    # Then the vendor was called with the token, and the result is in the candidate's profile
    assert vendor_server.requests_to(path)[0]["headers"]["authorization"] == f"Bearer {token}"
    assert wait_until(lambda: result_id_of(http, job))
    cfg = http.get(f"/v1/vendors/{vendor}/pull", headers=admin()).json()
    assert (cfg["last_status"], cfg["cursor"], cfg["pulled_total"]) == ("ok", "cur-1", 1)
    assert token not in json.dumps(cfg)
    # And a second tick within the interval does not call the vendor again
    stack.timers["puller"].tick()
    assert len(vendor_server.requests_to(path)) == 1


def test_pull_configuration_is_validated_and_admin_only(http):
    vendor, _ = new_vendor(http)
    body = {"base_url": "https://api.vendor.example/v2", "interval_minutes": 30}
    first = http.put(f"/v1/vendors/{vendor}/pull", json=body, headers=admin())
    assert first.status_code == 422 and first.json()["errors"][0]["loc"] == ["body", "credentials"]
    creds = {"type": "api_key", "header": "X-Api-Key", "value": "k"}
    for bad in (
        {"base_url": "http://api.vendor.example", "credentials": creds, "interval_minutes": 30},
        {"base_url": "https://user:pw@api.vendor.example", "credentials": creds, "interval_minutes": 30},
        {"base_url": "https://api.vendor.example", "credentials": creds, "interval_minutes": 0},
        {"base_url": "https://api.vendor.example", "credentials": {**creds, "header": "Host"}, "interval_minutes": 5},
    ):
        r = http.put(f"/v1/vendors/{vendor}/pull", json=bad, headers=admin())
        assert r.status_code == 422, bad
        assert r.headers["content-type"] == "application/problem+json"
    ok = http.put(f"/v1/vendors/{vendor}/pull", json={**body, "credentials": creds}, headers=admin())
    assert ok.status_code == 200 and ok.json()["credentials"] == {
        "type": "api_key",
        "configured": True,
        "header": "X-Api-Key",
    }
    # later changes may leave the credentials out: they stay
    again = http.put(f"/v1/vendors/{vendor}/pull", json={**body, "enabled": False}, headers=admin())
    assert again.status_code == 200 and again.json()["enabled"] is False
    assert http.put(f"/v1/vendors/{vendor}/pull", json=body, headers=hr()).status_code == 403
    assert http.get(f"/v1/vendors/{vendor}/pull", headers=hr()).status_code == 403
    assert http.put("/v1/vendors/nobody/pull", json={**body, "credentials": creds}, headers=admin()).status_code == 404


# --- media ---------------------------------------------------------------------------------------


def test_media_is_copied_and_served_through_a_short_lived_link(http, stack, vendor_server):
    # Given a result whose answer links a video at the vendor
    vendor, secret = new_vendor(http)
    video = os.urandom(300_000)
    vendor_server.script(f"/{vendor}/m/1.mp4", Answer(200, video, {"Content-Type": "video/mp4"}))
    job = unique("JOB-")
    payload = generic_payload("MR-1", unique("C-"), job, {"communication": 75})
    payload["data"]["answers"][0]["media"] = {
        "url": f"{vendor_server.url}/{vendor}/m/1.mp4",
        "content_type": "video/mp4",
    }
    assert post_signed(http, vendor, secret, payload).status_code == 202
    rid = wait_until(lambda: result_id_of(http, job))

    # When the copy is done, the result links to hirelens itself, not to the vendor or the bucket
    def copied() -> dict[str, Any] | None:
        a = http.get(f"/v1/results/{rid}", headers=hr()).json()["answers"][0]
        return a if a["media_status"] == "copied" else None

    answer = wait_until(copied)
    assert answer, "media was not copied"
    url = answer["media_url"]
    assert url.startswith(f"{stack.url}/v1/media/v1.")
    # Then the link works without a token, and serves the plaintext
    import httpx

    got = httpx.get(url, timeout=10)
    assert got.status_code == 200 and got.content == video
    assert got.headers["content-type"] == "video/mp4" and got.headers["accept-ranges"] == "bytes"
    part = httpx.get(url, headers={"Range": "bytes=100-199"}, timeout=10)
    assert part.status_code == 206 and part.content == video[100:200]
    # And a tampered link is refused
    assert httpx.get(url[:-3] + "AAA", timeout=10).status_code == 403


# --- recovery ------------------------------------------------------------------------------------


def test_a_quarantined_payload_is_replayed_after_the_vendor_format_is_corrected(http):
    # Given a vidassess vendor registered as generic by mistake: its payload is quarantined
    vendor, secret = new_vendor(http, "generic")
    job = unique("JOB-")
    payload = {
        "event": "assessment.scored",
        "event_time": 1763626200,
        "assessment": {
            "id": "VA-1",
            "version": 1,
            "finished": "2026-11-20T08:20:00+08:00",
            "applicant": {"ref": "C-77", "full_name": "Li Si"},
            "requisition": {"code": job, "name": "Risk Analyst", "org_unit": "risk"},
            "competencies": [{"name": "Communication Skills", "rating": 4}],
        },
    }
    assert post_signed(http, vendor, secret, payload).status_code == 422
    items = http.get("/v1/ingest/quarantine", params={"limit": 200}, headers=admin()).json()["items"]
    [item] = [i for i in items if i["vendor"] == vendor]
    # When it is replayed unchanged: still 422, still listed
    r = http.post(f"/v1/ingest/quarantine/{item['id']}/replay", headers=admin())
    assert r.status_code == 422 and r.json()["errors"]
    # When the format is corrected and it is replayed
    assert http.patch(f"/v1/vendors/{vendor}", json={"format": "nope"}, headers=admin()).status_code == 422
    r = http.patch(f"/v1/vendors/{vendor}", json={"format": "vidassess"}, headers=admin())
    if r.status_code == 422:  # pragma: no cover - the vidassess adapter ships with issue 4 part 1
        pytest.skip("vidassess adapter not registered")
    assert r.status_code == 200 and r.json()["format"] == "vidassess"
    r = http.post(f"/v1/ingest/quarantine/{item['id']}/replay", headers=admin())
    assert r.status_code == 202 and r.json()["status"] == "queued"
    # Then the result lands and the item has left quarantine
    assert wait_until(lambda: result_id_of(http, job))
    items = http.get("/v1/ingest/quarantine", params={"limit": 200}, headers=admin()).json()["items"]
    assert [i for i in items if i["vendor"] == vendor] == []
    assert http.post(f"/v1/ingest/quarantine/{item['id']}/replay", headers=admin()).status_code == 404
    assert http.post(f"/v1/ingest/quarantine/{item['id']}/replay", headers=hr()).status_code == 403


def dlq_messages(http: Any, queue: str) -> int:
    items = http.get("/v1/ingest/dlq", headers=admin()).json()["items"]
    return next(i["messages"] for i in items if i["queue"] == queue)


def poison(stack: Any, vendor: str, job: str, rid: str) -> None:
    """A stored, queued event whose vendor registration is gone: it fails on every receive."""
    from shared.webhooks.signature import signed_headers
    from shared.wiring import services

    s = services()
    body = json.dumps(generic_payload(rid, "C-" + rid, job, {"teamwork": 66})).encode()
    secret = s.vendors.valid_secrets(s.vendors.get(vendor), time.time())[0]
    s.intake.accept(vendor, signed_headers(secret, unique("msg_"), int(time.time()), body), body)
    s.table.delete_item(Key={"pk": f"VENDOR#{vendor}", "sk": "VENDOR"})


def test_dlq_redrive_through_the_cli_on_the_running_local_stack(http, stack):
    from embedded import state

    # Given `hirelens serve`'s state file, and a message that failed five times
    assert stack.settings is not None
    state.write(f"http://127.0.0.1:{stack.moto.port}", stack.moto.port, stack.url, stack.settings.to_env())
    vendor, secret = new_vendor(http)
    job = unique("JOB-")
    poison(stack, vendor, job, "DL-1")
    assert wait_until(lambda: dlq_messages(http, "ingest") >= 1, timeout=40)
    # When the cause is fixed and `hirelens redrive` runs
    from shared.wiring import services

    services().vendors.create(vendor, "generic", secret, time.time())
    out = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "hirelens"), "redrive", "--queue", "ingest"],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
        check=False,
    )
    # Then the message is back in its queue and processed
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["moved"]["ingest"] >= 1
    assert wait_until(lambda: result_id_of(http, job))


def test_dlq_counts_and_redrive_through_the_api(http, stack):
    vendor, secret = new_vendor(http)
    job = unique("JOB-")
    poison(stack, vendor, job, "DL-2")
    assert wait_until(lambda: dlq_messages(http, "ingest") >= 1, timeout=40)
    assert http.get("/v1/ingest/dlq", headers=hr()).status_code == 403
    assert http.post("/v1/ingest/dlq/redrive", json={"queue": "nope"}, headers=admin()).status_code == 422
    from shared.wiring import services

    services().vendors.create(vendor, "generic", secret, time.time())
    r = http.post("/v1/ingest/dlq/redrive", json={"queue": "ingest", "max": 50}, headers=admin())
    assert r.status_code == 200 and r.json()["moved"]["ingest"] >= 1
    assert wait_until(lambda: result_id_of(http, job))

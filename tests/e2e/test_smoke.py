"""The foundation's main path over real HTTP against the embedded stack."""

from tests.conftest import bearer, generic_payload, post_signed, unique, wait_until


def test_vendor_webhook_profile(http):
    # Given a registered vendor
    admin = bearer("hr_admin")
    vendor = unique("v")
    r = http.post("/v1/vendors", json={"name": vendor, "format": "generic"}, headers=admin)
    assert r.status_code == 201
    secret = r.json()["signing_secret"]
    job = unique("JOB-")
    # When it posts a signed result
    r = post_signed(http, vendor, secret, generic_payload("R-1", "C-1", job, {"communication": 85}))
    assert r.status_code == 202
    # Then the candidate appears with normalised scores
    hr = bearer("hr")
    items = wait_until(lambda: http.get("/v1/candidates", params={"job_id": job}, headers=hr).json()["items"])
    assert items and items[0]["name"] == "张三"

"""Standard Webhooks verification (CONTRACT §4): what a forger, a replayer or a sloppy vendor can do."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.webhooks.signature import SignatureError, new_secret, secret_bytes, sign, signed_headers, verify

NOW = 1_763_626_200
BODY = b'{"type":"interview.result.completed","data":{"result_id":"R-1"}}'
SECRET = new_secret()
OTHER = new_secret()


def _headers(secret: str = SECRET, msg_id: str = "msg_1", ts: int = NOW, body: bytes = BODY) -> dict[str, str]:
    return signed_headers(secret, msg_id, ts, body)


def test_the_published_standard_webhooks_vector_is_reproduced():
    # Given the reference vector of the Standard Webhooks specification
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    # When hirelens signs it, Then it yields the reference signature, and verifies it
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )
    headers = {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }
    assert verify(headers, body, [secret], now=1614265330) == "msg_p5jXN8AQM9LWM0D4loKWxJek"


def test_a_valid_signature_returns_the_webhook_id():
    # Given a body signed with the vendor's secret; When verified; Then the webhook id comes back
    assert verify(_headers(), BODY, [SECRET], now=NOW) == "msg_1"


def test_header_names_are_case_insensitive():
    headers = {k.title(): v for k, v in _headers().items()}
    assert verify(headers, BODY, [SECRET], now=NOW) == "msg_1"


@pytest.mark.parametrize(
    "tampered",
    [
        BODY.replace(b"R-1", b"R-2"),
        BODY + b" ",
        BODY[:-1],
        b"",
        BODY.replace(b'"type"', b'"Type"'),
    ],
)
def test_a_tampered_body_is_rejected(tampered):
    # Given headers signed over the original body; When a different body arrives; Then it is rejected
    with pytest.raises(SignatureError):
        verify(_headers(), tampered, [SECRET], now=NOW)


def test_a_wrong_secret_is_rejected():
    with pytest.raises(SignatureError):
        verify(_headers(secret=OTHER), BODY, [SECRET], now=NOW)


def test_a_signature_is_bound_to_its_webhook_id_and_timestamp():
    # Given a valid delivery; When an attacker swaps the id or the timestamp; Then it no longer verifies
    h = _headers()
    with pytest.raises(SignatureError):
        verify({**h, "webhook-id": "msg_2"}, BODY, [SECRET], now=NOW)
    with pytest.raises(SignatureError):
        verify({**h, "webhook-timestamp": str(NOW - 1)}, BODY, [SECRET], now=NOW)


@pytest.mark.parametrize("offset", [-300, -1, 0, 1, 300])
def test_timestamps_within_five_minutes_are_accepted(offset):
    # Given a delivery signed `offset` seconds from the receiver's clock (the ±5 min boundary included)
    assert verify(_headers(ts=NOW + offset), BODY, [SECRET], now=NOW) == "msg_1"


@pytest.mark.parametrize("offset", [-301, 301, -3600, 86400])
def test_stale_and_future_timestamps_are_rejected(offset):
    # Given a correctly signed delivery whose timestamp is more than 5 minutes off (past or future)
    with pytest.raises(SignatureError, match="tolerance"):
        verify(_headers(ts=NOW + offset), BODY, [SECRET], now=NOW)


def test_several_signatures_one_valid_is_accepted():
    # Given a sender signing with several secrets (its own rotation): one of them is ours
    valid = _headers()["webhook-signature"]
    wrong = _headers(secret=OTHER)["webhook-signature"]
    for header in (f"{wrong} {valid}", f"{valid} {wrong}", f"v2,abcd {wrong} {valid}"):
        h = {**_headers(), "webhook-signature": header}
        assert verify(h, BODY, [SECRET], now=NOW) == "msg_1"


def test_several_signatures_none_valid_is_rejected():
    h = {
        **_headers(),
        "webhook-signature": " ".join(_headers(secret=new_secret())["webhook-signature"] for _ in range(3)),
    }
    with pytest.raises(SignatureError):
        verify(h, BODY, [SECRET], now=NOW)


def test_any_of_several_secrets_verifies():
    # Given the receiver holds the new and the old secret during a rotation
    assert verify(_headers(secret=OTHER), BODY, [SECRET, OTHER], now=NOW) == "msg_1"
    assert verify(_headers(secret=SECRET), BODY, [SECRET, OTHER], now=NOW) == "msg_1"


def test_no_secret_at_all_verifies_nothing():
    with pytest.raises(SignatureError):
        verify(_headers(), BODY, [], now=NOW)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "v1,",
        "v1",
        "garbage",
        "v1,!!!not-base64!!!",
        "v2," + _headers()["webhook-signature"].split(",", 1)[1],  # a correct MAC under an unknown version
        "V1," + _headers()["webhook-signature"].split(",", 1)[1],
        _headers()["webhook-signature"].split(",", 1)[1],  # the MAC without its version
        "v1;" + _headers()["webhook-signature"].split(",", 1)[1],
        "v1," + base64.b64encode(b"\0" * 32).decode(),
        "v1," + _headers()["webhook-signature"].split(",", 1)[1][:-4],  # truncated MAC
    ],
)
def test_malformed_signature_headers_are_rejected(header):
    with pytest.raises(SignatureError):
        verify({**_headers(), "webhook-signature": header}, BODY, [SECRET], now=NOW)


def test_malformed_parts_beside_a_valid_signature_are_ignored():
    valid = _headers()["webhook-signature"]
    h = {**_headers(), "webhook-signature": f"v1, v1,!!! garbage  {valid}"}
    assert verify(h, BODY, [SECRET], now=NOW) == "msg_1"


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_headers_are_rejected(missing):
    h = {k: v for k, v in _headers().items() if k != missing}
    with pytest.raises(SignatureError, match="missing"):
        verify(h, BODY, [SECRET], now=NOW)


@pytest.mark.parametrize("ts", ["", "abc", "1.5e9", "0x10", f"{NOW}.0"])
def test_a_timestamp_that_is_not_an_integer_is_rejected(ts):
    h = {**_headers(), "webhook-timestamp": ts}
    with pytest.raises(SignatureError):
        verify(h, BODY, [SECRET], now=NOW)


def test_an_overlong_webhook_id_is_rejected():
    msg_id = "m" * 257
    with pytest.raises(SignatureError):
        verify(_headers(msg_id=msg_id), BODY, [SECRET], now=NOW)


def test_the_mac_is_over_the_secret_bytes_not_the_secret_string():
    # Given a MAC keyed with the textual secret (a common vendor mistake); Then it does not verify
    mac = hmac.new(SECRET.encode(), f"msg_1.{NOW}.".encode() + BODY, hashlib.sha256).digest()
    h = {**_headers(), "webhook-signature": "v1," + base64.b64encode(mac).decode()}
    with pytest.raises(SignatureError):
        verify(h, BODY, [SECRET], now=NOW)


def test_new_secrets_are_32_random_bytes_in_whsec_form():
    a, b = new_secret(), new_secret()
    assert a.startswith("whsec_") and a != b
    assert len(secret_bytes(a)) == 32
    with pytest.raises(ValueError):
        secret_bytes("not-a-secret")


@given(body=st.binary(max_size=2048), msg_id=st.text(min_size=1, max_size=64).filter(lambda s: " " not in s))
def test_sign_then_verify_round_trips_and_any_flipped_byte_fails(body, msg_id):
    # Given any body and id; When signed and verified; Then it verifies, and one flipped byte does not
    headers = signed_headers(SECRET, msg_id, NOW, body)
    assert verify(headers, body, [SECRET], now=NOW) == msg_id
    if body:
        flipped = bytes([body[0] ^ 0x01]) + body[1:]
        with pytest.raises(SignatureError):
            verify(headers, flipped, [SECRET], now=NOW)


# -- rotation: the previous secret stays valid for 24 hours, never longer ----------------------

GRACE = 24 * 3600


def test_rotated_secret_old_one_valid_within_grace_and_not_after(aws):
    # Given a vendor registered with secret A at t0
    repo = aws.vendors
    t0 = 1_700_000_000
    a, b = new_secret(), new_secret()
    repo.create("acme", "generic", a, t0)
    assert repo.valid_secrets(repo.get("acme"), t0) == [a]
    # When it rotates to B an hour later
    t1 = t0 + 3600
    repo.rotate("acme", b, t1, GRACE)
    vendor = repo.get("acme")
    # Then both verify just before the grace ends, only B just after
    assert set(repo.valid_secrets(vendor, t1)) == {a, b}
    assert set(repo.valid_secrets(vendor, t1 + GRACE - 1)) == {a, b}
    assert repo.valid_secrets(vendor, t1 + GRACE + 1) == [b]
    assert (
        verify(
            _headers(secret=a, ts=t1 + GRACE - 1), BODY, repo.valid_secrets(vendor, t1 + GRACE - 1), now=t1 + GRACE - 1
        )
        == "msg_1"
    )
    with pytest.raises(SignatureError):
        verify(
            _headers(secret=a, ts=t1 + GRACE + 1), BODY, repo.valid_secrets(vendor, t1 + GRACE + 1), now=t1 + GRACE + 1
        )


def test_a_second_rotation_never_extends_the_first_secrets_grace(aws):
    # Given A rotated to B at t1, then B rotated to C twelve hours later
    repo = aws.vendors
    t1 = 1_700_000_000
    a, b, c = new_secret(), new_secret(), new_secret()
    repo.create("acme", "generic", a, t1 - 10)
    repo.rotate("acme", b, t1, GRACE)
    repo.rotate("acme", c, t1 + 12 * 3600, GRACE)
    vendor = repo.get("acme")
    # Then A still ends at t1 + 24 h, B at t1 + 36 h
    assert set(repo.valid_secrets(vendor, t1 + GRACE - 1)) == {a, b, c}
    assert set(repo.valid_secrets(vendor, t1 + GRACE + 1)) == {b, c}
    assert repo.valid_secrets(vendor, t1 + 12 * 3600 + GRACE + 1) == [c]


def test_the_signing_secret_is_never_stored_in_clear(aws):
    # Given a registered and rotated vendor
    a, b = new_secret(), new_secret()
    aws.vendors.create("acme", "generic", a, 1_700_000_000)
    aws.vendors.rotate("acme", b, 1_700_000_100, GRACE)
    raw = str(aws.table.get_item(Key={"pk": "VENDOR#acme", "sk": "VENDOR"})["Item"])
    # Then neither the secret nor its key bytes appear in the stored item
    for s in (a, b):
        assert s not in raw
        assert s.removeprefix("whsec_") not in raw
        assert secret_bytes(s).hex() not in raw


def _intake(aws, clock):
    from shared.services.intake import WebhookIntake

    s = aws
    return WebhookIntake(
        vendors=s.vendors,
        events=s.events,
        quarantine=s.quarantine,
        evidence=s.evidence,
        encryptor=s.encryptor,
        queue=s.ingest_queue,
        max_bytes=s.settings.max_webhook_bytes,
        tolerance_s=s.settings.signature_tolerance_s,
        clock=clock,
    )


def test_webhook_intake_honours_the_grace_period_on_its_own_clock(aws):
    import json

    from shared.errors import Unauthorized
    from tests.conftest import generic_payload

    # Given a vendor whose secret A was rotated to B at t1
    t1 = 1_700_000_000
    a, b = new_secret(), new_secret()
    aws.vendors.create("acme", "generic", a, t1 - 100)
    aws.vendors.rotate("acme", b, t1, GRACE)
    now = [float(t1 + GRACE - 5)]
    intake = _intake(aws, lambda: now[0])
    body = json.dumps(generic_payload("R-1", "C-1", "JOB-1", {"communication": 80})).encode()
    # When A signs a delivery within the grace period, Then it is accepted
    ok = intake.accept("acme", signed_headers(a, "msg_a1", int(now[0]), body), body)
    assert ok.event_id == "msg_a1" and not ok.duplicate
    # When A signs a delivery after it, Then it is refused, and B still works
    now[0] = float(t1 + GRACE + 5)
    with pytest.raises(Unauthorized):
        intake.accept("acme", signed_headers(a, "msg_a2", int(now[0]), body), body)
    assert intake.accept("acme", signed_headers(b, "msg_b1", int(now[0]), body), body).event_id == "msg_b1"

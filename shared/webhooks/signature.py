"""Standard Webhooks signatures: HMAC-SHA256 over "{id}.{timestamp}.{raw body}".

Used both ways: verifying vendors' deliveries and signing hirelens' own outbound webhooks.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping

SECRET_PREFIX = "whsec_"  # noqa: S105 - a format prefix, not a secret


class SignatureError(Exception):
    """Missing, malformed, stale or wrong signature. The reason is logged, never sent back."""


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_bytes(secret: str) -> bytes:
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("not a whsec_ secret")
    return base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret_bytes(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def signed_headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


def verify(
    headers: Mapping[str, str],
    body: bytes,
    secrets_: Iterable[str],
    *,
    now: float,
    tolerance_s: int = 300,
) -> str:
    """Return the webhook id when one of the signatures matches one of the secrets.

    Every candidate pair is compared in constant time; no early exit reveals which one failed.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id = lower.get("webhook-id", "")
    ts_raw = lower.get("webhook-timestamp", "")
    sig_header = lower.get("webhook-signature", "")
    if not msg_id or not ts_raw or not sig_header:
        raise SignatureError("missing webhook headers")
    if len(msg_id) > 256:
        raise SignatureError("webhook-id too long")
    try:
        ts = int(ts_raw)
    except ValueError as exc:
        raise SignatureError("timestamp is not an integer") from exc
    if abs(now - ts) > tolerance_s:
        raise SignatureError("timestamp outside tolerance")
    offered: list[bytes] = []
    for part in sig_header.split(" "):
        version, _, value = part.partition(",")
        if version != "v1" or not value:
            continue
        try:
            offered.append(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            continue
    if not offered:
        raise SignatureError("no v1 signature")
    signed = f"{msg_id}.{ts}.".encode() + body
    ok = False
    for secret in secrets_:
        expected = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
        for sig in offered:
            ok |= hmac.compare_digest(expected, sig)
    if not ok:
        raise SignatureError("no signature matched")
    return msg_id

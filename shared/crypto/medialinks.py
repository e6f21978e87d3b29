"""Short-lived signed media links: `/v1/media/<token>` instead of presigned S3 URLs.

Media copies are encrypted client-side with the candidate's data key (so erasure reaches
them), which makes a presigned S3 GET useless: it would hand out ciphertext. hirelens
serves the plaintext itself, and the link is a capability that hirelens checks:

    token = "v1." + b64url(json {"r": result id, "q": question id, "e": expiry (epoch s), "k": key version})
                  + "." + b64url(HMAC-SHA256(link key, "v1." + payload))

The link key is derived (HKDF) from the keyring's branch key of version `k`, so it rotates
with it and never needs its own storage. Expiry is at most 15 minutes after signing and is
checked here, by our code, on every request (see docs/media.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shared.crypto.keyring import BranchKeyring

MAX_TTL_S = 900
MAX_TOKEN_CHARS = 1024
_PREFIX = "v1."


class LinkInvalid(Exception):
    """Not a token we signed (malformed, tampered with, or from an unknown key)."""


class LinkExpired(Exception):
    """A token we signed whose time is up."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class MediaLinks:
    def __init__(self, keyring: BranchKeyring, ttl_s: int, clock: Callable[[], float] = time.time) -> None:
        self._keyring = keyring
        self.ttl_s = min(int(ttl_s), MAX_TTL_S)
        self._clock = clock
        self._derived: dict[int, bytes] = {}

    def _key(self, version: int) -> bytes:
        branch = self._keyring.get(version)
        cached = self._derived.get(version)
        if cached is None:
            cached = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"hirelens|media-link|v1").derive(
                branch
            )
            self._derived[version] = cached
        return cached

    def sign(self, result_id: str, question_id: str) -> tuple[str, int]:
        """A token for one answer's media and the epoch second it expires."""
        version, _ = self._keyring.active()
        expires = int(self._clock()) + self.ttl_s
        payload = _b64(
            json.dumps({"r": result_id, "q": question_id, "e": expires, "k": version}, separators=(",", ":")).encode()
        )
        mac = hmac.new(self._key(version), (_PREFIX + payload).encode(), hashlib.sha256).digest()
        return f"{_PREFIX}{payload}.{_b64(mac)}", expires

    def verify(self, token: str) -> tuple[str, str]:
        """(result id, question id) of a genuine, unexpired token."""
        if len(token) > MAX_TOKEN_CHARS or not token.startswith(_PREFIX) or token.count(".") != 2:
            raise LinkInvalid()
        _, payload, mac = token.split(".")
        try:
            claims = json.loads(_unb64(payload))
            version = int(claims["k"])
            given = _unb64(mac)
            key = self._key(version)
        except (ValueError, KeyError, TypeError):
            raise LinkInvalid() from None
        expected = hmac.new(key, (_PREFIX + payload).encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(given, expected):
            raise LinkInvalid()
        now = self._clock()
        expires = claims.get("e")
        if not isinstance(expires, int) or expires - now > MAX_TTL_S:
            raise LinkInvalid()
        if now >= expires:
            raise LinkExpired()
        r, q = claims.get("r"), claims.get("q")
        if not isinstance(r, str) or not isinstance(q, str):
            raise LinkInvalid()
        return r, q

"""Local bearer tokens: an ES256 key under .hirelens/, playing Cognito for the embedded stack.

The front door checks them exactly as the HTTP API JWT authorizer does in the cloud:
signature, expiry, issuer and audience.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ISSUER = "https://hirelens.local/auth"
AUDIENCE = "hirelens"
ALGORITHM = "ES256"
ROLES = ("hr_admin", "hr", "interviewer", "candidate", "finance", "auditor")


def state_dir() -> Path:
    root = os.environ.get("HIRELENS_HOME")
    path = Path(root) if root else Path(__file__).resolve().parent.parent / ".hirelens"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _key_path() -> Path:
    return state_dir() / "jwt-signing-key.pem"


def signing_key() -> ec.EllipticCurvePrivateKey:
    path = _key_path()
    if not path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        tmp = path.with_suffix(f".{uuid.uuid4().hex}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        try:
            os.link(tmp, path)  # first writer wins; a concurrent one reads the winner's key
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(loaded, ec.EllipticCurvePrivateKey)
    return loaded


def mint(
    role: str,
    *,
    sub: str | None = None,
    department: str | None = None,
    candidate_id: str | None = None,
    ttl: int = 3600,
    now: float | None = None,
) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": sub or f"local-{role}",
        "role": role,
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl,
        "jti": uuid.uuid4().hex,
    }
    if department:
        claims["department"] = department
    if candidate_id:
        claims["candidate_id"] = candidate_id
    return jwt.encode(claims, signing_key(), algorithm=ALGORITHM)


class TokenVerifier:
    def __init__(self) -> None:
        self._public = signing_key().public_key()

    def claims(self, token: str) -> dict[str, Any]:
        """Verified claims, or jwt.InvalidTokenError."""
        return jwt.decode(
            token,
            self._public,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            leeway=5,
        )

"""Opaque cursors for list endpoints: the DynamoDB LastEvaluatedKey, checked on the way back in."""

from __future__ import annotations

import base64
import json
from typing import Any

from shared.errors import BadRequest
from shared.storage.ddb import from_ddb, to_ddb


def encode_cursor(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    raw = json.dumps(from_ddb(last_key), separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, *, must_match: dict[str, str]) -> dict[str, Any] | None:
    """The start key, or a 400 when the cursor was not made for this very query."""
    if not cursor:
        return None
    try:
        pad = "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(cursor + pad))
    except ValueError as exc:
        raise BadRequest("cursor is not valid") from exc
    if not isinstance(key, dict) or any(key.get(k) != v for k, v in must_match.items()):
        raise BadRequest("cursor does not belong to this query")
    if not all(isinstance(v, str | int | float) for v in key.values()):
        raise BadRequest("cursor is not valid")
    return to_ddb(key)

"""The audit trail's hash chain: each entry commits to the one before it (pure logic)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = "0" * 64
# the fields an entry's hash covers, in this order; anything else on the item is not evidence
CHAINED_FIELDS = ("seq", "at", "actor", "actor_role", "action", "target", "before", "after", "note_enc", "prev_hash")


def entry_hash(entry: dict[str, Any]) -> str:
    body = {k: entry.get(k) for k in CHAINED_FIELDS}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def verify_chain(entries: list[dict[str, Any]]) -> bool:
    """True when entries are 1..n in order, each links to the previous and hashes to itself."""
    prev = GENESIS
    for i, e in enumerate(entries, start=1):
        if int(e.get("seq", -1)) != i or e.get("prev_hash") != prev or e.get("hash") != entry_hash(e):
            return False
        prev = e["hash"]
    return True

"""AuditTrail: an append-only, hash-chained record per candidate of everything done to them.

Entries live in their own partition (AUDIT#<candidate_id>), apart from the candidate's data,
so erasure can delete the data and still leave a tombstone. Entries hold ids, codes, scores and
statuses; free text (reasons, notes) is encrypted under the candidate's key, so it is shredded
with the candidate while the chain, which covers the ciphertext, stays verifiable. `before` and
`after` (scores, statuses: evaluations of a person) are sealed the same way unless the caller says
`sealed=False` for values that are no personal data (the erasure tombstone's counts).

Action names in use (append with `services().audit.append(cid, <action>, actor=(sub, role), ...)`):
- `result.ingested`, `result.withdrawn`      the consumer (shared/services/processing.py)
- `result.viewed`                             someone opened a whole result (views.py)
- `result.adjusted`                           PATCH /v1/results/{id}: before/after per competency, reason as note
- `annotation.added`                          POST /v1/candidates/{id}/annotations
- `consent.changed`                           PUT /v1/candidates/{id}/consent (before/after flags)
- `decision.<action>`                         POST /v1/candidates/{id}/decisions (before/after status, note)
- `feedback.recorded`                         POST /v1/candidates/{id}/feedback
- `export.included`                           the candidate was in an export (target: the export id)
- `candidate.erased`                          erasure (request or retention): the tombstone, no personal data
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from shared.audit.chain import GENESIS, entry_hash, verify_chain
from shared.crypto.encryptor import TOKEN_PREFIX, Encryptor, KeyDestroyed, candidate_subject
from shared.services.intake import iso
from shared.storage import keys
from shared.storage.ddb import from_ddb, is_conditional_failure, to_ddb

SYSTEM = ("system", "system")


class AuditTrail:
    def __init__(self, table: Any, encryptor: Encryptor, clock: Callable[[], float] = time.time) -> None:
        self._table = table
        self._enc = encryptor
        self._clock = clock

    def append(
        self,
        cid: str,
        action: str,
        *,
        actor: tuple[str, str] = SYSTEM,
        target: str | None = None,
        before: Any = None,
        after: Any = None,
        note: str | None = None,
        sealed: bool = True,
        attempts: int = 20,
    ) -> dict[str, Any]:
        """Append one entry; concurrent appends retry on the next sequence number."""
        note_enc = self._enc.encrypt_field(candidate_subject(cid), "audit-note", note) if note else None
        if sealed:
            before, after = self._seal(cid, "audit-before", before), self._seal(cid, "audit-after", after)
        for _ in range(attempts):
            last = self._last(cid)
            seq = int(last["seq"]) + 1 if last else 1
            entry = {
                "seq": seq,
                "at": iso(self._clock()),
                "actor": actor[0],
                "actor_role": actor[1],
                "action": action,
                "target": target,
                "before": before,
                "after": after,
                "note_enc": note_enc,
                "prev_hash": last["hash"] if last else GENESIS,
            }
            entry["hash"] = entry_hash(to_plain(entry))
            try:
                self._table.put_item(
                    Item=to_ddb({**keys.audit(cid, seq), **entry}), ConditionExpression="attribute_not_exists(pk)"
                )
                return entry
            except ClientError as exc:
                if not is_conditional_failure(exc):
                    raise
        raise RuntimeError("audit trail kept moving while appending")

    def entries(self, cid: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"KeyConditionExpression": Key("pk").eq(keys.audit_pk(cid)), "ConsistentRead": True}
        while True:
            out = self._table.query(**kwargs)
            items.extend(from_ddb(i) for i in out["Items"])
            if "LastEvaluatedKey" not in out:
                return items
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]

    def read(self, cid: str) -> dict[str, Any]:
        """Entries for display (notes decrypted while the key exists) and whether the chain holds."""
        raw = self.entries(cid)
        valid = verify_chain([to_plain(e) for e in raw])
        shown = []
        for e in raw:
            view = {k: v for k, v in e.items() if k not in ("pk", "sk", "note_enc")}
            view["note"] = self._note(cid, e.get("note_enc"))
            view["before"] = self._unseal(cid, "audit-before", e.get("before"))
            view["after"] = self._unseal(cid, "audit-after", e.get("after"))
            shown.append(view)
        return {"entries": shown, "chain_valid": valid}

    def _seal(self, cid: str, field: str, value: Any) -> str | None:
        if value is None:
            return None
        plain = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
        return self._enc.encrypt_field(candidate_subject(cid), field, plain)

    def _unseal(self, cid: str, field: str, value: Any) -> Any:
        if not (isinstance(value, str) and value.startswith(TOKEN_PREFIX)):
            return value
        try:
            plain = self._enc.decrypt_field(candidate_subject(cid), field, value)
        except KeyDestroyed:
            return None
        return json.loads(plain) if plain is not None else None

    def _note(self, cid: str, token: str | None) -> str | None:
        if not token:
            return None
        try:
            return self._enc.decrypt_field(candidate_subject(cid), "audit-note", token)
        except KeyDestroyed:
            return None

    def _last(self, cid: str) -> dict[str, Any] | None:
        out = self._table.query(
            KeyConditionExpression=Key("pk").eq(keys.audit_pk(cid)),
            ScanIndexForward=False,
            Limit=1,
            ConsistentRead=True,
        )
        return from_ddb(out["Items"][0]) if out["Items"] else None


def to_plain(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry as hashed: numbers normalised the way they come back from DynamoDB."""
    return from_ddb(to_ddb(entry))

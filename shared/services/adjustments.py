"""Score adjustments: HR corrects a competency score with a reason, without losing the vendor's.

The result item keeps each dimension's vendor `score`/`normalized` untouched and adds
`adjusted_score`/`adjusted_normalized` beside them (aggregation prefers the adjusted value).
Writes are conditional on the result's `edit_version` and `revision` — the two halves of its
ETag — so of two edits made from the same ETag exactly one is stored; the other gets 412.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from shared.audit.trail import AuditTrail
from shared.authz.policy import Action, Principal, Resource, authorize
from shared.crypto.encryptor import Encryptor, KeyDestroyed, candidate_subject
from shared.errors import PreconditionFailed, PreconditionRequired, Unprocessable
from shared.observability import logger
from shared.services.intake import QueuePort, iso
from shared.storage import keys
from shared.storage.candidates import CandidateRepository
from shared.storage.ddb import from_ddb, is_conditional_failure, to_ddb

MAX_ADJUSTMENTS = 100  # history kept on the item; the audit trail keeps all of them


def etag_of(result: dict[str, Any]) -> str:
    """A result's ETag: its vendor revision and how many times HR adjusted it."""
    return f'"{result["revision"]}.{int(result.get("edit_version", 0))}"'


def _normalize(score: float, lo: float, hi: float) -> float:
    return round((score - lo) / (hi - lo) * 100, 4) if hi != lo else 0.0


class ScoreAdjuster:
    def __init__(
        self,
        *,
        table: Any,
        candidates: CandidateRepository,
        encryptor: Encryptor,
        audit: AuditTrail,
        score_queue: QueuePort,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._table = table
        self.candidates, self.enc, self.audit, self.score_queue, self.clock = (
            candidates,
            encryptor,
            audit,
            score_queue,
            clock,
        )

    def adjust(
        self, principal: Principal, rid: str, if_match: str | None, changes: dict[str, float], reason: str
    ) -> tuple[dict[str, Any], str]:
        authorize(principal, Action.RESULT_EDIT)
        r = self.candidates.get_result(rid)
        cid = r["candidate_id"]
        authorize(principal, Action.RESULT_EDIT, Resource(frozenset({r.get("department") or "unassigned"}), cid))
        if not if_match:
            raise PreconditionRequired("If-Match with the result's ETag is required to change scores")
        current = etag_of(r)
        if if_match.strip().removeprefix("W/") != current:
            raise PreconditionFailed(
                "the result has changed since it was read; read it again", headers={"ETag": current}
            )
        if r.get("status") == "withdrawn":
            raise PreconditionFailed("the vendor withdrew this result; it can no longer be adjusted")
        dims = [dict(d) for d in r.get("dimensions", [])]
        by_code = {d["code"]: d for d in dims}
        errors = []
        for code, score in changes.items():
            d = by_code.get(code)
            if d is None:
                errors.append({"loc": ["body", "dimensions", code], "msg": "this result has no such competency"})
            elif not (min(d["scale_min"], d["scale_max"]) <= score <= max(d["scale_min"], d["scale_max"])):
                errors.append(
                    {
                        "loc": ["body", "dimensions", code],
                        "msg": f"must be within the vendor's scale {d['scale_min']}..{d['scale_max']}",
                    }
                )
        if errors:
            raise Unprocessable("the adjustment is not valid for this result", errors=errors)
        now = iso(self.clock())
        before, after = {}, {}
        for code, score in changes.items():
            d = by_code[code]
            before[code] = {
                "score": d.get("adjusted_score", d["score"]),
                "normalized": d.get("adjusted_normalized", d["normalized"]),
            }
            d["adjusted_score"] = score
            d["adjusted_normalized"] = _normalize(score, d["scale_min"], d["scale_max"])
            d["adjusted_at"] = now
            d["adjusted_by"] = principal.sub
            after[code] = {"score": score, "normalized": d["adjusted_normalized"], "original_score": d["score"]}
        version = int(r.get("edit_version", 0))
        entry = {
            "at": now,
            "by": principal.sub,
            "role": principal.role.value,
            "changes": {c: {"before": before[c], "after": after[c]} for c in changes},
            "reason_enc": self.enc.encrypt_field(candidate_subject(cid), f"{rid}/adjustment/{version + 1}", reason),
            "edit_version": version + 1,
        }
        history = [*r.get("adjustments", []), entry][-MAX_ADJUSTMENTS:]
        cond = "revision = :rev AND " + (
            "edit_version = :ev" if "edit_version" in r else "attribute_not_exists(edit_version)"
        )
        values: dict[str, Any] = {":dims": dims, ":hist": history, ":nv": version + 1, ":rev": r["revision"]}
        if "edit_version" in r:
            values[":ev"] = version
        try:
            out = self._table.update_item(
                Key=keys.result(cid, rid),
                UpdateExpression="SET dimensions = :dims, adjustments = :hist, edit_version = :nv",
                ConditionExpression="attribute_exists(pk) AND " + cond,
                ExpressionAttributeValues=to_ddb(values),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
            raise PreconditionFailed("the result has changed since it was read; read it again") from None
        updated: dict[str, Any] = from_ddb(out["Attributes"])
        self.audit.append(
            cid,
            "result.adjusted",
            actor=(principal.sub, principal.role.value),
            target=rid,
            before=before,
            after=after,
            note=reason,
        )
        self.score_queue.send({"kind": "application", "candidate_id": cid, "job_id": r["job_id"]})
        logger.info("result adjusted", extra={"result_id": rid, "codes": sorted(changes)})
        return updated, etag_of(updated)


def adjustment_history(enc: Encryptor, cid: str, rid: str, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Adjustments for display, their reasons decrypted while the candidate exists."""
    out = []
    for e in entries:
        view = {k: v for k, v in e.items() if k != "reason_enc"}
        try:
            view["reason"] = enc.decrypt_field(
                candidate_subject(cid), f"{rid}/adjustment/{e.get('edit_version')}", e.get("reason_enc")
            )
        except KeyDestroyed:
            view["reason"] = None
        out.append(view)
    return out

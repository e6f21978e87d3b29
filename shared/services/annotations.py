"""Reviewers' annotations on a candidate: encrypted under the candidate's key, audited, and
shown only to those allowed.

Visibility: `hr_only` — HR, HR admins and auditors; `department` — also the interviewers of the
annotation's department (the department of the result it is about, or the interviewer's own
department when an interviewer wrote it; none means every interviewer who may see the candidate).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any, Literal

from shared.audit.trail import AuditTrail
from shared.authz.policy import Action, Principal, Role
from shared.crypto.encryptor import Encryptor, KeyDestroyed, candidate_subject
from shared.errors import NotFound
from shared.services.intake import iso
from shared.storage import keys
from shared.storage.ddb import to_ddb

Visibility = Literal["hr_only", "department"]
PREFIX = "ANN#"


def _field(annotation_id: str) -> str:
    return f"annotation/{annotation_id}"


def may_see(principal: Principal, item: dict[str, Any]) -> bool:
    if principal.role in (Role.HR, Role.HR_ADMIN, Role.AUDITOR):
        return True
    if principal.role is Role.INTERVIEWER:
        dept = item.get("department")
        return item.get("visibility") == "department" and (dept is None or dept == principal.department)
    return False


def visible_annotations(
    principal: Principal, cid: str, items: list[dict[str, Any]], enc: Encryptor
) -> list[dict[str, Any]]:
    """The annotations in a candidate's partition that this caller may read, oldest first."""
    out = []
    for i in sorted((i for i in items if i["sk"].startswith(PREFIX)), key=lambda i: i["sk"]):
        if not may_see(principal, i):
            continue
        try:
            text = enc.decrypt_field(candidate_subject(cid), _field(i["annotation_id"]), i.get("text_enc"))
        except KeyDestroyed:
            text = None
        out.append(
            {
                "annotation_id": i["annotation_id"],
                "text": text,
                "result_id": i.get("result_id"),
                "visibility": i.get("visibility"),
                "department": i.get("department"),
                "author": i.get("author"),
                "author_role": i.get("author_role"),
                "created_at": i.get("created_at"),
            }
        )
    return out


class Annotations:
    def __init__(
        self,
        *,
        table: Any,
        views: Any,
        encryptor: Encryptor,
        audit: AuditTrail,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._table, self.views, self.enc, self.audit, self.clock = table, views, encryptor, audit, clock

    def add(
        self,
        principal: Principal,
        cid: str,
        *,
        text: str,
        result_id: str | None,
        visibility: Visibility | None,
    ) -> dict[str, Any]:
        items = self.views.load_candidate(cid, principal, Action.ANNOTATE)
        department = principal.department if principal.role is Role.INTERVIEWER else None
        if result_id is not None:
            res = next((i for i in items if i["sk"] == f"RES#{result_id}"), None)
            scope = (res or {}).get("department") or "unassigned"
            if res is None or (principal.role is Role.INTERVIEWER and scope != principal.department):
                raise NotFound("result not found")
            department = scope
        # an interviewer's note is for the department unless they say it is for HR only
        visibility = visibility or ("department" if principal.role is Role.INTERVIEWER else "hr_only")
        now = iso(self.clock())
        aid = "a_" + uuid.uuid4().hex[:24]
        item = {
            **keys.annotation(cid, now, aid),
            "type": "annotation",
            "annotation_id": aid,
            "candidate_id": cid,
            "result_id": result_id,
            "visibility": visibility,
            "department": department,
            "author": principal.sub,
            "author_role": principal.role.value,
            "created_at": now,
            "text_enc": self.enc.encrypt_field(candidate_subject(cid), _field(aid), text),
        }
        self._table.put_item(Item=to_ddb(item))
        self.audit.append(
            cid,
            "annotation.added",
            actor=(principal.sub, principal.role.value),
            target=aid,
            after={"visibility": visibility, "result_id": result_id, "department": department},
        )
        return {
            "annotation_id": aid,
            "candidate_id": cid,
            "text": text,
            "result_id": result_id,
            "visibility": visibility,
            "department": department,
            "author": principal.sub,
            "author_role": principal.role.value,
            "created_at": now,
        }

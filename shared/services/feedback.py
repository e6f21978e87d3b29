"""Feedback on a candidate after the AI's verdict: second-interview evaluations and probation
outcomes — and what they teach about the AI (calibration).

Feedback items live in the candidate's partition (erased with them); the comment is encrypted
under the candidate's key. Each application with anything decided or rated keeps one OUTCOME
item beside it (gsi2 collection `OUTCOMES`, sorted by job), a snapshot of what the AI said and
what happened, so the calibration report reads one index range, never a Scan.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any, Literal

from boto3.dynamodb.conditions import Key
from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.analytics.calibration import Case, calibrate
from shared.audit.trail import AuditTrail
from shared.authz.policy import Action, Principal, Resource, Role, authorize
from shared.crypto.encryptor import Encryptor, KeyDestroyed, candidate_subject
from shared.errors import Conflict, NotFound
from shared.models.domain import ApplicationStatus as S
from shared.services.intake import iso
from shared.storage import keys
from shared.storage.candidates import CandidateRepository
from shared.storage.ddb import from_ddb, to_ddb
from shared.storage.departments import UNASSIGNED
from shared.taxonomy import default_taxonomy

Stage = Literal["second_interview", "probation"]


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    job_id: str = Field(min_length=1, max_length=200)
    stage: Stage
    rating: float = Field(ge=0, le=100)
    passed: bool
    comment: str | None = Field(default=None, max_length=10_000)
    competencies: dict[str, float] | None = Field(default=None, max_length=50)

    @field_validator("competencies")
    @classmethod
    def _known(cls, comps: dict[str, float] | None) -> dict[str, float] | None:
        if comps is None:
            return None
        tax = default_taxonomy()
        for code, score in comps.items():
            if not tax.is_known(code):
                raise ValueError(f"unknown competency code {code!r}")
            if not 0 <= score <= 100:
                raise ValueError(f"competency {code!r}: a score is 0-100")
        return comps


def _field(fid: str) -> str:
    return f"feedback/{fid}/comment"


def visible_feedback(principal: Principal, cid: str, items: list[dict[str, Any]], enc: Encryptor) -> list[dict]:
    """The profile's `feedback`: oldest first, cut to the interviewer's department."""
    out = []
    for f in sorted((i for i in items if i["sk"].startswith("FB#")), key=lambda i: i.get("created_at", "")):
        if principal.role is Role.INTERVIEWER and f.get("department") != principal.department:
            continue
        try:
            comment = enc.decrypt_field(candidate_subject(cid), _field(f["feedback_id"]), f.get("comment_enc"))
        except KeyDestroyed:
            comment = None
        out.append(
            {
                **{k: f.get(k) for k in ("feedback_id", "job_id", "stage", "rating", "passed", "created_at")},
                "competencies": f.get("competencies") or {},
                "comment": comment,
                "by": f.get("by"),
                "by_role": f.get("by_role"),
            }
        )
    return out


def _reached(app: dict[str, Any], stage: str) -> bool:
    """A probation outcome exists only for a hire; an interview evaluation may come at any stage
    (some teams interview before HR's decision is recorded)."""
    return app.get("status") == S.HIRED if stage == "probation" else True


class FeedbackService:
    def __init__(
        self,
        *,
        table: Any,
        candidates: CandidateRepository,
        encryptor: Encryptor,
        audit: AuditTrail,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._table, self.candidates, self.enc, self.audit, self.clock = table, candidates, encryptor, audit, clock

    # -- feedback ----------------------------------------------------------------------------------
    def record(self, principal: Principal, cid: str, body: FeedbackIn) -> dict[str, Any]:
        authorize(principal, Action.FEEDBACK)
        app = self.candidates.get_application(cid, body.job_id)
        if app is None:
            raise NotFound("application not found")
        department = app.get("department") or UNASSIGNED
        authorize(principal, Action.FEEDBACK, Resource(frozenset({department}), cid))
        if not _reached(app, body.stage):
            raise Conflict(f"no {body.stage} feedback while the application is {app.get('status')!r}")
        now = iso(self.clock())
        fid = "f_" + uuid.uuid4().hex[:20]
        comment_enc = self.enc.encrypt_field(candidate_subject(cid), _field(fid), body.comment)
        item = {
            **keys.feedback(cid, body.job_id, now, fid),
            "type": "feedback",
            "feedback_id": fid,
            "candidate_id": cid,
            "job_id": body.job_id,
            "department": department,
            "stage": body.stage,
            "rating": body.rating,
            "passed": body.passed,
            "competencies": body.competencies or None,
            "comment_enc": comment_enc,
            "by": principal.sub,
            "by_role": principal.role.value,
            "created_at": now,
        }
        self._table.put_item(Item=to_ddb(item), ConditionExpression="attribute_not_exists(pk)")
        self.audit.append(
            cid,
            "feedback.recorded",
            actor=(principal.sub, principal.role.value),
            target=body.job_id,
            after={
                "feedback_id": fid,
                "stage": body.stage,
                "rating": body.rating,
                "passed": body.passed,
                "competencies": body.competencies or {},
            },
            note=body.comment,
        )
        self.refresh_outcome(cid, body.job_id)
        return {
            "feedback_id": fid,
            "candidate_id": cid,
            "job_id": body.job_id,
            "stage": body.stage,
            "rating": body.rating,
            "passed": body.passed,
            "competencies": body.competencies or {},
            "comment": body.comment,
            "by": principal.sub,
            "created_at": now,
        }

    # -- outcomes ------------------------------------------------------------------------------------
    def refresh_outcome(self, cid: str, job_id: str) -> None:
        """Rewrite the application's OUTCOME snapshot from its partition (one query, one put)."""
        items = self.candidates.partition(cid)
        app = next((i for i in items if i["sk"] == f"APP#{job_id}"), None)
        if app is None:
            return
        results = [
            r
            for r in items
            if r["sk"].startswith("RES#") and r.get("job_id") == job_id and r.get("status") != "withdrawn"
        ]
        vendor_scores: dict[str, list[float]] = {}
        for r in results:
            dims = [d.get("adjusted_normalized", d.get("normalized")) for d in r.get("dimensions") or []]
            values = [float(v) for v in dims if isinstance(v, int | float)]
            overall = (r.get("overall") or {}).get("normalized")
            if values:
                vendor_scores.setdefault(r["vendor"], []).append(sum(values) / len(values))
            elif isinstance(overall, int | float):
                vendor_scores.setdefault(r["vendor"], []).append(float(overall))
        fb = sorted((i for i in items if i["sk"].startswith(f"FB#{job_id}#")), key=lambda i: i.get("created_at", ""))
        latest = {f["stage"]: f for f in fb}
        ratings: dict[str, list[float]] = {}
        for f in fb:
            if f["stage"] == "second_interview":
                for code, v in (f.get("competencies") or {}).items():
                    ratings.setdefault(code, []).append(float(v))
        si, pr = latest.get("second_interview"), latest.get("probation")
        snapshot = {
            **keys.outcome(cid, job_id),
            "gsi2pk": keys.OUTCOMES,
            "gsi2sk": f"{job_id}#{cid}",
            "candidate_id": cid,
            "job_id": job_id,
            "department": app.get("department"),
            "status": app.get("status"),
            "recommendation": app.get("recommendation"),
            "match_score": app.get("match_score"),
            "scores": app.get("scores") or {},
            "vendors": sorted(vendor_scores),
            "vendor_scores": {v: round(sum(s) / len(s), 2) for v, s in vendor_scores.items()},
            "second_interview_passed": si["passed"] if si else None,
            "second_interview_rating": si["rating"] if si else None,
            "probation_passed": pr["passed"] if pr else None,
            "probation_rating": pr["rating"] if pr else None,
            "competency_ratings": {c: round(sum(v) / len(v), 2) for c, v in ratings.items()},
            "updated_at": iso(self.clock()),
        }
        self._table.put_item(Item=to_ddb(snapshot))

    # -- calibration ----------------------------------------------------------------------------------
    def calibration(self, principal: Principal, job_id: str | None, vendor: str | None) -> dict[str, Any]:
        authorize(principal, Action.ANALYTICS)
        cond = Key("gsi2pk").eq(keys.OUTCOMES)
        if job_id:
            cond = cond & Key("gsi2sk").begins_with(f"{job_id}#")
        kwargs: dict[str, Any] = {"IndexName": "gsi2", "KeyConditionExpression": cond}
        cases = []
        while True:
            page = self._table.query(**kwargs)
            for raw in page["Items"]:
                o = from_ddb(raw)
                if vendor and vendor not in (o.get("vendors") or []):
                    continue
                cases.append(_case(o))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        report = calibrate(cases)
        if vendor:  # only the vendor asked for
            report["per_vendor"] = {k: v for k, v in report["per_vendor"].items() if k == vendor}
        return {"job_id": job_id, "vendor": vendor, "applications": len(cases), **report}


def _case(o: dict[str, Any]) -> Case:
    def num(v: Any) -> float | None:
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None

    return Case(
        recommendation=o.get("recommendation"),
        match_score=num(o.get("match_score")),
        status=o.get("status") or "",
        vendors=tuple(o.get("vendors") or ()),
        scores={k: float(v) for k, v in (o.get("scores") or {}).items() if num(v) is not None},
        vendor_scores={k: float(v) for k, v in (o.get("vendor_scores") or {}).items() if num(v) is not None},
        second_interview_passed=o.get("second_interview_passed"),
        second_interview_rating=num(o.get("second_interview_rating")),
        probation_passed=o.get("probation_passed"),
        probation_rating=num(o.get("probation_rating")),
        competency_ratings={k: float(v) for k, v in (o.get("competency_ratings") or {}).items()},
    )

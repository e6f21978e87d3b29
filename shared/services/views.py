"""Read models for the HR API: candidate lists, profiles and whole results, decrypted for
the caller and cut to the caller's scope."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from shared.audit.trail import AuditTrail
from shared.authz.policy import Action, Principal, Resource, Role, authorize
from shared.crypto.encryptor import Encryptor, KeyDestroyed, candidate_subject
from shared.errors import BadRequest, NotFound
from shared.scoring.highlights import highlights
from shared.scoring.percentile import histogram_of, percentile
from shared.services.adjustments import adjustment_history, etag_of
from shared.services.annotations import visible_annotations
from shared.services.feedback import visible_feedback
from shared.services.intake import iso
from shared.storage import keys
from shared.storage.candidates import CandidateRepository
from shared.storage.ddb import from_ddb, to_ddb
from shared.storage.evidence import EvidenceStore
from shared.storage.jobs import JobRepository
from shared.storage.pagination import decode_cursor, encode_cursor
from shared.taxonomy import default_taxonomy

MAX_READ_FACTOR = 10  # a filtered page reads at most this many index items per item asked for


_etag = etag_of  # "<revision>.<edit_version>": PATCH /v1/results/{id} checks it (adjustments.py)


def _score_view(s: dict[str, Any] | None) -> dict[str, Any] | None:
    if not s:
        return None
    return {k: s.get(k) for k in ("score", "scale_min", "scale_max", "normalized")}


def _dimension_view(d: dict[str, Any]) -> dict[str, Any]:
    out = {k: d.get(k) for k in ("code", "label", "score", "scale_min", "scale_max", "normalized")}
    if "adjusted_score" in d:
        out.update(
            score=d["adjusted_score"],
            normalized=d["adjusted_normalized"],
            original_score=d["score"],
            original_normalized=d["normalized"],
        )
    return out


def result_summary(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "result_id": r["result_id"],
        "vendor": r["vendor"],
        "vendor_result_id": r["vendor_result_id"],
        "revision": r["revision"],
        "status": r.get("status", "active"),
        "completed_at": r.get("completed_at"),
        "received_at": r.get("received_at"),
        "overall": _score_view(r.get("overall")),
        "dimensions": [_dimension_view(d) for d in r.get("dimensions", [])],
        "unmapped": r.get("unmapped", []),
    }


class CandidateViews:
    def __init__(
        self,
        candidates: CandidateRepository,
        jobs: JobRepository,
        table: Any,
        encryptor: Encryptor,
        evidence: EvidenceStore,
        media_ttl_s: int,
        clock: Callable[[], float] = time.time,
        audit: AuditTrail | None = None,
        media: Any = None,
    ) -> None:
        self.candidates, self.jobs, self._table = candidates, jobs, table
        self.audit = audit
        self.media = media  # shared/services/media.MediaReader: signed links to hirelens' media copies
        self.enc, self.evidence, self.media_ttl_s, self.clock = encryptor, evidence, media_ttl_s, clock

    # -- helpers ------------------------------------------------------------------------
    def _decrypt(self, cid: str, field: str, token: str | None) -> str | None:
        try:
            return self.enc.decrypt_field(candidate_subject(cid), field, token)
        except KeyDestroyed:
            return None

    def _percentile(self, job_item: dict[str, Any] | None, score: float | None) -> float | None:
        return percentile(score, histogram_of(job_item or {}))

    def _job_item(self, job_id: str) -> dict[str, Any] | None:
        item = self._table.get_item(Key=keys.job(job_id)).get("Item")
        return from_ddb(item) if item else None

    def scope_of(self, cid: str, items: list[dict[str, Any]] | None = None) -> Resource:
        items = items if items is not None else self.candidates.partition(cid, "APP#")
        depts = frozenset(i.get("department") or "unassigned" for i in items if i["sk"].startswith("APP#"))
        return Resource(departments=depts, candidate_id=cid)

    def load_candidate(self, cid: str, principal: Principal, action: Action) -> list[dict[str, Any]]:
        """The candidate's partition, after checking the caller may see it (404 otherwise)."""
        authorize(principal, action)
        items = self.candidates.partition(cid)
        if not any(i["sk"] == keys.PROFILE for i in items) or not any(i["sk"].startswith("APP#") for i in items):
            raise NotFound("candidate not found")
        authorize(principal, action, self.scope_of(cid, items))
        return items

    # -- list -----------------------------------------------------------------------------
    def list_candidates(
        self,
        principal: Principal,
        *,
        job_id: str | None,
        mins: dict[str, float],
        recommendation: str | None,
        status: str | None,
        sort: str,
        limit: int,
        cursor: str | None,
    ) -> dict[str, Any]:
        authorize(principal, Action.CANDIDATE_READ)
        tax = default_taxonomy()
        for code in mins:
            if not tax.is_known(code):
                raise BadRequest(f"unknown competency code {code!r} in min.{code}")
            if not math.isfinite(mins[code]):
                raise BadRequest(f"min.{code} must be a finite number")
        filt = None
        for code, v in sorted(mins.items()):
            cond = Attr(f"scores.{code}").gte(to_ddb(float(v)))  # the resource API takes Decimal, not float
            filt = cond if filt is None else filt & cond
        if recommendation:
            c = Attr("recommendation").eq(recommendation)
            filt = c if filt is None else filt & c
        if status:
            c = Attr("status").eq(status)
            filt = c if filt is None else filt & c
        if principal.role is Role.INTERVIEWER:
            c = Attr("department").eq(principal.department or "\0")
            filt = c if filt is None else filt & c
        if job_id:
            index, pk_name, pk_value = "gsi1", "gsi1pk", keys.job_candidates_pk(job_id)
            forward = sort == "match_score"
        else:
            index, pk_name, pk_value = "gsi2", "gsi2pk", "APPS"
            forward = False
        kwargs: dict[str, Any] = {
            "IndexName": index,
            "KeyConditionExpression": Key(pk_name).eq(pk_value),
            "ScanIndexForward": forward,
        }
        if filt is not None:
            kwargs["FilterExpression"] = filt
        start = decode_cursor(cursor, must_match={pk_name: pk_value})
        items: list[dict[str, Any]] = []
        read = 0
        last = None
        while len(items) < limit and read < limit * MAX_READ_FACTOR:
            if start:
                kwargs["ExclusiveStartKey"] = start
            kwargs["Limit"] = limit - len(items) if filt is None else min(limit * MAX_READ_FACTOR - read, 100)
            out = self._table.query(**kwargs)
            read += out.get("ScannedCount", 0)
            page = [from_ddb(i) for i in out["Items"]]
            take = page[: limit - len(items)]
            items.extend(take)
            if len(take) < len(page):  # stopped inside a page: resume after the last item taken
                last_item = take[-1]
                last = {k: last_item[k] for k in ("pk", "sk", pk_name, index + "sk")}
                break
            start = out.get("LastEvaluatedKey")
            last = start
            if not start:
                break
        job_items: dict[str, dict[str, Any] | None] = {}
        views = []
        for a in items:
            j = a["job_id"]
            if j not in job_items:
                job_items[j] = self._job_item(j)
            views.append(
                {
                    "candidate_id": a["candidate_id"],
                    "name": self._decrypt(a["candidate_id"], "name", a.get("name_enc")),
                    "job_id": j,
                    "department": a.get("department"),
                    "status": a.get("status"),
                    "match_score": a.get("match_score"),
                    "recommendation": a.get("recommendation"),
                    "percentile": self._percentile(job_items[j], a.get("match_score")),
                    "scores": a.get("scores", {}),
                    "viewed": bool(a.get("viewed")),
                    "updated_at": a.get("updated_at"),
                }
            )
        return {"items": views, "next_cursor": encode_cursor(last) if last else None}

    # -- profile --------------------------------------------------------------------------
    def profile(self, principal: Principal, cid: str) -> dict[str, Any]:
        items = self.load_candidate(cid, principal, Action.CANDIDATE_READ)
        prof = next(i for i in items if i["sk"] == keys.PROFILE)
        apps = [i for i in items if i["sk"].startswith("APP#")]
        if principal.role is Role.INTERVIEWER:
            apps = [a for a in apps if a.get("department") == principal.department]
        results = [i for i in items if i["sk"].startswith("RES#")]
        applications = []
        for a in sorted(apps, key=lambda x: x.get("created_at", "")):
            job_item = self._job_item(a["job_id"])
            match = dict(a.get("match") or {})
            match["percentile"] = self._percentile(job_item, a.get("match_score"))
            applications.append(
                {
                    "job_id": a["job_id"],
                    "job_title": (job_item or {}).get("title"),
                    "department": a.get("department"),
                    "status": a.get("status"),
                    "created_at": a.get("created_at"),
                    "updated_at": a.get("updated_at"),
                    "match_score": a.get("match_score"),
                    "recommendation": a.get("recommendation"),
                    "match": match,
                    "scores": a.get("scores", {}),
                    "results": [
                        result_summary(r)
                        for r in sorted(results, key=lambda r: r.get("received_at", ""))
                        if r.get("job_id") == a["job_id"]
                    ],
                }
            )
        return {
            "candidate_id": cid,
            "name": self._decrypt(cid, "name", prof.get("name_enc")),
            "email": self._decrypt(cid, "email", prof.get("email_enc")),
            "phone": self._decrypt(cid, "phone", prof.get("phone_enc")),
            "created_at": prof.get("created_at"),
            "applications": applications,
            "annotations": visible_annotations(principal, cid, items, self.enc),
            "feedback": visible_feedback(principal, cid, items, self.enc),
        }

    # -- one result -------------------------------------------------------------------------
    def result(self, principal: Principal, rid: str, *, mark_viewed: bool = True) -> tuple[dict[str, Any], str]:
        authorize(principal, Action.RESULT_READ)
        r = self.candidates.get_result(rid)
        cid = r["candidate_id"]
        authorize(principal, Action.RESULT_READ, Resource(frozenset({r.get("department") or "unassigned"}), cid))
        subject_field = f"{rid}/transcript/"
        answers = []
        for a in r.get("answers", []):
            media = a.get("media") or {}
            answers.append(
                {
                    "question_id": a["question_id"],
                    "question": a.get("question"),
                    "transcript": self._decrypt(cid, subject_field + a["question_id"], a.get("transcript_enc")),
                    "media_url": self._media_url(rid, a["question_id"], media),
                    "media_content_type": media.get("content_type"),
                    "media_duration_s": media.get("duration_s"),
                    "media_status": media.get("status", "linked"),
                    "media_reason": media.get("reason"),
                }
            )
        analyses_json = self._decrypt(cid, f"{rid}/analyses", r.get("analyses_enc"))
        dims = []
        for i, d in enumerate(r.get("dimensions", [])):
            v = _dimension_view(d)
            v["comment"] = self._decrypt(cid, f"{rid}/comment/{i}", d.get("comment_enc"))
            dims.append(v)
        revisions = sorted(
            (
                {"revision": e.get("revision"), "kind": e.get("kind"), "received_at": e.get("at")}
                for e in self.candidates.partition(cid, "EVT#")
                if e.get("result_id") == rid
            ),
            key=lambda e: (e["revision"] is None, e["revision"] or 0),
        )
        view = {
            **result_summary(r),
            "dimensions": dims,
            "candidate_id": cid,
            "job_id": r.get("job_id"),
            "department": r.get("department"),
            "answers": answers,
            "analyses": json.loads(analyses_json) if analyses_json else [],
            "analyses_dropped": r.get("analyses_dropped", 0),
            "biometric_consent": r.get("biometric_consent"),
            "report_url": r.get("report_url"),
            "revisions": revisions,
            "viewed_at": r.get("viewed_at"),
            "adjustments": adjustment_history(self.enc, cid, rid, r.get("adjustments", [])),
            # evidence sentences per competency, for the reviewer (shared/scoring/highlights.py)
            "highlights": highlights(answers),
        }
        if mark_viewed and principal.role in (Role.HR, Role.HR_ADMIN, Role.INTERVIEWER):
            self._mark_viewed(r, principal)
        if self.audit:
            self.audit.append(cid, "result.viewed", actor=(principal.sub, principal.role.value), target=rid)
        return view, _etag(r)

    def _media_url(self, rid: str, question_id: str, media: dict[str, Any]) -> str | None:
        if media.get("status") == "copied" and self.media is not None:
            # the copy is encrypted per candidate: a signed hirelens link, not a presigned S3 GET (docs/media.md)
            return str(self.media.link(rid, question_id)[0])
        if media.get("status") == "rejected":
            return None  # refused as unsafe or too large: not handed on either
        return media.get("url")

    def _mark_viewed(self, r: dict[str, Any], principal: Principal) -> None:
        now = iso(self.clock())
        self._table.update_item(
            Key=keys.result(r["candidate_id"], r["result_id"]),
            UpdateExpression="SET viewed_at = if_not_exists(viewed_at, :now) ADD viewed_by :u REMOVE gsi3pk, gsi3sk",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":now": now, ":u": {principal.sub}},
        )
        self._table.update_item(
            Key=keys.application(r["candidate_id"], r["job_id"]),
            # viewed_by on the application: who has opened it (the interviewers' inbox is per person)
            UpdateExpression="SET viewed = :t ADD viewed_by :u",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":t": True, ":u": {principal.sub}},
        )

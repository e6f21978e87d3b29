"""`GET /v1/me`: a candidate's own results, cut to what the company chose to share.

The company setting (shared/models/company.CandidateView) decides which evaluations a candidate
sees; their own identity (name, e-mail, phone) they always see (PIPL Art. 45, right of access).
Reviewers' annotations are never part of it.
"""

from __future__ import annotations

from typing import Any

from shared.authz.policy import Action, Principal, Resource, authorize
from shared.crypto.encryptor import Encryptor, KeyDestroyed, candidate_subject
from shared.errors import NotFound
from shared.models.company import CandidateView
from shared.scoring.percentile import histogram_of, percentile
from shared.storage import keys
from shared.storage.candidates import CandidateRepository
from shared.storage.company import CompanySettings
from shared.storage.ddb import from_ddb


class SelfView:
    def __init__(
        self, *, table: Any, candidates: CandidateRepository, company: CompanySettings, encryptor: Encryptor
    ) -> None:
        self._table, self.candidates, self.company, self.enc = table, candidates, company, encryptor

    def _decrypt(self, cid: str, field: str, token: str | None) -> str | None:
        try:
            return self.enc.decrypt_field(candidate_subject(cid), field, token)
        except KeyDestroyed:
            return None

    def me(self, principal: Principal) -> dict[str, Any]:
        authorize(principal, Action.SELF_VIEW)
        cid = principal.candidate_id
        if not cid:
            raise NotFound("no candidate record belongs to this account")
        authorize(principal, Action.SELF_VIEW, Resource(candidate_id=cid))
        items = self.candidates.partition(cid)
        prof = next((i for i in items if i["sk"] == keys.PROFILE), None)
        if prof is None:
            raise NotFound("no candidate record belongs to this account")
        show = self.company.candidate_view()
        results = [i for i in items if i["sk"].startswith("RES#") and i.get("status") != "withdrawn"]
        apps = []
        for a in sorted((i for i in items if i["sk"].startswith("APP#")), key=lambda x: x.get("created_at", "")):
            job = self._job(a["job_id"])
            apps.append(self._application(cid, a, job, [r for r in results if r.get("job_id") == a["job_id"]], show))
        return {
            "candidate_id": cid,
            "name": self._decrypt(cid, "name", prof.get("name_enc")),
            "email": self._decrypt(cid, "email", prof.get("email_enc")),
            "phone": self._decrypt(cid, "phone", prof.get("phone_enc")),
            "shared": sorted(k for k, v in show.model_dump().items() if v),
            "applications": apps,
        }

    def _job(self, job_id: str) -> dict[str, Any]:
        item = self._table.get_item(Key=keys.job(job_id)).get("Item")
        return dict(from_ddb(item)) if item else {}

    def _application(
        self, cid: str, a: dict[str, Any], job: dict[str, Any], results: list[dict[str, Any]], show: CandidateView
    ) -> dict[str, Any]:
        report = a.get("match") or {}
        match: dict[str, Any] = {}
        if show.reasons:
            match["reasons"] = report.get("reasons", [])
        if show.match_score:
            match["match_score"] = a.get("match_score")
        if show.recommendation:
            match["recommendation"] = a.get("recommendation")
        if show.radar:
            match["radar"] = report.get("radar", [])
        if show.percentile:
            match["percentile"] = percentile(a.get("match_score"), histogram_of(job))
        out: dict[str, Any] = {"job_id": a["job_id"], "job_title": job.get("title"), "match": match}
        if show.status:
            out["status"] = a.get("status")
        if show.scores:
            out["scores"] = a.get("scores", {})
        out["results"] = [self._result(cid, r, show) for r in sorted(results, key=lambda r: r.get("received_at", ""))]
        return out

    def _result(self, cid: str, r: dict[str, Any], show: CandidateView) -> dict[str, Any]:
        rid = r["result_id"]
        out: dict[str, Any] = {"result_id": rid, "completed_at": r.get("completed_at")}
        dims = []
        for i, d in enumerate(r.get("dimensions", [])):
            view: dict[str, Any] = {"code": d["code"], "label": d.get("label")}
            if show.scores:
                view["normalized"] = d.get("adjusted_normalized", d.get("normalized"))
            if show.comments:
                view["comment"] = self._decrypt(cid, f"{rid}/comment/{i}", d.get("comment_enc"))
            dims.append(view)
        if show.scores or show.comments:
            out["dimensions"] = dims
        if show.overall and r.get("overall"):
            o = r["overall"]
            out["overall"] = {k: o.get(k) for k in ("score", "scale_min", "scale_max", "normalized")}
        if show.transcripts:
            out["answers"] = [
                {
                    "question_id": a["question_id"],
                    "question": a.get("question"),
                    "transcript": self._decrypt(cid, f"{rid}/transcript/{a['question_id']}", a.get("transcript_enc")),
                }
                for a in r.get("answers", [])
            ]
        return out

"""Analysis read models and the talent-profile write: jobs with their counts, one candidate's
match for a job (reasons, percentile, radar), and side-by-side comparison with highlights."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal

from shared.authz.policy import Action, Principal, Resource, authorize, in_scope
from shared.errors import NotFound, Unprocessable
from shared.models.domain import Job, TalentProfile
from shared.scoring.aggregate import aggregate, latest_per_vendor
from shared.scoring.highlights import highlights
from shared.scoring.match import compute_match
from shared.scoring.percentile import histogram_of, percentile
from shared.services.intake import QueuePort, iso
from shared.services.views import CandidateViews
from shared.storage.candidates import CandidateRepository
from shared.storage.jobs import JobRepository
from shared.storage.pagination import decode_cursor, encode_cursor
from shared.taxonomy import default_taxonomy

Lang = Literal["zh", "en"]
MAX_COMPARE = 10


def lang_of(accept_language: str | None) -> Lang:
    """English when the caller prefers it (Accept-Language: en…), Chinese otherwise."""
    first = (accept_language or "").split(",")[0].strip().lower()
    return "en" if first.startswith("en") else "zh"


def localise_reasons(reasons: list[dict[str, Any]], lang: Lang) -> list[dict[str, Any]]:
    """Each reason with `text` in the caller's language, both languages kept beside it."""
    return [
        {
            "kind": r.get("kind"),
            "code": r.get("code"),
            "text": r.get("text_en") if lang == "en" else r.get("text"),
            "text_zh": r.get("text"),
            "text_en": r.get("text_en"),
        }
        for r in reasons
    ]


def localise_radar(radar: list[dict[str, Any]], lang: Lang) -> list[dict[str, Any]]:
    out = []
    for p in radar:
        q = dict(p)
        q["label_zh"] = p.get("label")
        q["label"] = p.get("label_en") if lang == "en" else p.get("label")
        out.append(q)
    return out


def job_view(item: dict[str, Any]) -> dict[str, Any]:
    job = Job.model_validate(item)
    return {
        "job_id": job.job_id,
        "title": job.title,
        "department": job.department,
        "competencies": [r.model_dump() for r in job.competencies],
        "thresholds": job.thresholds.model_dump(),
        "profile_defined": job.profile_defined,
        "created_at": item.get("created_at"),
        "updated_at": item.get("updated_at"),
        "counts": JobRepository.counts(item),
        "scored": sum(histogram_of(item).values()),
    }


class AnalysisViews:
    def __init__(
        self,
        views: CandidateViews,
        candidates: CandidateRepository,
        jobs: JobRepository,
        score_queue: QueuePort,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.views, self.candidates, self.jobs, self.score_queue, self.clock = (
            views,
            candidates,
            jobs,
            score_queue,
            clock,
        )

    # -- jobs -----------------------------------------------------------------------------------
    def put_job(self, principal: Principal, job_id: str, profile: TalentProfile) -> tuple[bool, dict[str, Any]]:
        """Create or replace the profile; a changed profile re-scores the whole job (fanned out)."""
        authorize(principal, Action.JOB_WRITE)
        created, changed = self.jobs.put_profile(job_id, profile, iso(self.clock()))
        if changed:
            self.score_queue.send({"kind": "job", "job_id": job_id})
        return created, job_view(self.jobs.get_item(job_id))

    def _job_in_scope(self, principal: Principal, item: dict[str, Any]) -> bool:
        return in_scope(principal, Resource(departments=frozenset({item.get("department") or "unassigned"})))

    def job(self, principal: Principal, job_id: str) -> dict[str, Any]:
        authorize(principal, Action.JOB_READ)
        item = self.jobs.get_item(job_id)
        if not self._job_in_scope(principal, item):
            raise NotFound("job not found")
        return job_view(item)

    def list_jobs(self, principal: Principal, limit: int, cursor: str | None) -> dict[str, Any]:
        authorize(principal, Action.JOB_READ)
        start = decode_cursor(cursor, must_match={"gsi2pk": "JOBS"})
        items, last = self.jobs.list_items(limit, start)
        return {
            "items": [job_view(i) for i in items if self._job_in_scope(principal, i)],
            "next_cursor": encode_cursor(last),
        }

    # -- one candidate's match --------------------------------------------------------------------
    def _application(self, principal: Principal, cid: str, job_id: str) -> dict[str, Any]:
        """The application, after checking the caller may see it (404 otherwise, existence not told)."""
        authorize(principal, Action.CANDIDATE_READ)
        app = self.candidates.get_application(cid, job_id)
        if app is None:
            raise NotFound("no such candidate for this job")
        authorize(principal, Action.CANDIDATE_READ, Resource(frozenset({app.get("department") or "unassigned"}), cid))
        return app

    def _report(
        self, cid: str, job_id: str, job: Job | None, app: dict[str, Any], hist: dict[int, int], lang: Lang
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        results = [r for r in self.candidates.partition(cid, "RES#") if r.get("job_id") == job_id]
        report = compute_match(job, aggregate(results)).to_dict()
        stored = app.get("match_score")
        counted = (
            stored is not None and report["match_score"] is not None and abs(stored - report["match_score"]) < 1e-6
        )
        report["percentile"] = percentile(report["match_score"], hist, counted=counted)
        report["reasons"] = localise_reasons(report["reasons"], lang)
        report["radar"] = localise_radar(report["radar"], lang)
        return report, results

    def match(self, principal: Principal, cid: str, job_id: str, lang: Lang = "zh") -> dict[str, Any]:
        """Computed from the stored results and the current profile, so it never lags the score queue."""
        app = self._application(principal, cid, job_id)
        item = self.jobs.get_item(job_id)
        report, _ = self._report(cid, job_id, Job.model_validate(item), app, histogram_of(item), lang)
        return {"candidate_id": cid, "job_id": job_id, "status": app.get("status"), **report}

    # -- compare ---------------------------------------------------------------------------------
    def compare(self, principal: Principal, job_id: str, cids: list[str], lang: Lang = "zh") -> dict[str, Any]:
        authorize(principal, Action.CANDIDATE_READ)
        cids = list(dict.fromkeys(c.strip() for c in cids if c.strip()))
        if not cids or len(cids) > MAX_COMPARE:
            raise Unprocessable(
                f"compare takes 1 to {MAX_COMPARE} candidates",
                errors=[{"loc": ["query", "candidates"], "msg": f"give 1 to {MAX_COMPARE} distinct candidate ids"}],
            )
        item = self.jobs.get_item(job_id)
        job = Job.model_validate(item)
        hist = histogram_of(item)
        tax = default_taxonomy()
        apps = [self._application(principal, cid, job_id) for cid in cids]  # any one out of scope → 404
        rows: dict[str, dict[str, Any]] = {}
        candidates = []
        evidence: dict[str, dict[str, list[dict[str, Any]]]] = {}
        profile_codes = [r.code for r in job.competencies] if job.profile_defined else []
        for cid, app in zip(cids, apps, strict=True):
            report, results = self._report(cid, job_id, job, app, hist, lang)
            candidates.append(
                {
                    "candidate_id": cid,
                    "name": self.views._decrypt(cid, "name", app.get("name_enc")),
                    "status": app.get("status"),
                    "match_score": report["match_score"],
                    "recommendation": report["recommendation"],
                    "percentile": report["percentile"],
                    "coverage": report["coverage"],
                    "gaps": report["gaps"],
                    "disagreements": report["disagreements"],
                    "reasons": report["reasons"],
                }
            )
            for code, s in report["scores"].items():
                if tax.is_known(code):
                    rows.setdefault(code, {})[cid] = s["score"]
            evidence[cid] = self._highlights(cid, results, profile_codes or None)
        reqs = {r.code: r for r in job.competencies} if job.profile_defined else {}
        order = [*profile_codes, *sorted(c for c in rows if c not in reqs)]
        table = []
        for code in order:
            scores = {cid: rows.get(code, {}).get(cid) for cid in cids}
            r = reqs.get(code)
            table.append(
                {
                    "code": code,
                    "label": tax.label(code, lang),
                    "label_zh": tax.label(code, "zh"),
                    "label_en": tax.label(code, "en"),
                    "weight": r.weight if r else None,
                    "required": r.min if r else None,
                    "must_have": r.must_have if r else False,
                    "scores": scores,
                    "leaders": _leaders(scores),
                }
            )
        overall = {c["candidate_id"]: c["match_score"] for c in candidates}
        return {
            "job_id": job_id,
            "title": job.title,
            "thresholds": job.thresholds.model_dump(),
            "profile_defined": job.profile_defined,
            "candidates": candidates,
            "competencies": table,
            "leaders": {row["code"]: row["leaders"] for row in table},
            "match_leaders": _leaders(overall),
            "highlights": evidence,
        }

    # -- highlights ---------------------------------------------------------------------------------
    def _highlights(
        self, cid: str, results: list[dict[str, Any]], codes: list[str] | None
    ) -> dict[str, list[dict[str, Any]]]:
        answers = []
        for r in latest_per_vendor(results):
            rid = r["result_id"]
            for a in r.get("answers", []):
                text = self.views._decrypt(cid, f"{rid}/transcript/{a['question_id']}", a.get("transcript_enc"))
                answers.append({"question_id": a["question_id"], "transcript": text, "result_id": rid})
        return highlights(answers, codes=codes)


def _leaders(scores: dict[str, float | None]) -> list[str]:
    """Who leads: the highest score, every one of them on a tie; nobody when nobody was scored."""
    present = {k: v for k, v in scores.items() if v is not None}
    if not present:
        return []
    top = max(present.values())
    return [k for k, v in present.items() if abs(v - top) < 1e-9]

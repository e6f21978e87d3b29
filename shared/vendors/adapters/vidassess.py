"""`vidassess`: an English video-interview vendor, ratings on 1–5 (CONTRACT §4.2).

```json
{"event": "assessment.scored", "event_time": 1763626200,
 "assessment": {"id": "VA-77", "version": 3, "finished": "2026-11-20T08:20:00+08:00",
   "applicant": {"ref": "C-9", "full_name": "Zhang San", "contact": {"email": "zs@example.com"}},
   "requisition": {"code": "JOB-7", "name": "Risk Analyst", "org_unit": "risk"},
   "competencies": [{"name": "Communication Skills", "rating": 4.5}],
   "overall_rating": 4.1,
   "questions": [{"qid": "1", "prompt": "...", "transcript": "...", "video": "https://..."}]}}
```

Times: ISO 8601 (an offset is honoured, none means UTC) or epoch seconds/milliseconds.
Competency names map through the taxonomy; a name that maps to nothing is kept as
`unmapped:<name>`. Errors name the vendor's own fields (`assessment.competencies.0.rating`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.models.results import (
    Answer,
    CandidateIdentity,
    CanonicalResult,
    EventKind,
    JobRef,
    MediaRef,
)
from shared.vendors.adapters.base import PayloadInvalid, VendorAdapter, on_scale
from shared.vendors.fields import UtcInstant, VendorId

SCALE_MIN, SCALE_MAX = 1.0, 5.0

_KINDS = {
    "assessment.scored": EventKind.COMPLETED,
    "assessment.rescored": EventKind.UPDATED,
    "assessment.cancelled": EventKind.WITHDRAWN,
}


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class Contact(_In):
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)


class Applicant(_In):
    ref: VendorId | None = None
    full_name: str | None = Field(default=None, max_length=200)
    contact: Contact | None = None

    @model_validator(mode="after")
    def _identifiable(self) -> Applicant:
        if not (self.ref or (self.contact and (self.contact.email or self.contact.phone))):
            raise ValueError("applicant needs ref, contact.email or contact.phone")
        return self


class Requisition(_In):
    code: VendorId
    name: str | None = Field(default=None, max_length=200)
    org_unit: str | None = Field(default=None, max_length=100)


class Competency(_In):
    name: str = Field(min_length=1, max_length=200)
    rating: float = Field(ge=SCALE_MIN, le=SCALE_MAX)
    comment: str | None = Field(default=None, max_length=10_000)


class Question(_In):
    qid: VendorId
    prompt: str | None = Field(default=None, max_length=10_000)
    transcript: str | None = Field(default=None, max_length=200_000)
    video: str | None = Field(default=None, max_length=4096)


class Assessment(_In):
    id: VendorId
    version: int = Field(ge=0)
    finished: UtcInstant | None = None
    applicant: Applicant | None = None
    requisition: Requisition | None = None
    competencies: list[Competency] = Field(default_factory=list, max_length=200)
    overall_rating: float | None = Field(default=None, ge=SCALE_MIN, le=SCALE_MAX)
    questions: list[Question] = Field(default_factory=list, max_length=500)
    report_url: str | None = Field(default=None, max_length=4096)


class VidassessPayload(_In):
    event: Literal["assessment.scored", "assessment.rescored", "assessment.cancelled"]
    event_time: UtcInstant | None = None
    assessment: Assessment


def _require_complete(event: str, a: Assessment) -> None:
    """A scored or rescored assessment carries the person, the requisition, the time and the ratings."""
    errors = [
        {"loc": ["assessment", f], "msg": f"Field required for {event}"}
        for f in ("applicant", "requisition", "finished")
        if getattr(a, f) is None
    ]
    if not a.competencies:
        errors.append({"loc": ["assessment", "competencies"], "msg": f"at least one competency required for {event}"})
    if errors:
        raise PayloadInvalid(errors)


class VidassessAdapter(VendorAdapter):
    format_name = "vidassess"

    def to_canonical(self, vendor: str, doc: dict[str, Any]) -> CanonicalResult:
        p = VidassessPayload.model_validate(doc)
        a = p.assessment
        if p.event != "assessment.cancelled":
            _require_complete(p.event, a)
        contact = a.applicant.contact if a.applicant and a.applicant.contact else None
        return CanonicalResult(
            kind=_KINDS[p.event],
            vendor=vendor,
            vendor_result_id=a.id,
            revision=a.version,
            occurred_at=p.event_time,
            completed_at=a.finished,
            candidate=(
                CandidateIdentity(
                    external_id=a.applicant.ref,
                    name=a.applicant.full_name,
                    email=contact.email if contact else None,
                    phone=contact.phone if contact else None,
                )
                if a.applicant
                else None
            ),
            job=(
                JobRef(external_id=a.requisition.code, title=a.requisition.name, department=a.requisition.org_unit)
                if a.requisition
                else None
            ),
            overall=on_scale(a.overall_rating, (SCALE_MIN, SCALE_MAX)),
            dimensions=tuple(
                self.labelled(c.name, c.rating, (SCALE_MIN, SCALE_MAX), c.comment) for c in a.competencies
            ),
            answers=tuple(
                Answer(
                    question_id=q.qid,
                    question=q.prompt,
                    transcript=q.transcript,
                    media=MediaRef(url=q.video) if q.video else None,
                )
                for q in a.questions
            ),
            report_url=a.report_url,
            extra={"vendor_event": p.event},
        )

"""hirelens' own `generic` format (CONTRACT §4.1)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.models.results import (
    REVISION_LIMIT,
    SCORE_LIMIT,
    Analysis,
    Answer,
    CandidateIdentity,
    CanonicalResult,
    Dimension,
    EventKind,
    JobRef,
    MediaRef,
    ScaledScore,
)
from shared.vendors.adapters.base import VendorAdapter

_KINDS = {
    "interview.result.completed": EventKind.COMPLETED,
    "interview.result.updated": EventKind.UPDATED,
    "interview.result.withdrawn": EventKind.WITHDRAWN,
}


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class GCandidate(_In):
    external_id: str | None = Field(default=None, min_length=1, max_length=200)
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)

    @model_validator(mode="after")
    def _identifiable(self) -> GCandidate:
        if not (self.external_id or self.email or self.phone):
            raise ValueError("candidate needs external_id, email or phone")
        return self


class GJob(_In):
    external_id: str = Field(min_length=1, max_length=200)
    title: str | None = Field(default=None, max_length=200)
    department: str | None = Field(default=None, max_length=100)


class GScore(_In):
    score: float = Field(allow_inf_nan=False, ge=-SCORE_LIMIT, le=SCORE_LIMIT)
    scale_min: float = Field(allow_inf_nan=False, ge=-SCORE_LIMIT, le=SCORE_LIMIT)
    scale_max: float = Field(allow_inf_nan=False, ge=-SCORE_LIMIT, le=SCORE_LIMIT)


class GDimension(GScore):
    code: str | None = Field(default=None, max_length=100)
    label: str | None = Field(default=None, max_length=200)
    comment: str | None = Field(default=None, max_length=10_000)

    @model_validator(mode="after")
    def _named(self) -> GDimension:
        if not (self.code or self.label):
            raise ValueError("a dimension needs a code or a label")
        return self


class GMedia(_In):
    url: str = Field(max_length=4096)
    content_type: str | None = None
    duration_s: float | None = Field(default=None, ge=0, le=SCORE_LIMIT, allow_inf_nan=False)


class GAnswer(_In):
    question_id: str = Field(max_length=200)
    question: str | None = Field(default=None, max_length=10_000)
    transcript: str | None = Field(default=None, max_length=200_000)
    media: GMedia | None = None


class GAnalysis(_In):
    kind: Literal["speech", "expression", "other"]
    summary: str | None = Field(default=None, max_length=10_000)
    metrics: dict[str, Any] = Field(default_factory=dict)


class GConsent(_In):
    biometric_analysis: bool | None = None


class GData(_In):
    result_id: str = Field(min_length=1, max_length=200)
    revision: int = Field(ge=0, le=REVISION_LIMIT)
    candidate: GCandidate | None = None
    job: GJob | None = None
    completed_at: datetime | None = None
    overall: GScore | None = None
    dimensions: list[GDimension] = Field(default_factory=list, max_length=200)
    answers: list[GAnswer] = Field(default_factory=list, max_length=500)
    analyses: list[GAnalysis] = Field(default_factory=list, max_length=50)
    consent: GConsent | None = None
    report_url: str | None = Field(default=None, max_length=4096)


class GenericPayload(_In):
    type: Literal["interview.result.completed", "interview.result.updated", "interview.result.withdrawn"]
    occurred_at: datetime
    data: GData

    @model_validator(mode="after")
    def _complete_unless_withdrawn(self) -> GenericPayload:
        if self.type != "interview.result.withdrawn":
            missing = [f for f in ("candidate", "job", "completed_at") if getattr(self.data, f) is None]
            if missing:
                raise ValueError(f"data.{', data.'.join(missing)} required for {self.type}")
            if not self.data.dimensions:
                raise ValueError("data.dimensions must list at least one dimension")
        return self


class GenericAdapter(VendorAdapter):
    format_name = "generic"

    def to_canonical(self, vendor: str, doc: dict[str, Any]) -> CanonicalResult:
        p = GenericPayload.model_validate(doc)
        d = p.data
        dims = tuple(
            Dimension(
                code=self.taxonomy.resolve(x.code, x.label),
                label=x.label or self.taxonomy.label(x.code or ""),
                score=x.score,
                scale_min=x.scale_min,
                scale_max=x.scale_max,
                comment=x.comment,
            )
            for x in d.dimensions
        )
        return CanonicalResult(
            kind=_KINDS[p.type],
            vendor=vendor,
            vendor_result_id=d.result_id,
            revision=d.revision,
            occurred_at=p.occurred_at,
            completed_at=d.completed_at,
            candidate=CandidateIdentity(**d.candidate.model_dump()) if d.candidate else None,
            job=JobRef(**d.job.model_dump()) if d.job else None,
            overall=ScaledScore(**d.overall.model_dump()) if d.overall else None,
            dimensions=dims,
            answers=tuple(
                Answer(
                    question_id=a.question_id,
                    question=a.question,
                    transcript=a.transcript,
                    media=MediaRef(**a.media.model_dump()) if a.media else None,
                )
                for a in d.answers
            ),
            analyses=tuple(Analysis(**a.model_dump()) for a in d.analyses),
            biometric_consent=d.consent.biometric_analysis if d.consent else None,
            report_url=d.report_url,
        )

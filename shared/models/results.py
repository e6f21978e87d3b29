"""The canonical interview result every vendor adapter produces."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCORE_LIMIT = 1e9  # far beyond any real scale, far within what DynamoDB numbers hold
REVISION_LIMIT = 2**63 - 1


def normalize(score: float, scale_min: float, scale_max: float) -> float:
    """A score on [scale_min, scale_max] as 0–100 (CONTRACT §4.1)."""
    return round((score - scale_min) / (scale_max - scale_min) * 100, 4)


class EventKind(StrEnum):
    COMPLETED = "completed"
    UPDATED = "updated"
    WITHDRAWN = "withdrawn"


class _Frozen(BaseModel):
    # inf/nan and numbers DynamoDB cannot store must never pass: they would poison the queue
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class ScaledScore(_Frozen):
    score: float
    scale_min: float
    scale_max: float

    @model_validator(mode="after")
    def _on_scale(self) -> ScaledScore:
        if max(abs(self.score), abs(self.scale_min), abs(self.scale_max)) > SCORE_LIMIT:
            raise ValueError(f"scores and scales must lie within ±{SCORE_LIMIT:g}")
        if self.scale_max <= self.scale_min:
            raise ValueError("scale_max must be greater than scale_min")
        if not self.scale_min <= self.score <= self.scale_max:
            raise ValueError(f"score {self.score} is outside its scale [{self.scale_min}, {self.scale_max}]")
        return self

    @property
    def normalized(self) -> float:
        return normalize(self.score, self.scale_min, self.scale_max)


class Dimension(ScaledScore):
    code: str  # a taxonomy code or `unmapped:<label>`
    label: str
    comment: str | None = None


class MediaRef(_Frozen):
    url: str
    content_type: str | None = None
    duration_s: float | None = None


class Answer(_Frozen):
    question_id: str
    question: str | None = None
    transcript: str | None = None
    media: MediaRef | None = None


class Analysis(_Frozen):
    kind: Literal["speech", "expression", "other"]
    summary: str | None = None
    metrics: dict[str, Any] = Field(default_factory=dict)


class CandidateIdentity(_Frozen):
    external_id: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None


class JobRef(_Frozen):
    external_id: str
    title: str | None = None
    department: str | None = None


class CanonicalResult(_Frozen):
    """One vendor event about one interview result, in hirelens' own terms."""

    kind: EventKind
    vendor: str
    vendor_result_id: str
    revision: int = Field(ge=0, le=REVISION_LIMIT)
    occurred_at: datetime | None = None
    completed_at: datetime | None = None
    candidate: CandidateIdentity | None = None
    job: JobRef | None = None
    overall: ScaledScore | None = None
    dimensions: tuple[Dimension, ...] = ()
    answers: tuple[Answer, ...] = ()
    analyses: tuple[Analysis, ...] = ()
    biometric_consent: bool | None = None
    report_url: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)  # vendor facts kept as sent (e.g. percentile)

    @property
    def unmapped_labels(self) -> list[str]:
        return [d.label for d in self.dimensions if d.code.startswith("unmapped:")]

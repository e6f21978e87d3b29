"""Vendors, jobs (talent profiles), candidates and applications."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

VENDOR_NAME = re.compile(r"^[a-z0-9-]{2,40}$")
VendorFormat = Literal["generic", "vidassess", "zhiping"]


class Vendor(BaseModel):
    name: str
    format: VendorFormat
    created_at: datetime


class ApplicationStatus(StrEnum):
    AWAITING_REVIEW = "awaiting_review"
    SECOND_INTERVIEW = "second_interview"
    OFFER = "offer"
    HIRED = "hired"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Recommendation(StrEnum):
    HIRE = "hire"
    SECOND_INTERVIEW = "second_interview"
    REJECT = "reject"


class Requirement(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str
    weight: float = Field(gt=0)
    min: float | None = Field(default=None, ge=0, le=100)
    must_have: bool = False


class Thresholds(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hire: float = Field(default=80, ge=0, le=100)
    second_interview: float = Field(default=65, ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.second_interview > self.hire:
            raise ValueError("thresholds.second_interview must not exceed thresholds.hire")
        return self


class TalentProfile(BaseModel):
    """What PUT /v1/jobs/{job_id} accepts."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    department: str = Field(min_length=1, max_length=100)
    competencies: list[Requirement] = Field(default_factory=list, max_length=50)
    thresholds: Thresholds = Field(default_factory=Thresholds)

    @field_validator("competencies")
    @classmethod
    def _unique_known_codes(cls, reqs: list[Requirement]) -> list[Requirement]:
        from shared.taxonomy import default_taxonomy

        tax = default_taxonomy()
        seen: set[str] = set()
        for r in reqs:
            if not tax.is_known(r.code):
                raise ValueError(f"unknown competency code {r.code!r}")
            if r.code in seen:
                raise ValueError(f"competency {r.code!r} listed twice")
            seen.add(r.code)
        return reqs


class Job(BaseModel):
    job_id: str
    title: str | None = None
    department: str | None = None
    competencies: list[Requirement] = Field(default_factory=list)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    profile_defined: bool = False

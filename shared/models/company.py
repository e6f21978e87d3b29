"""Company-wide settings HR admins change through the API: what candidates see of their own
evaluation, and how long candidates are kept after each final outcome."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CandidateView(BaseModel):
    """What `GET /v1/me` shows a candidate. The default shares competency scores and the match
    reasons; reviewers' notes and comments and anything comparative stay with the company."""

    model_config = ConfigDict(extra="forbid")

    scores: bool = Field(default=True, description="normalised score per competency")
    reasons: bool = Field(default=True, description="the match explanation, in words")
    overall: bool = Field(default=False, description="each vendor's overall score")
    match_score: bool = Field(default=False, description="the 0-100 match to the job")
    recommendation: bool = Field(default=False, description="hire / second_interview / reject")
    radar: bool = Field(default=False, description="competency radar with the job's minimums")
    percentile: bool = Field(default=False, description="rank among the job's candidates")
    status: bool = Field(default=False, description="where the application stands")
    comments: bool = Field(default=False, description="the vendor's comment per competency")
    transcripts: bool = Field(default=False, description="the candidate's own answers")


# Application statuses after which nothing more happens (CONTRACT §5.1).
FINAL_STATUSES = ("hired", "rejected", "withdrawn")


class Retention(BaseModel):
    """Days a candidate is kept after their last application reached a final outcome; `null`
    keeps them until erased by hand. Applied daily by the retention sweep (docs/erasure.md)."""

    model_config = ConfigDict(extra="forbid")

    rejected: int | None = Field(default=180, ge=1, le=3650)
    withdrawn: int | None = Field(default=30, ge=1, le=3650)
    hired: int | None = Field(default=None, ge=1, le=3650)
    # a candidate who consented to the talent pool is kept at least this long
    talent_pool: int = Field(default=730, ge=1, le=3650)
    # signed payloads that never parsed (quarantine) are destroyed after this many days
    quarantine: int = Field(default=30, ge=1, le=3650)

    def days_for(self, status: str) -> int | None:
        return getattr(self, status) if status in FINAL_STATUSES else None


class Consent(BaseModel):
    """Per-candidate consent flags recorded by HR (`PUT /v1/candidates/{id}/consent`)."""

    model_config = ConfigDict(extra="forbid")

    biometric_analysis: bool | None = Field(
        default=None, description="voice/face analysis may be stored (PIPL Art. 28-29); false deletes what is stored"
    )
    talent_pool: bool | None = Field(default=None, description="may be kept after the outcome for future openings")

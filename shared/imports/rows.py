"""One import row → a CanonicalResult, or the row's errors (CONTRACT §4.5).

Columns: result_id, revision, candidate_external_id, candidate_name, candidate_email,
job_external_id, job_title, department, completed_at, overall_score, scale_min, scale_max,
then one column per competency code. Headers are matched ignoring case, spaces and `-`; a
competency column may also be headed by a label the taxonomy knows (`沟通能力`), and a header
that maps to nothing is kept as `unmapped:<header>`, as §4.4 asks. One scale (scale_min to
scale_max) holds for the row's overall score and every competency score in it.

Error messages never repeat the cell's value: it may be personal data.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from shared.models.results import CandidateIdentity, CanonicalResult, Dimension, EventKind, JobRef, ScaledScore
from shared.taxonomy import Taxonomy
from shared.vendors.fields import VendorId, blank_to_none, to_instant

FIXED = (
    "result_id",
    "revision",
    "candidate_external_id",
    "candidate_name",
    "candidate_email",
    "job_external_id",
    "job_title",
    "department",
    "completed_at",
    "overall_score",
    "scale_min",
    "scale_max",
)
REQUIRED = ("result_id", "revision", "job_external_id", "completed_at", "scale_min", "scale_max")
# bounds on what the status item keeps about the header (DynamoDB items are at most 400 KB)
MAX_COLUMNS = 300
MAX_HEADER_CHARS = 100
_SEPARATORS = re.compile(r"[\s\-]+")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field[:MAX_HEADER_CHARS], "message": self.message[:200]}


@dataclass(frozen=True)
class Column:
    index: int
    header: str
    code: str  # a taxonomy code or `unmapped:<header>`


@dataclass(frozen=True)
class Layout:
    fixed: dict[str, int]
    competencies: tuple[Column, ...]


def _norm(header: str) -> str:
    return _SEPARATORS.sub("_", header.strip().lstrip("\ufeff")).casefold()


def layout_from_header(header: tuple[str, ...] | list[str], taxonomy: Taxonomy) -> tuple[Layout | None, list[RowError]]:
    """Where each column is; or the header's problems (row 1), which fail the whole import."""
    fixed: dict[str, int] = {}
    comps: list[Column] = []
    seen: set[str] = set()
    errors: list[RowError] = []
    if len(header) > MAX_COLUMNS:
        return None, [RowError(1, "header", f"more than {MAX_COLUMNS} columns")]
    for i, raw in enumerate(header):
        text = str(raw or "").strip().lstrip("\ufeff").strip()
        if not text:
            continue  # an unnamed column (often a trailing delimiter) carries nothing
        if len(text) > MAX_HEADER_CHARS:
            errors.append(RowError(1, text[:MAX_HEADER_CHARS], "the column name is too long"))
            continue
        name = _norm(text)
        if name in FIXED:
            key = name
        else:
            code = taxonomy.resolve(name, text)
            key = code
        if key in seen:
            errors.append(RowError(1, text, "the column appears twice"))
            continue
        seen.add(key)
        if name in FIXED:
            fixed[name] = i
        else:
            comps.append(Column(i, text, key))
    errors += [RowError(1, c, "required column missing") for c in REQUIRED if c not in fixed]
    if "candidate_external_id" not in fixed and "candidate_email" not in fixed:
        errors.append(RowError(1, "candidate_external_id", "candidate_external_id or candidate_email column required"))
    if not comps:
        errors.append(RowError(1, "competencies", "at least one competency column required"))
    return (None, errors) if errors else (Layout(fixed, tuple(comps)), [])


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    result_id: VendorId
    revision: int = Field(ge=0)
    candidate_external_id: VendorId | None = None
    candidate_name: str | None = Field(default=None, max_length=200)
    candidate_email: str | None = Field(default=None, max_length=320)
    job_external_id: VendorId
    job_title: str | None = Field(default=None, max_length=200)
    department: str | None = Field(default=None, max_length=100)
    completed_at: datetime
    overall_score: float | None = None
    scale_min: float
    scale_max: float

    @field_validator("completed_at", mode="before")
    @classmethod
    def _instant(cls, value: Any, info: ValidationInfo) -> datetime:
        tz = (info.context or {}).get("tz", UTC)
        return to_instant(value, tz)

    @field_validator("candidate_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            raise ValueError("not an e-mail address")
        return value


def _message(e: Any) -> str:
    msg = str(e["msg"])
    return msg.removeprefix("Value error, ")


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("a number is required")
    if isinstance(value, int | float):
        n = float(value)
    else:
        try:
            n = float(str(value).strip())
        except ValueError:
            raise ValueError("a number is required") from None
    if not math.isfinite(n):
        raise ValueError("a finite number is required")
    return n


def to_result(
    row: int,
    cells: tuple[Any, ...],
    layout: Layout,
    *,
    vendor: str,
    taxonomy: Taxonomy,
    tz: timezone = UTC,
    extra: dict[str, Any] | None = None,
) -> CanonicalResult | list[RowError]:
    """The row as a completed result, or every problem found in it."""

    def cell(i: int) -> Any:
        return blank_to_none(cells[i]) if i < len(cells) else None

    values = {name: cell(i) for name, i in layout.fixed.items()}
    values = {k: v for k, v in values.items() if v is not None}
    errors: list[RowError] = []
    parsed: _Row | None = None
    try:
        parsed = _Row.model_validate(values, context={"tz": tz})
    except ValidationError as exc:
        for e in exc.errors(include_url=False):
            field = str(e["loc"][0]) if e["loc"] else "row"
            errors.append(RowError(row, field, _message(e)))
    if parsed is not None:
        if not (parsed.candidate_external_id or parsed.candidate_email):
            errors.append(RowError(row, "candidate_external_id", "candidate_external_id or candidate_email required"))
        if parsed.scale_max <= parsed.scale_min:
            errors.append(RowError(row, "scale_max", "scale_max must be greater than scale_min"))
    scores: list[tuple[Column, float]] = []
    for col in layout.competencies:
        raw = cell(col.index)
        if raw is None:
            continue  # not assessed
        try:
            scores.append((col, _number(raw)))
        except ValueError as exc:
            errors.append(RowError(row, col.header, str(exc)))
    if not scores and not any(e.field in {c.header for c in layout.competencies} for e in errors):
        errors.append(RowError(row, "competencies", "at least one competency score required"))
    if errors or parsed is None:
        return errors
    lo, hi = parsed.scale_min, parsed.scale_max
    outside = "outside the row's scale (scale_min to scale_max)"
    if parsed.overall_score is not None and not lo <= parsed.overall_score <= hi:
        errors.append(RowError(row, "overall_score", outside))
    errors += [RowError(row, col.header, outside) for col, score in scores if not lo <= score <= hi]
    if errors:
        return errors
    return CanonicalResult(
        kind=EventKind.COMPLETED,
        vendor=vendor,
        vendor_result_id=parsed.result_id,
        revision=parsed.revision,
        completed_at=parsed.completed_at,
        candidate=CandidateIdentity(
            external_id=parsed.candidate_external_id, name=parsed.candidate_name, email=parsed.candidate_email
        ),
        job=JobRef(external_id=parsed.job_external_id, title=parsed.job_title, department=parsed.department),
        overall=(
            ScaledScore(score=parsed.overall_score, scale_min=lo, scale_max=hi)
            if parsed.overall_score is not None
            else None
        ),
        dimensions=tuple(
            Dimension(
                code=col.code,
                label=col.header if col.code.startswith("unmapped:") else taxonomy.label(col.code),
                score=score,
                scale_min=lo,
                scale_max=hi,
            )
            for col, score in scores
        ),
        extra=extra or {},
    )

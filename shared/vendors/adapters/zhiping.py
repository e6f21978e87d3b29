"""`zhiping` (智评): a Chinese assessment vendor, scores on 0–10, epoch milliseconds (CONTRACT §4.3).

```json
{"事件": "面试完成", "时间戳": 1763626200000,
 "面试": {"面试编号": "ZP-5", "版本": 1, "完成时间": 1763626000000,
   "候选人": {"编号": "C-9", "姓名": "张三", "手机": "13800000000"},
   "岗位": {"编号": "JOB-7", "名称": "风控分析师", "部门": "risk"},
   "维度得分": [{"维度": "沟通表达", "得分": 8.5}, {"维度": "抗压能力", "得分": 6.0}],
   "综合得分": 7.8, "百分位": 85,
   "作答": [{"题号": "1", "题目": "……", "文字稿": "……", "音频": "https://..."}]}}
```

Times: epoch milliseconds (or seconds), or ISO 8601 text; text without an offset is China
time (UTC+08:00). The vendor's percentile (百分位) is kept in `extra["percentile"]`.
Errors name the vendor's own (Chinese) fields, e.g. `面试.维度得分.0.得分`.
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
from shared.vendors.fields import ChinaInstant, VendorId

SCALE_MIN, SCALE_MAX = 0.0, 10.0

COMPLETED, UPDATED, CANCELLED = "面试完成", "面试更新", "面试取消"
_KINDS = {COMPLETED: EventKind.COMPLETED, UPDATED: EventKind.UPDATED, CANCELLED: EventKind.WITHDRAWN}


class _In(BaseModel):
    # Field names are the vendor's; validation errors report them as sent.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class Candidate(_In):
    external_id: VendorId | None = Field(default=None, alias="编号")
    name: str | None = Field(default=None, max_length=200, alias="姓名")
    phone: str | None = Field(default=None, max_length=40, alias="手机")
    email: str | None = Field(default=None, max_length=320, alias="邮箱")

    @model_validator(mode="after")
    def _identifiable(self) -> Candidate:
        if not (self.external_id or self.phone or self.email):
            raise ValueError("候选人 needs 编号, 手机 or 邮箱")
        return self


class Post(_In):
    external_id: VendorId = Field(alias="编号")
    title: str | None = Field(default=None, max_length=200, alias="名称")
    department: str | None = Field(default=None, max_length=100, alias="部门")


class DimensionScore(_In):
    label: str = Field(min_length=1, max_length=200, alias="维度")
    score: float = Field(ge=SCALE_MIN, le=SCALE_MAX, alias="得分")
    comment: str | None = Field(default=None, max_length=10_000, alias="评语")


class Reply(_In):
    question_id: VendorId = Field(alias="题号")
    question: str | None = Field(default=None, max_length=10_000, alias="题目")
    transcript: str | None = Field(default=None, max_length=200_000, alias="文字稿")
    audio: str | None = Field(default=None, max_length=4096, alias="音频")
    video: str | None = Field(default=None, max_length=4096, alias="视频")


class Interview(_In):
    result_id: VendorId = Field(alias="面试编号")
    revision: int = Field(ge=0, alias="版本")
    completed_at: ChinaInstant | None = Field(default=None, alias="完成时间")
    candidate: Candidate | None = Field(default=None, alias="候选人")
    post: Post | None = Field(default=None, alias="岗位")
    dimensions: list[DimensionScore] = Field(default_factory=list, max_length=200, alias="维度得分")
    overall: float | None = Field(default=None, ge=SCALE_MIN, le=SCALE_MAX, alias="综合得分")
    percentile: float | None = Field(default=None, ge=0, le=100, alias="百分位")
    replies: list[Reply] = Field(default_factory=list, max_length=500, alias="作答")
    report_url: str | None = Field(default=None, max_length=4096, alias="报告链接")


class ZhipingPayload(_In):
    event: Literal["面试完成", "面试更新", "面试取消"] = Field(alias="事件")
    occurred_at: ChinaInstant | None = Field(default=None, alias="时间戳")
    interview: Interview = Field(alias="面试")


def _require_complete(event: str, i: Interview) -> None:
    """A completed or updated interview carries the person, the post, the time and the scores."""
    fields = {"candidate": "候选人", "post": "岗位", "completed_at": "完成时间"}
    errors = [
        {"loc": ["面试", zh], "msg": f"Field required for {event}"} for f, zh in fields.items() if getattr(i, f) is None
    ]
    if not i.dimensions:
        errors.append({"loc": ["面试", "维度得分"], "msg": f"at least one dimension required for {event}"})
    if errors:
        raise PayloadInvalid(errors)


def _media(r: Reply) -> MediaRef | None:
    if r.video:
        return MediaRef(url=r.video)
    if r.audio:
        return MediaRef(url=r.audio)
    return None


class ZhipingAdapter(VendorAdapter):
    format_name = "zhiping"

    def to_canonical(self, vendor: str, doc: dict[str, Any]) -> CanonicalResult:
        p = ZhipingPayload.model_validate(doc)
        i = p.interview
        if p.event != CANCELLED:
            _require_complete(p.event, i)
        extra: dict[str, Any] = {"vendor_event": p.event}
        if i.percentile is not None:
            extra["percentile"] = i.percentile
        return CanonicalResult(
            kind=_KINDS[p.event],
            vendor=vendor,
            vendor_result_id=i.result_id,
            revision=i.revision,
            occurred_at=p.occurred_at,
            completed_at=i.completed_at,
            candidate=(
                CandidateIdentity(
                    external_id=i.candidate.external_id,
                    name=i.candidate.name,
                    email=i.candidate.email,
                    phone=i.candidate.phone,
                )
                if i.candidate
                else None
            ),
            job=(
                JobRef(external_id=i.post.external_id, title=i.post.title, department=i.post.department)
                if i.post
                else None
            ),
            overall=on_scale(i.overall, (SCALE_MIN, SCALE_MAX)),
            dimensions=tuple(self.labelled(d.label, d.score, (SCALE_MIN, SCALE_MAX), d.comment) for d in i.dimensions),
            answers=tuple(
                Answer(question_id=r.question_id, question=r.question, transcript=r.transcript, media=_media(r))
                for r in i.replies
            ),
            report_url=i.report_url,
            extra=extra,
        )

"""One-click export of a job's candidate list as CSV (UTF-8 with BOM) or XLSX (openpyxl).

Every text cell that a spreadsheet could take for a formula — starting with = + - @, tab or
carriage return (and their full-width forms) — is neutralised with a leading apostrophe
(CWE-1236). An export up to INLINE_MAX_BYTES is answered inline; a larger one is written to
the evidence bucket under exports/ and handed out as a presigned link valid URL_TTL_S
(≤ 15 minutes); docs/queries.md explains the threshold.
"""

from __future__ import annotations

import csv
import io
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from shared.audit.trail import AuditTrail
from shared.authz.policy import Action, Principal, authorize
from shared.errors import Unprocessable
from shared.models.domain import Job
from shared.resources import EXPORT_PREFIX
from shared.services.intake import iso
from shared.services.views import CandidateViews
from shared.storage import keys
from shared.storage.evidence import EvidenceStore
from shared.storage.jobs import JobRepository
from shared.taxonomy import default_taxonomy

Format = Literal["csv", "xlsx"]
# Lambda answers at most 6 MB and the body goes base64 (+33 %): 1 MiB inline leaves room.
INLINE_MAX_BYTES = 1024 * 1024
URL_TTL_S = 300  # the link lives 5 minutes (the contract allows 15)
MAX_ROWS = 20_000  # one API call must finish within API Gateway's 30 s
PAGE = 200

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_REC_ZH = {"hire": "推荐录用", "second_interview": "建议复试", "reject": "不推荐"}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def neutralise(value: Any) -> Any:
    """A cell value a spreadsheet shows as text, never runs: numbers pass, risky text gets a '."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(_DANGEROUS) else value


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content_type: str
    rows: int
    body: bytes | None = None  # inline
    url: str | None = None  # written to S3, presigned
    expires_in_s: int | None = None
    size: int = 0


class Exporter:
    def __init__(
        self,
        views: CandidateViews,
        jobs: JobRepository,
        evidence: EvidenceStore,
        table: Any,
        *,
        inline_max_bytes: int = INLINE_MAX_BYTES,
        url_ttl_s: int = URL_TTL_S,
        max_rows: int = MAX_ROWS,
        clock: Callable[[], float] = time.time,
        audit: AuditTrail | None = None,
    ) -> None:
        self.views, self.jobs, self.evidence, self._table = views, jobs, evidence, table
        self.audit = audit  # every candidate in an export gets an `export.included` entry
        self.inline_max_bytes, self.url_ttl_s, self.max_rows, self.clock = inline_max_bytes, url_ttl_s, max_rows, clock

    def export(
        self,
        principal: Principal,
        *,
        job_id: str,
        fmt: Format,
        mins: dict[str, float] | None = None,
        recommendation: str | None = None,
        status: str | None = None,
    ) -> ExportFile:
        authorize(principal, Action.EXPORT)
        job = Job.model_validate(self.jobs.get_item(job_id))  # 404 for an unknown job
        items = self._items(principal, job_id, mins or {}, recommendation, status)
        header, rows = self.table(job, items)
        data = to_csv(header, rows) if fmt == "csv" else to_xlsx(header, rows, title=job_id)
        stamp = iso(self.clock())[:10]
        filename = f"hirelens-{_SAFE_NAME.sub('_', job_id)[:60]}-{stamp}.{fmt}"
        export_id = uuid.uuid4().hex
        self._audit(principal, export_id, job_id, fmt, [i["candidate_id"] for i in items])
        if len(data) <= self.inline_max_bytes:
            return ExportFile(filename, CONTENT_TYPES[fmt], len(rows), body=data, size=len(data))
        key = f"{EXPORT_PREFIX}{export_id}.{fmt}"
        self.evidence.put(key, data, CONTENT_TYPES[fmt])
        self._link_candidates(export_id, key, [i["candidate_id"] for i in items])
        ttl = min(self.url_ttl_s, 900)
        url = self.evidence.presign_get(key, ttl, filename)
        return ExportFile(filename, CONTENT_TYPES[fmt], len(rows), url=url, expires_in_s=ttl, size=len(data))

    def _audit(self, principal: Principal, export_id: str, job_id: str, fmt: str, cids: list[str]) -> None:
        """Who took whose data out of the system, on each candidate's trail (before the file leaves)."""
        if self.audit is None:
            return
        for cid in dict.fromkeys(cids):
            self.audit.append(
                cid,
                "export.included",
                actor=(principal.sub, principal.role.value),
                target=export_id,
                after={"job_id": job_id, "format": fmt, "rows": len(cids)},
                sealed=False,  # ids and counts: nothing about the person
            )

    def _items(
        self, principal: Principal, job_id: str, mins: dict[str, float], recommendation: str | None, status: str | None
    ) -> list[dict[str, Any]]:
        """The same list GET /v1/candidates gives (same filters, same order), every page of it."""
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = self.views.list_candidates(
                principal,
                job_id=job_id,
                mins=mins,
                recommendation=recommendation,
                status=status,
                sort="-match_score",
                limit=PAGE,
                cursor=cursor,
            )
            items.extend(page["items"])
            if len(items) > self.max_rows:
                raise Unprocessable(f"the export has more than {self.max_rows} rows; narrow it with filters")
            cursor = page["next_cursor"]
            if not cursor:
                return items

    @staticmethod
    def table(job: Job, items: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
        tax = default_taxonomy()
        profile = [r.code for r in job.competencies] if job.profile_defined else []
        measured = sorted({c for i in items for c in i.get("scores", {}) if tax.is_known(c) and c not in profile})
        codes = [*profile, *measured]
        header = [
            "candidate_id",
            "姓名 name",
            "岗位 job_id",
            "状态 status",
            "匹配度 match_score",
            "推荐 recommendation",
            "推荐结论",
            "百分位 percentile",
            *(f"{tax.label(c, 'zh')} {c}" for c in codes),
            "已查看 viewed",
        ]
        rows = []
        for i in items:
            scores = i.get("scores", {})
            rows.append(
                [
                    i["candidate_id"],
                    i.get("name"),
                    i.get("job_id"),
                    i.get("status"),
                    i.get("match_score"),
                    i.get("recommendation"),
                    _REC_ZH.get(i.get("recommendation") or ""),
                    i.get("percentile"),
                    *(scores.get(c) for c in codes),
                    "yes" if i.get("viewed") else "no",
                ]
            )
        return header, rows

    def _link_candidates(self, export_id: str, s3_key: str, cids: list[str]) -> None:
        """Each candidate in a stored export points at it, so erasing the candidate deletes the file."""
        now = iso(self.clock())
        with self._table.batch_writer() as batch:
            for cid in dict.fromkeys(cids):
                batch.put_item(
                    Item={
                        **keys.candidate_export(cid, export_id),
                        "s3_key": s3_key,
                        "created_at": now,
                        "type": "export",
                    }
                )


def to_csv(header: list[str], rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([neutralise(h) for h in header])
    for row in rows:
        w.writerow(["" if v is None else neutralise(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(header: list[str], rows: list[list[Any]], *, title: str) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=_SAFE_NAME.sub("_", title)[:31] or "export")
    ws.append([neutralise(h) for h in header])
    for row in rows:
        ws.append([neutralise(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

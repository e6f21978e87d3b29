"""Batch import of a vendor's result file (CONTRACT §4.5; hr, hr_admin)."""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, ConfigDict, Field

from functions.api.context import principal, problems
from shared.authz.policy import Action, authorize
from shared.wiring import services

router = Router()


class NewImport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    vendor: str = Field(pattern=r"^[a-z0-9-]{2,40}$", description="A registered vendor: the results are its")
    format: Literal["csv", "xlsx"]
    filename: str = Field(min_length=1, max_length=255, description="The client's file name (not stored)")
    utc_offset: str = Field(
        default="+00:00",
        pattern=r"^(Z|[+-](0\d|1[0-4]):[0-5]\d)$",
        description="Offset for completed_at values written without one",
    )


class ImportCreated(BaseModel):
    import_id: str
    upload_url: str = Field(description="PUT the file here, with upload_headers, within 15 minutes")
    upload_headers: dict[str, str]
    upload_expires_at: str


class RowErrorOut(BaseModel):
    row: int = Field(description="Spreadsheet row number (the header is row 1; 0 is the file as a whole)")
    field: str
    message: str


class ImportStatus(BaseModel):
    import_id: str
    vendor: str
    format: str
    status: Literal["pending", "processing", "done", "failed"]
    rows_total: int
    rows_imported: int = Field(description="Valid rows, now stored (including rows_unchanged)")
    rows_rejected: int
    rows_unchanged: int = Field(description="Valid rows whose result was already stored at that revision or newer")
    errors: list[RowErrorOut] = Field(description="At most 1,000 entries; the counts are always exact")
    errors_truncated: bool
    created_at: str | None = None
    updated_at: str | None = None
    finished_at: str | None = None


@router.post(
    "/imports",
    summary="Start a batch import: returns where to upload the file",
    tags=["imports"],
    responses={201: {"description": "Created"}, **problems(422)},
)
def create_import(body: NewImport) -> Response[dict[str, Any]]:
    caller = principal(router)
    authorize(caller, Action.IMPORT)
    created = services().importer.create(
        vendor=body.vendor, fmt=body.format, created_by=caller.sub, utc_offset=body.utc_offset
    )
    return Response(
        201,
        content_type="application/json",
        body=ImportCreated(**created).model_dump(),
        headers={"Location": f"/v1/imports/{created['import_id']}"},
    )


@router.get(
    "/imports/<import_id>",
    summary="An import's progress and row errors",
    tags=["imports"],
    responses=problems(404),
)
def get_import(import_id: str) -> ImportStatus:
    authorize(principal(router), Action.IMPORT)
    status: dict[str, Any] = services().importer.status(import_id)
    return ImportStatus(**status)

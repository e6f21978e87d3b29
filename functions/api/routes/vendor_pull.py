"""Vendor settings beyond the webhook: API-pull configuration and format correction (hr_admin).

The pull credentials go to Secrets Manager and are never returned; see docs/api-pull.md.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, ConfigDict, Field, field_validator

from functions.api.context import principal, problems
from shared.authz.policy import Action, authorize
from shared.errors import NotFound, Unprocessable
from shared.observability import logger
from shared.services.intake import iso
from shared.vendors.registry import ADAPTERS
from shared.wiring import services

router = Router()

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
FORBIDDEN_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "accept"}


class BearerCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["bearer"]
    token: str = Field(min_length=1, max_length=4096)


class ApiKeyCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["api_key"]
    header: str = Field(pattern=r"^[A-Za-z0-9-]{1,64}$", description="e.g. X-Api-Key")
    value: str = Field(min_length=1, max_length=4096)

    @field_validator("header")
    @classmethod
    def _settable(cls, v: str) -> str:
        if v.lower() in FORBIDDEN_HEADERS:
            raise ValueError(f"{v} cannot carry the API key")
        return v


class PullConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    base_url: str = Field(max_length=2048, description="hirelens calls GET {base_url}/results")
    credentials: Annotated[BearerCredentials | ApiKeyCredentials, Field(discriminator="type")] | None = Field(
        default=None, description="Required the first time; left out, the stored credentials stay."
    )
    interval_minutes: int = Field(ge=1, le=7 * 24 * 60)
    enabled: bool = True
    page_size: int = Field(default=100, ge=1, le=1000)

    @field_validator("base_url")
    @classmethod
    def _url(cls, v: str) -> str:
        parts = urlsplit(v)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("an absolute https URL is required")
        if parts.scheme == "http" and parts.hostname not in LOOPBACK:
            raise ValueError("https is required (plain http only to a loopback address, for local testing)")
        if parts.username or parts.password:
            raise ValueError("credentials belong in `credentials`, never in the URL")
        if parts.query or parts.fragment:
            raise ValueError("the base URL takes no query or fragment")
        return v.rstrip("/")


class FormatChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: str = Field(min_length=1, max_length=40)


def _when(ts: Any) -> str | None:
    return iso(float(ts)) if ts is not None else None


def _public(cfg: dict[str, Any]) -> dict[str, Any]:
    credentials: dict[str, Any] = {"type": cfg["auth_type"], "configured": True}
    if cfg.get("auth_header"):
        credentials["header"] = cfg["auth_header"]
    return {
        "vendor": cfg["vendor"],
        "base_url": cfg["base_url"],
        "interval_minutes": cfg["interval_minutes"],
        "page_size": cfg.get("page_size"),
        "enabled": cfg["enabled"],
        "credentials": credentials,
        "cursor": cfg.get("cursor"),
        "pulled_total": cfg.get("pulled_total", 0),
        "last_run_at": _when(cfg.get("last_run_at")),
        "last_status": cfg.get("last_status"),
        "last_error": cfg.get("last_error"),
        "next_run_at": _when(cfg.get("next_run_at")) if cfg["enabled"] else None,
        "updated_at": _when(cfg.get("updated_at")),
    }


@router.put(
    "/vendors/<name>/pull",
    summary="Configure pulling a vendor's results API",
    tags=["vendors"],
    description="hirelens polls `GET {base_url}/results?since=<cursor>&limit=<page_size>` every "
    "`interval_minutes` (docs/api-pull.md). The credentials are kept in AWS Secrets Manager and never returned.",
    responses=problems(404, 422),
)
def configure_pull(name: str, body: PullConfig) -> dict[str, Any]:
    authorize(principal(router), Action.VENDOR_MANAGE)
    s = services()
    s.vendors.get(name)
    existing = s.pulls.get(name)
    if body.credentials is None:
        if existing is None:
            raise Unprocessable(
                "credentials are required the first time",
                errors=[{"loc": ["body", "credentials"], "msg": "required when a pull is first configured"}],
            )
        secret_name, auth_type, header = existing["secret_name"], existing["auth_type"], existing.get("auth_header")
    else:
        secret_name = s.pull_secrets.put(name, body.credentials.model_dump())
        auth_type = body.credentials.type
        header = body.credentials.header if isinstance(body.credentials, ApiKeyCredentials) else None
    cfg = s.pulls.configure(
        name,
        base_url=body.base_url,
        auth_type=auth_type,
        auth_header=header,
        secret_name=secret_name,
        interval_minutes=body.interval_minutes,
        page_size=body.page_size,
        enabled=body.enabled,
        now=time.time(),
    )
    logger.info("vendor pull configured", extra={"vendor": name, "enabled": body.enabled, "auth": auth_type})
    return _public(cfg)


@router.get(
    "/vendors/<name>/pull",
    summary="A vendor's pull configuration and last run",
    tags=["vendors"],
    responses=problems(404),
)
def get_pull(name: str) -> dict[str, Any]:
    authorize(principal(router), Action.VENDOR_MANAGE)
    cfg = services().pulls.get(name)
    if cfg is None:
        raise NotFound("no pull is configured for this vendor")
    return _public(cfg)


@router.patch(
    "/vendors/<name>",
    summary="Correct a vendor's format",
    tags=["vendors"],
    description="For a vendor registered with the wrong format: new payloads parse with the new one, "
    "and quarantined ones can be replayed (`POST /v1/ingest/quarantine/{id}/replay`).",
    responses=problems(404, 422),
)
def change_format(name: str, body: FormatChange) -> dict[str, Any]:
    authorize(principal(router), Action.VENDOR_MANAGE)
    if body.format not in ADAPTERS:
        raise Unprocessable(
            "unknown vendor format",
            errors=[{"loc": ["body", "format"], "msg": f"one of: {', '.join(sorted(ADAPTERS))}"}],
        )
    vendor = services().vendors.set_format(name, body.format, time.time())
    logger.info("vendor format changed", extra={"vendor": name, "format": body.format})
    return {"name": vendor["name"], "format": vendor["format"], "format_changed_at": _when(vendor["format_changed_at"])}

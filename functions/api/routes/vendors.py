"""Vendors and their webhook signing secrets (hr_admin)."""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, ConfigDict, Field

from functions.api.context import principal, problems
from shared.authz.policy import Action, authorize
from shared.observability import logger
from shared.storage.pagination import decode_cursor, encode_cursor
from shared.webhooks.signature import new_secret
from shared.wiring import services

router = Router()


class NewVendor(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z0-9-]{2,40}$")
    format: Literal["generic", "vidassess", "zhiping"]


class VendorCreated(BaseModel):
    name: str
    format: str
    signing_secret: str


def _public(v: dict[str, Any]) -> dict[str, Any]:
    now = time.time()
    return {
        "name": v["name"],
        "format": v["format"],
        "created_at": v.get("created_at"),
        "active_secrets": sum(1 for s in v["secrets"] if s.get("expires_at") is None or s["expires_at"] > now),
        "unmapped_labels": v.get("unmapped_labels", {}),
    }


@router.post(
    "/vendors",
    summary="Register a vendor",
    tags=["vendors"],
    responses={201: {"description": "Created"}, **problems(409, 422)},
)
def create_vendor(body: NewVendor) -> Response[dict[str, Any]]:
    authorize(principal(router), Action.VENDOR_MANAGE)
    secret = new_secret()
    services().vendors.create(body.name, body.format, secret, time.time())
    logger.info("vendor registered", extra={"vendor": body.name, "format": body.format})
    created = VendorCreated(name=body.name, format=body.format, signing_secret=secret)
    return Response(201, content_type="application/json", body=created.model_dump())


@router.post(
    "/vendors/<name>/rotate-secret",
    summary="Rotate a vendor's signing secret",
    tags=["vendors"],
    responses=problems(404),
)
def rotate_secret(name: str) -> dict[str, str]:
    authorize(principal(router), Action.VENDOR_MANAGE)
    s = services()
    secret = new_secret()
    s.vendors.rotate(name, secret, time.time(), s.settings.secret_grace_s)
    logger.info("vendor secret rotated", extra={"vendor": name})
    return {"signing_secret": secret}


@router.get("/vendors", summary="List vendors", tags=["vendors"], responses=problems(400))
def list_vendors(
    limit: Annotated[int, Query(ge=1, le=200)] = 50, cursor: Annotated[str | None, Query()] = None
) -> dict[str, Any]:
    authorize(principal(router), Action.VENDOR_MANAGE)
    items, last = services().vendors.list(limit, decode_cursor(cursor, must_match={"gsi2pk": "VENDORS"}))
    return {"items": [_public(v) for v in items], "next_cursor": encode_cursor(last)}


@router.get(
    "/vendors/<name>",
    summary="One vendor, with the unmapped labels seen",
    tags=["vendors"],
    responses=problems(404),
)
def get_vendor(name: str) -> dict[str, Any]:
    authorize(principal(router), Action.VENDOR_MANAGE)
    return _public(services().vendors.get(name))

"""Per-request helpers shared by the API routes: the caller and the read models."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from shared.authz.claims import principal_from_claims
from shared.authz.policy import Principal
from shared.http.problems import PROBLEM
from shared.services.views import CandidateViews
from shared.wiring import services


def principal(router: Router) -> Principal:
    ctx = router.current_event.raw_event.get("requestContext", {})
    claims = ((ctx.get("authorizer") or {}).get("jwt") or {}).get("claims")
    return principal_from_claims(claims)


def views() -> CandidateViews:
    return services().views


def public_origin(router: Router) -> str:
    """`scheme://host` the caller used, for absolute links to hirelens' own paths (e.g. media)."""
    headers = router.current_event.headers or {}
    host = headers.get("host") or router.current_event.raw_event.get("requestContext", {}).get("domainName", "")
    proto = headers.get("x-forwarded-proto") or ("https" if ":" not in host else "http")
    return f"{proto}://{host}" if host else ""


_PROBLEM_SCHEMA: dict[str, Any] = {
    "content": {
        PROBLEM: {
            "schema": {
                "type": "object",
                "required": ["type", "title", "status"],
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "errors": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"loc": {"type": "array", "items": {}}, "msg": {"type": "string"}},
                        },
                    },
                },
            }
        }
    },
}
PROBLEM_RESPONSE = _PROBLEM_SCHEMA  # the content of every error answer (functions/api/document.py)
_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    412: "Precondition failed",
    413: "Payload too large",
    422: "Validation failed",
    428: "Precondition required",
}


def problems(*codes: int) -> Any:
    """OpenAPI `responses` entries for the problem answers a route really gives."""
    return {c: {"description": _TITLES.get(c, "Error"), **_PROBLEM_SCHEMA} for c in (401, 403, *codes)}

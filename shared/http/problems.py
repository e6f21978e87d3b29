"""RFC 9457 problem details: the one place errors become HTTP answers."""

from __future__ import annotations

import base64
import json
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from shared.errors import HirelensError, MethodNotAllowed, UnsupportedMediaType
from shared.observability import logger

PROBLEM = "application/problem+json"
TYPE_BASE = "https://hirelens.dev/problems/"


def problem(
    status: int,
    title: str,
    detail: str,
    slug: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {"type": TYPE_BASE + slug, "title": title, "status": status, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return Response(
        status_code=status,
        content_type=PROBLEM,
        body=json.dumps(body, ensure_ascii=False),
        headers=headers or {},
    )


def _loc(loc: Any) -> list[Any]:
    return [p for p in (loc or []) if p != "body" or len(loc) == 1] or ["body"]


def install_problem_handlers(app: ApiGatewayResolver) -> None:
    @app.exception_handler(HirelensError)
    def _domain(exc: HirelensError) -> Response:
        return problem(exc.status, exc.title, exc.detail, exc.type_slug, errors=exc.errors, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    def _validation(exc: RequestValidationError) -> Response:
        errors = [{"loc": list(e.get("loc", [])), "msg": str(e.get("msg", "invalid"))} for e in exc.errors()]
        return problem(422, "Unprocessable content", "the request is not valid", "validation", errors=errors)

    @app.exception_handler(RequestUnsupportedContentType)
    def _media_type(_: RequestUnsupportedContentType) -> Response:
        return _domain(UnsupportedMediaType("the body must be application/json"))

    @app.not_found
    def _not_found(_: Exception) -> Response:
        # a path that exists answers 405 for a method it does not take, with the ones it does
        ev = app.current_event
        routes = [*app._static_routes, *app._dynamic_routes]
        allowed = sorted({r.method for r in routes if r.rule.match(ev.path)})
        if allowed and ev.http_method.upper() not in allowed:
            err = MethodNotAllowed("this resource does not take that method", headers={"Allow": ", ".join(allowed)})
            return _domain(err)
        return problem(404, "Not found", "no such resource", "not-found")

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        logger.exception("unhandled error", extra={"error_type": type(exc).__name__})
        return problem(500, "Internal error", "something went wrong on our side", "internal")


SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}


def error_response(exc: HirelensError) -> dict[str, Any]:
    """A typed error as an API Gateway response, for checks made before the resolver runs."""
    r = problem(exc.status, exc.title, exc.detail, exc.type_slug, errors=exc.errors, headers=exc.headers)
    headers = {"Content-Type": PROBLEM, **(r.headers or {})}
    return secure({"statusCode": r.status_code, "headers": headers, "body": r.body, "isBase64Encoded": False})


def raw_body(event: dict[str, Any]) -> bytes:
    """The request body exactly as sent (signatures are computed over these bytes)."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body)
    return body.encode("utf-8")


def secure(response: dict[str, Any]) -> dict[str, Any]:
    """Add the security headers to a resolved API Gateway response."""
    headers = response.setdefault("headers", {}) or {}
    for k, v in SECURITY_HEADERS.items():
        headers.setdefault(k, v)
    response["headers"] = headers
    return response

"""Typed domain errors. One exception handler (shared/http/problems.py) turns them into RFC 9457."""

from __future__ import annotations

from typing import Any


class HirelensError(Exception):
    status = 500
    title = "Internal error"
    type_slug = "internal"

    def __init__(
        self,
        detail: str = "",
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors
        self.headers = headers or {}


class BadRequest(HirelensError):
    status, title, type_slug = 400, "Bad request", "bad-request"


class Unauthorized(HirelensError):
    status, title, type_slug = 401, "Unauthorized", "unauthorized"


class Forbidden(HirelensError):
    status, title, type_slug = 403, "Forbidden", "forbidden"


class NotFound(HirelensError):
    status, title, type_slug = 404, "Not found", "not-found"


class MethodNotAllowed(HirelensError):
    status, title, type_slug = 405, "Method not allowed", "method-not-allowed"


class UnsupportedMediaType(HirelensError):
    status, title, type_slug = 415, "Unsupported media type", "unsupported-media-type"


class Conflict(HirelensError):
    status, title, type_slug = 409, "Conflict", "conflict"


class PreconditionFailed(HirelensError):
    status, title, type_slug = 412, "Precondition failed", "precondition-failed"


class PayloadTooLarge(HirelensError):
    status, title, type_slug = 413, "Payload too large", "payload-too-large"


class Unprocessable(HirelensError):
    status, title, type_slug = 422, "Unprocessable content", "validation"


class PreconditionRequired(HirelensError):
    status, title, type_slug = 428, "Precondition required", "precondition-required"


class ServiceUnavailable(HirelensError):
    status, title, type_slug = 503, "Service unavailable", "unavailable"


class StaleRevision(Exception):
    """An event carries a revision older than (or equal to) the one stored: nothing to apply."""


class CandidateErased(Exception):
    """The candidate this message is about has been erased: the message is dropped."""

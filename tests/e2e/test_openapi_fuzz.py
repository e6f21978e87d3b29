"""Schemathesis against the served /v1/openapi.json on the embedded stack: generated requests
for every operation, bounded, as an HR admin. No 5xx, and every answer — status, content type,
headers, body — is one the document declares."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import checks
from schemathesis.generation import GenerationMode

from tests.conftest import bearer

pytestmark = pytest.mark.e2e

MAX_EXAMPLES = 5  # per operation: ~45 operations stay well under two minutes


def _document() -> dict[str, Any]:
    from functions.api.app import openapi_document

    return openapi_document()


# The document as the API builds it; test_the_served_document_is_this_one proves the stack serves it.
schema = schemathesis.openapi.from_dict(_document())
schema.config.generation.update(modes=[GenerationMode.POSITIVE], max_examples=MAX_EXAMPLES)
# what the document promises: no server error; statuses, content types, headers and bodies as
# declared; a method a path does not take answers 405 (with Allow)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.unsupported_method,
]


def test_the_served_document_is_this_one(http: Any) -> None:
    r = http.get("/v1/openapi.json")
    assert r.status_code == 200
    assert r.json() == _document()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)
def test_the_api_keeps_to_its_document(case: Any, stack: Any) -> None:
    case.call_and_validate(base_url=stack.url, headers=bearer("hr_admin"), checks=CHECKS)

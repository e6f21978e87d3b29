"""The OpenAPI document says exactly what the API answers (checked by schemathesis on the
embedded stack, tests/e2e/test_openapi_fuzz.py).

Powertools documents a route's success only when the route declares no `responses`, and its
automatic 422 describes FastAPI-style errors. So, for every operation: the success answer is
declared when the route left it out; every error is `application/problem+json` (RFC 9457);
a list that takes a `cursor` may answer 400 for one that is not its own.
"""

from __future__ import annotations

import copy
from typing import Any

from functions.api.context import PROBLEM_RESPONSE
from shared.http.problems import PROBLEM

_OK = {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}


def complete(doc: dict[str, Any]) -> dict[str, Any]:
    for ops in doc.get("paths", {}).values():
        for op in ops.values():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            responses = op["responses"]
            if not any(str(code).startswith(("2", "3")) for code in responses):
                responses["200"] = copy.deepcopy(_OK)
            if any(p.get("name") == "cursor" for p in op.get("parameters", [])) and "400" not in responses:
                responses["400"] = {"description": "Bad request", **copy.deepcopy(PROBLEM_RESPONSE)}
            for code, answer in responses.items():
                if str(code)[0] in "45" and PROBLEM not in (answer.get("content") or {}):
                    answer["content"] = copy.deepcopy(PROBLEM_RESPONSE["content"])
    return doc

"""The HR API resolver: routers split by capability, errors as problem+json."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.models import Server

from functions.api import routes
from functions.api.document import complete
from shared.http.problems import install_problem_handlers
from shared.webhooks.openapi import merge_into

API_PREFIX = "/v1"

app = APIGatewayHttpResolver(enable_validation=True)
install_problem_handlers(app)
# Every module in functions/api/routes with a `router` is mounted under /v1: adding a
# capability is adding a module, with no central list to edit.
for info in sorted(pkgutil.iter_modules(routes.__path__), key=lambda m: m.name):
    module = importlib.import_module(f"{routes.__name__}.{info.name}")
    if hasattr(module, "router"):
        app.include_router(module.router, prefix=API_PREFIX)


def openapi_document() -> dict[str, Any]:
    doc = app.get_openapi_schema(
        title="hirelens",
        version="1.0.0",
        summary="One footing for every AI-interview vendor's results",
        servers=[Server(url="/")],
        security_schemes={"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},  # type: ignore[dict-item]
        security=[{"bearer": []}],
    ).model_dump(mode="json", by_alias=True, exclude_none=True)
    for path in ("/v1/health", "/v1/openapi.json", "/v1/media/{token}"):  # media: the signed token is the credential
        for op in doc.get("paths", {}).get(path, {}).values():
            op["security"] = []
    return merge_into(complete(doc))


@app.get(f"{API_PREFIX}/openapi.json", include_in_schema=True, summary="This document", tags=["meta"])
def openapi_json() -> Response[dict]:
    return Response(200, content_type="application/json", body=openapi_document())

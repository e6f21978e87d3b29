"""The webhook operation's OpenAPI description, generated from the payload models.

The intake runs in its own function (functions/ingest); the API function merges this
into the one document it serves, so integrators find everything in one place.
"""

from __future__ import annotations

from typing import Any

from shared.vendors.adapters.generic import GenericPayload


def webhook_path_item() -> dict[str, Any]:
    header = {"in": "header", "required": True, "schema": {"type": "string"}}
    problem = {"application/problem+json": {"schema": {"type": "object"}}}
    return {
        "post": {
            "tags": ["webhooks"],
            "summary": "Receive a vendor's signed result (Standard Webhooks)",
            "operationId": "receive_webhook",
            "security": [],
            "parameters": [
                {"name": "vendor", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "webhook-id", **header},
                {"name": "webhook-timestamp", **header, "description": "Unix seconds, within 5 minutes"},
                {
                    "name": "webhook-signature",
                    **header,
                    "description": "space-separated `v1,<base64 HMAC-SHA256>` over `{id}.{timestamp}.{body}`",
                },
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": GenericPayload.model_json_schema(ref_template="#/components/schemas/{model}")
                    }
                },
            },
            "responses": {
                "202": {
                    "description": "Stored durably and queued",
                    "content": {
                        "application/json": {
                            "schema": {"type": "object", "properties": {"event_id": {"type": "string"}}}
                        }
                    },
                },
                "401": {"description": "Bad, missing or stale signature", "content": problem},
                "404": {"description": "Unknown vendor", "content": problem},
                "413": {"description": "Body over 1 MiB", "content": problem},
                "422": {
                    "description": "Signed but not the vendor's format (quarantined)",
                    "content": problem,
                },
            },
        }
    }


def merge_into(doc: dict[str, Any]) -> dict[str, Any]:
    doc.setdefault("paths", {})["/v1/webhooks/{vendor}"] = webhook_path_item()
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    defs = GenericPayload.model_json_schema(ref_template="#/components/schemas/{model}").get("$defs", {})
    for name, schema in defs.items():
        schemas.setdefault(name, schema)
    body = doc["paths"]["/v1/webhooks/{vendor}"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    body.pop("$defs", None)
    return doc

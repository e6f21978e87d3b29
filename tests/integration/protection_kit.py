"""Test kit for the protection tests: the real Lambda handlers, called in-process on moto with
the events API Gateway, SQS and EventBridge would give them."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from embedded.frontdoor import build_event
from embedded.runtime import LocalContext
from shared.webhooks.signature import new_secret, signed_headers
from tests.conftest import generic_payload

ISS, AUD = "https://hirelens.local/auth", "hirelens"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def json(self) -> Any:
        return self.body


def claims_for(role: str | None, **extra: Any) -> dict[str, Any] | None:
    if role is None:
        return None
    return {"sub": extra.pop("sub", f"test-{role}"), "role": role, "iss": ISS, "aud": AUD, **extra}


def api(
    method: str,
    path: str,
    role: str | None = "hr_admin",
    *,
    body: Any = None,
    raw: bytes | None = None,
    headers: dict[str, str] | None = None,
    **claims: Any,
) -> Answer:
    """One request through functions.api.handler, as the JWT authorizer would pass it."""
    from functions.api.handler import lambda_handler

    data = raw if raw is not None else (json.dumps(body, ensure_ascii=False).encode() if body is not None else b"")
    hdrs = {"content-type": "application/json", **{k.lower(): v for k, v in (headers or {}).items()}}
    event = build_event(method, path, hdrs, data, "127.0.0.1", claims_for(role, **claims))
    out = lambda_handler(event, LocalContext("api"))
    text = out.get("body") or ""
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = text
    return Answer(int(out["statusCode"]), {k.lower(): v for k, v in (out.get("headers") or {}).items()}, parsed)


def webhook(vendor: str, secret: str, payload: Any, *, msg_id: str | None = None) -> Answer:
    from functions.ingest.webhook import lambda_handler

    raw = json.dumps(payload, ensure_ascii=False).encode()
    headers = signed_headers(secret, msg_id or f"msg_{uuid.uuid4().hex}", int(time.time()), raw)
    event = build_event(
        "POST", f"/v1/webhooks/{vendor}", {**headers, "content-type": "application/json"}, raw, "127.0.0.1", None
    )
    out = lambda_handler(event, LocalContext("webhook"))
    return Answer(int(out["statusCode"]), out.get("headers") or {}, json.loads(out.get("body") or "null"))


def _records(sqs: Any, url: str) -> list[dict[str, Any]]:
    out = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    msgs = out.get("Messages", [])
    if msgs:
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)]
        )
    return [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": {},
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:eu-central-1:123456789012:q",
            "awsRegion": "eu-central-1",
        }
        for m in msgs
    ]


def drain(services: Any, *, queues: tuple[str, ...] = ("ingest", "score")) -> list[Any]:
    """Feed what waits in the work queues to their consumers until both are empty."""
    from functions.ingest.consumer import lambda_handler as consume
    from functions.score.handler import lambda_handler as score

    handlers = {
        "ingest": (services.settings.ingest_queue_url, consume),
        "score": (services.settings.score_queue_url, score),
    }
    outcomes = []
    while True:
        moved = 0
        for name in queues:
            url, handler = handlers[name]
            recs = _records(services.sqs, url)
            if recs:
                moved += len(recs)
                outcomes.append(handler({"Records": recs}, LocalContext(name)))
        if not moved:
            return outcomes


def vendor(services: Any, name: str | None = None) -> tuple[str, str]:
    name = name or f"v{uuid.uuid4().hex[:8]}"
    secret = new_secret()
    services.vendors.create(name, "generic", secret, time.time())
    return name, secret


def ingest(services: Any, vendor_secret: tuple[str, str], *args: Any, phone: str | None = None, **kwargs: Any) -> str:
    """Post one generic result through the webhook, process it; returns the candidate id.

    Each candidate gets a phone number of their own (generic_payload's is shared, and a phone
    identifies a person), unless one is given."""
    v, s = vendor_secret
    payload = generic_payload(*args, **kwargs)
    cand = payload["data"]["candidate"]
    cand["phone"] = phone or "+86139" + str(abs(hash(cand["external_id"])) % 10**8).zfill(8)
    assert webhook(v, s, payload).status == 202
    drain(services)
    return candidate_of(services, v, payload["data"]["result_id"])


def candidate_of(services: Any, vendor_name: str, vendor_result_id: str) -> str:
    from shared.storage.candidates import result_id_for

    ptr = services.candidates.pointer(result_id_for(vendor_name, vendor_result_id))
    assert ptr and ptr.get("candidate_id"), "the result was not stored"
    return str(ptr["candidate_id"])


def result_id(vendor_name: str, vendor_result_id: str) -> str:
    from shared.storage.candidates import result_id_for

    return result_id_for(vendor_name, vendor_result_id)

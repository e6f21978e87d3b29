"""The ingest path through the real Lambda handlers on moto: webhook → S3 + SQS → consumer → DynamoDB.

Events are built the way the embedded stack builds them (API Gateway HTTP API v2 from the
front door, SQS batches from the queue poller), so these are the handlers' real inputs.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import threading
import time
import uuid
from typing import Any

import boto3
import pytest

from embedded import poller as poller_module
from embedded.frontdoor import build_event
from embedded.poller import QueuePoller
from embedded.runtime import LocalContext
from shared.crypto.encryptor import event_subject
from shared.services.intake import event_hash
from shared.storage import keys
from shared.storage.candidates import result_id_for
from shared.webhooks.signature import new_secret, signed_headers
from tests.conftest import generic_payload

NAME, EMAIL, PHONE = "欧阳娜娜", "ouyang.nana@example.com", "+8613912345678"
TRANSCRIPT = "我在上一家公司带领团队完成了风控模型的重构"
COMMENT = "表达非常清晰有条理"


class Direct:
    """A Lambda function called in the test's own thread (QueuePoller only needs name + invoke)."""

    def __init__(self, name: str, handler: Any) -> None:
        self.name, self.handler, self.invocations = name, handler, 0

    def invoke(self, event: dict[str, Any]) -> Any:
        self.invocations += 1
        return self.handler(event, LocalContext(self.name))


def webhook(vendor: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    from functions.ingest.webhook import lambda_handler

    event = build_event(
        "POST", f"/v1/webhooks/{vendor}", {**headers, "content-type": "application/json"}, body, "127.0.0.1", None
    )
    return lambda_handler(event, LocalContext("webhook"))


def api_get(path: str, role: str = "hr_admin") -> dict[str, Any]:
    from functions.api.handler import lambda_handler

    claims = {"sub": f"test-{role}", "role": role, "iss": "https://hirelens.local/auth", "aud": "hirelens"}
    return lambda_handler(build_event("GET", path, {}, b"", "127.0.0.1", claims), LocalContext("api"))


def body_of(resp: dict[str, Any]) -> Any:
    raw = resp.get("body") or ""
    if resp.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode()
    return json.loads(raw) if raw else None


def content_type(resp: dict[str, Any]) -> str:
    return {k.lower(): v for k, v in (resp.get("headers") or {}).items()}.get("content-type", "")


def payload(rid: str, cand: str, job: str = "JOB-7", **kw: Any) -> dict[str, Any]:
    kw.setdefault("name", NAME)
    doc = generic_payload(rid, cand, job, {"communication": 85, "teamwork": 70}, **kw)
    doc["data"]["candidate"].update(email=EMAIL, phone=PHONE)
    doc["data"]["answers"][0]["transcript"] = TRANSCRIPT
    doc["data"]["dimensions"][0]["comment"] = COMMENT
    return doc


def send(vendor: str, secret: str, doc: Any, *, msg_id: str | None = None, body: bytes | None = None) -> dict[str, Any]:
    raw = body if body is not None else json.dumps(doc, ensure_ascii=False).encode()
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    return webhook(vendor, signed_headers(secret, msg_id, int(time.time()), raw), raw)


class Pipeline:
    def __init__(self, aws: Any) -> None:
        from functions.ingest.consumer import lambda_handler as consumer
        from functions.score.handler import lambda_handler as score

        self.aws = aws
        self.consumer = Direct("consumer", consumer)
        self.score = Direct("score", score)
        sqs = aws.sqs
        self.ingest = QueuePoller(sqs, aws.settings.ingest_queue_url, self.consumer, 10)
        self.scorer = QueuePoller(sqs, aws.settings.score_queue_url, self.score, 10)

    def drain(self, rounds: int = 20) -> None:
        """Feed both queues to their consumers until nothing is left."""
        for _ in range(rounds):
            if self.ingest.poll_once(wait_s=0) + self.scorer.poll_once(wait_s=0) == 0:
                return
        raise AssertionError("queues did not drain")

    def vendor(self, name: str = "acme") -> str:
        secret = new_secret()
        self.aws.vendors.create(name, "generic", secret, time.time())
        return secret


@pytest.fixture
def pipe(aws: Any) -> Pipeline:
    return Pipeline(aws)


def queue_depth(aws: Any, url: str) -> int:
    attrs = aws.sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def candidate_items(aws: Any, cid: str) -> list[dict[str, Any]]:
    return aws.candidates.partition(cid)


def cid_of(aws: Any, rid: str) -> str:
    return aws.candidates.pointer(rid)["candidate_id"]


# -- the happy path ------------------------------------------------------------------------------


def test_a_signed_webhook_becomes_a_profile_with_every_result(pipe, aws):
    # Given a registered vendor
    secret = pipe.vendor()
    # When it posts a signed result
    resp = send("acme", secret, payload("R-1", "C-9"), msg_id="msg_happy")
    # Then the answer is 202 with the event id, the raw body is stored (encrypted) and one message queued
    assert resp["statusCode"] == 202 and body_of(resp) == {"event_id": "msg_happy"}
    ev = event_hash("acme", "msg_happy")
    stored = aws.evidence.get(f"raw/acme/{ev}")
    assert json.loads(aws.encryptor.decrypt_blob(event_subject(ev), "raw-body", stored))["data"]["result_id"] == "R-1"
    assert queue_depth(aws, aws.settings.ingest_queue_url) == 1
    # When the consumer runs, Then the candidate, the application and the result exist
    pipe.drain()
    rid = result_id_for("acme", "R-1")
    view, etag = aws.views.result(_hr(), rid)
    assert view["revision"] == 1 and etag == '"1.0"'
    assert view["answers"][0]["transcript"] == TRANSCRIPT
    assert {d["code"]: d["normalized"] for d in view["dimensions"]} == {"communication": 85, "teamwork": 70}
    profile = aws.views.profile(_hr(), view["candidate_id"])
    assert (profile["name"], profile["email"], profile["phone"]) == (NAME, EMAIL, PHONE)
    (app,) = profile["applications"]
    assert app["job_id"] == "JOB-7" and app["status"] == "awaiting_review"
    assert [r["result_id"] for r in app["results"]] == [rid]
    assert app["scores"] == {"communication": 85, "teamwork": 70}  # the score queue was consumed too


def _hr() -> Any:
    from shared.authz.policy import Principal, Role

    return Principal(sub="hr-1", role=Role.HR)


def test_the_same_person_from_another_vendor_joins_the_same_profile(pipe, aws):
    # Given two vendors that know the candidate by the ATS id, or only by phone (without +86)
    s1 = pipe.vendor("acme")
    s2 = pipe.vendor("other")
    send("acme", s1, payload("R-1", "C-9"))
    doc = payload("X-1", "C-9", job="JOB-8")
    doc["data"]["candidate"] = {"phone": "139 1234 5678", "name": NAME}
    send("other", s2, doc)
    pipe.drain()
    # Then both results sit in one profile
    assert cid_of(aws, result_id_for("acme", "R-1")) == cid_of(aws, result_id_for("other", "X-1"))
    profile = aws.views.profile(_hr(), cid_of(aws, result_id_for("acme", "R-1")))
    assert sorted(a["job_id"] for a in profile["applications"]) == ["JOB-7", "JOB-8"]


def test_a_candidate_known_first_by_phone_is_joined_by_the_ats_id_later(pipe, aws):
    secret = pipe.vendor()
    doc = payload("R-1", "C-9")
    doc["data"]["candidate"] = {"phone": "+86 139 1234 5678", "name": NAME}
    send("acme", secret, doc)
    pipe.drain()
    send("acme", secret, payload("R-2", "C-9", job="JOB-8"))
    pipe.drain()
    assert cid_of(aws, result_id_for("acme", "R-1")) == cid_of(aws, result_id_for("acme", "R-2"))


def test_two_people_with_different_ats_ids_are_never_merged_by_a_shared_phone(pipe, aws):
    # Given two candidates with their own ATS ids who gave the same phone number (a family phone)
    secret = pipe.vendor()
    send("acme", secret, payload("R-1", "C-9"))
    other = payload("R-2", "C-10", name="李四")
    other["data"]["candidate"]["email"] = "lisi@example.com"
    send("acme", secret, other)
    pipe.drain()
    # Then they are two profiles, each with their own name
    a, b = cid_of(aws, result_id_for("acme", "R-1")), cid_of(aws, result_id_for("acme", "R-2"))
    assert a != b
    assert aws.views.profile(_hr(), a)["name"] == NAME
    assert aws.views.profile(_hr(), b)["name"] == "李四"
    # and the phone stays the first one's identifier only
    phone = f"phone#{aws.blind.of('phone', '8613912345678')}"
    assert phone in aws.table.get_item(Key=keys.profile(a))["Item"]["idents"]
    assert phone not in aws.table.get_item(Key=keys.profile(b))["Item"]["idents"]


# -- at most once -----------------------------------------------------------------------------------


def test_a_duplicate_delivery_is_processed_once(pipe, aws):
    secret = pipe.vendor()
    doc = payload("R-1", "C-9")
    first = send("acme", secret, doc, msg_id="msg_dup")
    pipe.drain()
    # When the vendor delivers the same webhook-id again (after processing, and re-signed later)
    again = send("acme", secret, doc, msg_id="msg_dup")
    # Then it is 202 with the same id, but nothing new is queued or stored
    assert first["statusCode"] == again["statusCode"] == 202
    assert body_of(again) == {"event_id": "msg_dup"}
    assert queue_depth(aws, aws.settings.ingest_queue_url) == 0
    pipe.drain()
    cid = cid_of(aws, result_id_for("acme", "R-1"))
    evts = [i for i in candidate_items(aws, cid) if i["sk"].startswith("EVT#")]
    assert len(evts) == 1


def test_racing_duplicate_deliveries_are_queued_once(pipe, aws):
    # Given eight deliveries of one webhook-id arriving at the same instant on eight containers
    secret = pipe.vendor()
    raw = json.dumps(payload("R-1", "C-9"), ensure_ascii=False).encode()
    headers = signed_headers(secret, "msg_race", int(time.time()), raw)
    barrier = threading.Barrier(8)
    answers: list[dict[str, Any]] = []

    def deliver() -> None:
        barrier.wait()
        answers.append(webhook("acme", headers, raw))

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then every delivery is answered 202, one message is queued and one result stored
    assert [a["statusCode"] for a in answers] == [202] * 8
    assert queue_depth(aws, aws.settings.ingest_queue_url) == 1
    pipe.drain()
    assert pipe.consumer.invocations == 1
    cid = cid_of(aws, result_id_for("acme", "R-1"))
    assert len([i for i in candidate_items(aws, cid) if i["sk"].startswith(("RES#", "EVT#"))]) == 2


def test_a_message_delivered_twice_by_sqs_is_applied_once(pipe, aws):
    # Given SQS handing the consumer the same message twice (at-least-once delivery)
    secret = pipe.vendor()
    send("acme", secret, payload("R-1", "C-9"), msg_id="msg_twice")
    msg = aws.sqs.receive_message(QueueUrl=aws.settings.ingest_queue_url)["Messages"][0]
    aws.sqs.delete_message(QueueUrl=aws.settings.ingest_queue_url, ReceiptHandle=msg["ReceiptHandle"])
    for _ in range(2):
        aws.sqs.send_message(QueueUrl=aws.settings.ingest_queue_url, MessageBody=msg["Body"])
    pipe.ingest.poll_once(wait_s=0)
    # Then one rescoring was asked for, and the idempotency record says it completed
    assert queue_depth(aws, aws.settings.score_queue_url) == 1
    records = _stored(aws, aws.settings.idempotency_table_name)
    assert len(records) == 1 and records[0]["status"] == {"S": "COMPLETED"}


def test_a_failed_store_releases_the_claim_so_the_retry_succeeds(pipe, aws, monkeypatch):
    # Given S3 failing once while the body is being stored
    secret = pipe.vendor()
    real_put = aws.evidence.put
    calls = {"n": 0}

    def flaky(*a: Any, **kw: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("S3 unavailable")
        real_put(*a, **kw)

    monkeypatch.setattr(aws.evidence, "put", flaky)
    doc = payload("R-1", "C-9")
    # When the first delivery fails, Then it is a 500 (the vendor retries) and nothing is queued
    first = send("acme", secret, doc, msg_id="msg_flaky")
    assert first["statusCode"] == 500 and "application/problem+json" in content_type(first)
    assert "S3 unavailable" not in json.dumps(body_of(first))
    assert queue_depth(aws, aws.settings.ingest_queue_url) == 0
    # When the vendor retries the same id, Then it is accepted and processed
    assert send("acme", secret, doc, msg_id="msg_flaky")["statusCode"] == 202
    pipe.drain()
    assert aws.candidates.pointer(result_id_for("acme", "R-1"))["revision"] == 1


# -- revisions and withdrawal ---------------------------------------------------------------------


def _dims(aws: Any, rid: str) -> dict[str, float]:
    return {d["code"]: d["score"] for d in aws.candidates.get_result(rid)["dimensions"]}


def test_out_of_order_revisions_keep_the_highest(pipe, aws):
    secret = pipe.vendor()
    rid = result_id_for("acme", "R-1")
    rev1 = payload("R-1", "C-9", revision=1)
    rev2 = payload("R-1", "C-9", revision=2, kind="interview.result.updated")
    rev2["data"]["dimensions"][0]["score"] = 95
    # When revision 2 arrives and is processed before revision 1
    send("acme", secret, rev2)
    pipe.drain()
    send("acme", secret, rev1)
    pipe.drain()
    # Then revision 2 is what is stored
    assert aws.candidates.get_result(rid)["revision"] == 2
    assert _dims(aws, rid)["communication"] == 95
    assert aws.candidates.pointer(rid)["revision"] == 2


def test_out_of_order_revisions_in_one_batch_keep_the_highest(pipe, aws):
    secret = pipe.vendor()
    rid = result_id_for("acme", "R-1")
    docs = []
    for rev in (3, 1, 2):
        d = payload("R-1", "C-9", revision=rev)
        d["data"]["dimensions"][0]["score"] = 60 + rev
        docs.append(d)
    for d in docs:
        send("acme", secret, d)
    pipe.drain()
    assert aws.candidates.get_result(rid)["revision"] == 3
    assert _dims(aws, rid)["communication"] == 63


def test_a_newer_revision_replaces_an_older_one(pipe, aws):
    secret = pipe.vendor()
    rid = result_id_for("acme", "R-1")
    send("acme", secret, payload("R-1", "C-9", revision=1))
    pipe.drain()
    rev2 = payload("R-1", "C-9", revision=2, kind="interview.result.updated")
    rev2["data"]["dimensions"][0]["score"] = 40
    send("acme", secret, rev2)
    pipe.drain()
    assert _dims(aws, rid)["communication"] == 40
    view, etag = aws.views.result(_hr(), rid)
    assert etag.startswith('"2.') and [r["revision"] for r in view["revisions"]] == [1, 2]


def _withdrawal(rid: str, revision: int) -> dict[str, Any]:
    return {
        "type": "interview.result.withdrawn",
        "occurred_at": "2026-11-21T08:00:00Z",
        "data": {"result_id": rid, "revision": revision},
    }


def test_a_withdrawn_result_is_marked_and_leaves_the_inbox(pipe, aws):
    secret = pipe.vendor()
    rid = result_id_for("acme", "R-1")
    send("acme", secret, payload("R-1", "C-9", revision=1))
    pipe.drain()
    assert "gsi3pk" in aws.candidates.get_result(rid)
    # When the vendor withdraws it
    send("acme", secret, _withdrawal("R-1", 2))
    pipe.drain()
    # Then it is withdrawn, out of the inbox, and a late revision 1 does not bring it back
    stored = aws.candidates.get_result(rid)
    assert stored["status"] == "withdrawn" and stored["revision"] == 2 and "gsi3pk" not in stored
    send("acme", secret, payload("R-1", "C-9", revision=1))
    pipe.drain()
    assert aws.candidates.get_result(rid)["status"] == "withdrawn"
    assert aws.candidates.pointer(rid)["withdrawn"] is True


def test_a_withdrawal_arriving_before_the_result_wins(pipe, aws):
    secret = pipe.vendor()
    rid = result_id_for("acme", "R-1")
    # When the withdrawal (revision 2) is processed before the result it withdraws (revision 1)
    send("acme", secret, _withdrawal("R-1", 2))
    pipe.drain()
    send("acme", secret, payload("R-1", "C-9", revision=1))
    pipe.drain()
    # Then no result and no candidate was created from the withdrawn one
    ptr = aws.candidates.pointer(rid)
    assert ptr["withdrawn"] is True and ptr["revision"] == 2 and not ptr.get("candidate_id")
    ext = aws.blind.of("ext", "C-9")
    assert "Item" not in aws.table.get_item(Key=keys.identity("ext", ext))
    # and a later, higher revision of it is stored again
    send("acme", secret, payload("R-1", "C-9", revision=3, kind="interview.result.updated"))
    pipe.drain()
    assert aws.candidates.get_result(rid)["revision"] == 3


# -- poison messages ---------------------------------------------------------------------------------


def test_a_poison_message_reaches_the_dlq_after_five_receives_and_spares_the_batch(pipe, aws, monkeypatch):
    # Given a message whose stored body has vanished, queued beside a good one
    monkeypatch.setattr(poller_module, "RETRY_DELAY_S", 0)
    secret = pipe.vendor()
    url = aws.settings.ingest_queue_url
    poison = {
        "kind": "event",
        "vendor": "acme",
        "event_id": "msg_gone",
        "event_hash": "0" * 32,
        "s3_key": "raw/acme/missing",
        "received_at": "2026-11-20T08:30:00Z",
    }
    aws.sqs.send_message(QueueUrl=url, MessageBody=json.dumps(poison))
    send("acme", secret, payload("R-1", "C-9"))
    # When the poller keeps feeding the consumer
    for _ in range(12):
        pipe.ingest.poll_once(wait_s=0)
        pipe.scorer.poll_once(wait_s=0)
    # Then the good message was processed at once, and the poison one sits in the DLQ with its body intact
    assert aws.candidates.pointer(result_id_for("acme", "R-1"))["revision"] == 1
    dlq_url = aws.sqs.get_queue_url(QueueName=url.rsplit("/", 1)[-1] + "-dlq")["QueueUrl"]
    dead = aws.sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    assert [json.loads(m["Body"]) for m in dead] == [poison]
    assert int(dead[0]["Attributes"]["ApproximateReceiveCount"]) >= 5
    assert queue_depth(aws, url) == 0
    # and the consumer saw it exactly five times (max receive count), the good one once
    assert pipe.consumer.invocations == 5


def test_a_message_that_is_not_json_fails_alone(pipe, aws):
    url = aws.settings.ingest_queue_url
    aws.sqs.send_message(QueueUrl=url, MessageBody="{not json")
    secret = pipe.vendor()
    send("acme", secret, payload("R-1", "C-9"))
    messages = aws.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    assert len(messages) == 2
    result = pipe.consumer.invoke({"Records": pipe.ingest._records(messages)})
    bad = next(m["MessageId"] for m in messages if m["Body"] == "{not json")
    assert result["batchItemFailures"] == [{"itemIdentifier": bad}]


# -- nothing personal in clear, anywhere --------------------------------------------------------------


def _stored(aws: Any, table_name: str) -> list[dict[str, Any]]:
    """Every item of a table as moto holds it at rest (typed JSON), read from its storage:
    no API call, so no request path is involved and nothing can filter what is there."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][aws.settings.region].get_table(table_name)
    return [item.to_json()["Attributes"] for item in table.all_items()]


def _raw_items(aws: Any, table_name: str) -> str:
    items = _stored(aws, table_name)
    assert items, f"{table_name} is empty: nothing was checked"
    return json.dumps(items, ensure_ascii=False, default=str)


def _all_objects(aws: Any) -> list[bytes]:
    bucket = aws.settings.evidence_bucket
    keys_ = [o["Key"] for o in aws.s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return [aws.s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys_]


PERSONAL = [NAME, EMAIL, PHONE, "13912345678", TRANSCRIPT, COMMENT, "ouyang"]


def _assert_no_personal(text: str, secrets: list[str] = ()) -> None:
    lowered = text.lower()
    for value in PERSONAL:
        assert value.lower() not in lowered, f"{value!r} stored in clear"
        assert json.dumps(value).strip('"').lower() not in lowered, f"{value!r} stored in clear (escaped)"
    for s in secrets:
        assert s not in text and s.removeprefix("whsec_") not in text, "vendor secret stored in clear"


def test_personal_data_is_ciphertext_at_rest(pipe, aws):
    # Given a result with name, email, phone, transcript and comment, processed and also quarantined once
    secret = pipe.vendor()
    send("acme", secret, payload("R-1", "C-9"))
    bad = payload("R-2", "C-9")
    bad["data"]["revision"] = "not a number"
    assert send("acme", secret, bad)["statusCode"] == 422
    pipe.drain()
    rid = result_id_for("acme", "R-1")
    cid = cid_of(aws, rid)
    # When the raw items are read: profile, application, result, and everything else in every table
    client = boto3.client("dynamodb", region_name=aws.settings.region)
    for key in (keys.profile(cid), keys.application(cid, "JOB-7"), keys.result(cid, rid)):
        raw = client.get_item(TableName=aws.settings.table_name, Key={k: {"S": v} for k, v in key.items()})["Item"]
        serialized = json.dumps(raw, ensure_ascii=False)
        # Then the item exists and holds the personal fields only as ciphertext
        assert "e1:" in serialized
        _assert_no_personal(serialized)
    profile = client.get_item(
        TableName=aws.settings.table_name, Key={"pk": {"S": f"CAND#{cid}"}, "sk": {"S": "PROFILE"}}
    )
    assert {"name_enc", "email_enc", "phone_enc"} <= set(profile["Item"])
    for table in (aws.settings.table_name, aws.settings.keys_table_name, aws.settings.idempotency_table_name):
        _assert_no_personal(_raw_items(aws, table), [secret])
    # and the raw and quarantined bodies in S3 are ciphertext too
    objects = _all_objects(aws)
    assert len(objects) == 2
    for blob in objects:
        _assert_no_personal(blob.decode("latin-1"))
        assert NAME.encode() not in blob and EMAIL.encode() not in blob and TRANSCRIPT.encode() not in blob
    # while the API still shows them to HR
    view, _ = aws.views.result(_hr(), rid)
    assert view["answers"][0]["transcript"] == TRANSCRIPT and view["dimensions"][0]["comment"] == COMMENT


def test_queue_messages_and_logs_carry_no_personal_data(pipe, aws):
    from shared.observability import logger

    # Given every log record captured, at the most verbose level, formatted as in Lambda
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    std = logging.getLogger(logger.name)
    std.addHandler(handler)
    level = std.level
    std.setLevel(logging.DEBUG)
    try:
        # When a result is delivered, queued, processed, refused once and read
        secret = pipe.vendor()
        send("acme", secret, payload("R-1", "C-9"))
        msgs = aws.sqs.receive_message(QueueUrl=aws.settings.ingest_queue_url, VisibilityTimeout=0)["Messages"]
        _assert_no_personal(json.dumps([m["Body"] for m in msgs], ensure_ascii=False), [secret])
        bad = payload("R-2", "C-9")
        bad["data"]["dimensions"][0]["score"] = "high"
        send("acme", secret, bad)
        pipe.drain()
        aws.views.result(_hr(), result_id_for("acme", "R-1"))
    finally:
        std.removeHandler(handler)
        std.setLevel(level)
    # Then the logs say what happened, and nothing about whom
    logs = stream.getvalue()
    assert "result stored" in logs and "payload quarantined" in logs
    _assert_no_personal(logs, [secret])


def test_the_vendor_secret_is_never_stored_in_clear(pipe, aws):
    secret = pipe.vendor()
    send("acme", secret, payload("R-1", "C-9"))
    pipe.drain()
    _assert_no_personal(_raw_items(aws, aws.settings.table_name), [secret])
    _assert_no_personal(_raw_items(aws, aws.settings.keys_table_name), [secret])


# -- refused deliveries ----------------------------------------------------------------------------------


def test_a_signed_but_invalid_body_is_422_and_quarantined(pipe, aws):
    secret = pipe.vendor()
    bad = payload("R-1", "C-9")
    bad["data"]["revision"] = "two"
    bad["data"]["dimensions"][0]["score"] = "high"
    raw = json.dumps(bad, ensure_ascii=False).encode()
    # When it is delivered (twice, as vendors retry)
    first = send("acme", secret, None, msg_id="msg_bad", body=raw)
    again = send("acme", secret, None, msg_id="msg_bad", body=raw)
    # Then both answers are 422 problem+json naming the fields
    for resp in (first, again):
        assert resp["statusCode"] == 422 and content_type(resp).startswith("application/problem+json")
        problem = body_of(resp)
        assert problem["status"] == 422 and problem["title"] and problem["type"]
        locs = [tuple(e["loc"]) for e in problem["errors"]]
        assert ("data", "revision") in locs and ("data", "dimensions", 0, "score") in locs
    # and nothing was queued, and the quarantine lists one item whose body is kept (encrypted)
    assert queue_depth(aws, aws.settings.ingest_queue_url) == 0
    listing = api_get("/v1/ingest/quarantine")
    assert listing["statusCode"] == 200
    (item,) = body_of(listing)["items"]
    assert item["event_id"] == "msg_bad" and item["vendor"] == "acme" and item["id"] and item["received_at"]
    assert {tuple(e["loc"]) for e in item["errors"]} == set(locs)
    stored = aws.quarantine.get(item["id"])
    ev = event_hash("acme", "msg_bad")
    assert aws.encryptor.decrypt_blob(event_subject(ev), "raw-body", aws.evidence.get(stored["s3_key"])) == raw


def test_the_quarantine_is_for_hr_admin_only(aws):
    assert api_get("/v1/ingest/quarantine", role="hr")["statusCode"] == 403


def test_bodies_that_are_not_json_objects_are_quarantined(pipe, aws):
    secret = pipe.vendor()
    bodies = [b"not json at all", b"[1,2]", b'{"type": "interview.result.completed"}', b"\xff\xfe"]
    for raw in bodies:
        resp = send("acme", secret, None, body=raw)
        assert resp["statusCode"] == 422 and body_of(resp)["errors"], raw
    assert len(aws.quarantine.list(10, None)[0]) == len(bodies)


def test_unsigned_or_badly_signed_deliveries_store_nothing(pipe, aws):
    secret = pipe.vendor()
    raw = json.dumps(payload("R-1", "C-9"), ensure_ascii=False).encode()
    good = signed_headers(secret, "msg_x", int(time.time()), raw)
    cases = [
        {},
        {
            **good,
            "webhook-signature": signed_headers(new_secret(), "msg_x", int(time.time()), raw)["webhook-signature"],
        },
        signed_headers(secret, "msg_x", int(time.time()) - 301, raw),
        {k: v for k, v in good.items() if k != "webhook-timestamp"},
    ]
    for headers in cases:
        resp = webhook("acme", headers, raw)
        assert resp["statusCode"] == 401 and content_type(resp).startswith("application/problem+json")
        assert "signature" not in json.dumps(resp.get("headers") or {}).lower()
    # Then nothing was stored, queued or claimed: the same id, correctly signed, still goes through
    assert _all_objects(aws) == []
    assert queue_depth(aws, aws.settings.ingest_queue_url) == 0
    assert webhook("acme", good, raw)["statusCode"] == 202


def test_unknown_vendor_and_oversized_bodies(pipe, aws):
    secret = pipe.vendor()
    raw = json.dumps(payload("R-1", "C-9")).encode()
    assert webhook("nobody", signed_headers(secret, "m1", int(time.time()), raw), raw)["statusCode"] == 404
    big = b'{"pad": "' + b"x" * (1024 * 1024) + b'"}'
    resp = webhook("acme", signed_headers(secret, "m2", int(time.time()), big), big)
    assert resp["statusCode"] == 413 and content_type(resp).startswith("application/problem+json")
    exactly = b"{" + b" " * (1024 * 1024 - 2) + b"}"
    assert webhook("acme", signed_headers(secret, "m3", int(time.time()), exactly), exactly)["statusCode"] == 422
    assert _all_objects(aws) and all(len(b) < 2 * 1024 * 1024 for b in _all_objects(aws))

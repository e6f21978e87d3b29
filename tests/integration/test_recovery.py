"""Recovery: quarantined payloads replayed after a fix, dead-lettered messages redriven."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from embedded.runtime import LocalContext
from shared.errors import NotFound, Unprocessable
from shared.services.intake import event_hash
from shared.storage.candidates import result_id_for
from shared.vendors.adapters.generic import GenericAdapter
from shared.vendors.registry import ADAPTERS
from shared.webhooks.signature import new_secret, signed_headers
from tests.conftest import generic_payload, unique


def register(s: Any, fmt: str = "generic") -> tuple[str, str]:
    name, secret = unique("rv"), new_secret()
    s.vendors.create(name, fmt, secret, time.time())
    return name, secret


def deliver(s: Any, vendor: str, secret: str, payload: Any, msg_id: str | None = None) -> Any:
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = signed_headers(secret, msg_id or unique("msg_"), int(time.time()), body)
    return s.intake.accept(vendor, headers, body)


def quarantined(s: Any, vendor: str) -> list[dict[str, Any]]:
    items, _ = s.quarantine.list(200, None)
    return [i for i in items if i["vendor"] == vendor]


def drain(s: Any, url: str | None = None) -> list[str]:
    url = url or s.settings.ingest_queue_url
    outcomes = []
    while msgs := s.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for m in msgs:
            outcomes.append(s.processor.handle_event(json.loads(m["Body"])))
            s.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return outcomes


class GenericV2(GenericAdapter):
    """A new version of the generic adapter: it understands the vendor's new `scored` event type."""

    def to_canonical(self, vendor: str, doc: dict[str, Any]) -> Any:
        if doc.get("type") == "interview.result.scored":
            doc = {**doc, "type": "interview.result.completed"}
        return super().to_canonical(vendor, doc)


def test_replay_after_a_new_adapter_version(aws, monkeypatch):
    s = aws
    # Given a vendor that started sending an event type hirelens did not know yet
    vendor, secret = register(s)
    job = unique("JOB-")
    payload = generic_payload("R-1", "C-1", job, {"communication": 85}, kind="interview.result.scored")
    with pytest.raises(Unprocessable):
        deliver(s, vendor, secret, payload, msg_id="msg_scored_1")
    [item] = quarantined(s, vendor)
    # When it is replayed before any fix, it stays, with the errors of today's format
    with pytest.raises(Unprocessable) as err:
        s.replay.replay(item["id"])
    assert any(e["loc"][-1] == "type" for e in err.value.errors or [])
    assert s.quarantine.get(item["id"])["replay_attempts"] == 1
    assert drain(s) == []
    # When the adapter's new version ships and it is replayed
    monkeypatch.setitem(ADAPTERS, "generic", GenericV2)
    answer = s.replay.replay(item["id"])
    # Then it is queued, leaves the quarantine list, and lands in the profile
    assert answer == {"id": item["id"], "event_id": "msg_scored_1", "vendor": vendor, "status": "queued"}
    assert quarantined(s, vendor) == []
    assert drain(s) == ["applied"]
    result = s.candidates.get_result(result_id_for(vendor, "R-1"))
    assert result["dimensions"][0]["normalized"] == 85
    # And the vendor's retry of the same delivery is a duplicate, not a second result
    assert deliver(s, vendor, secret, payload, msg_id="msg_scored_1").duplicate is True
    assert drain(s) == []
    # And the item cannot be replayed twice
    with pytest.raises(NotFound):
        s.replay.replay(item["id"])


def test_replay_after_correcting_a_vendor_registered_with_the_wrong_format(aws):
    if "vidassess" not in ADAPTERS:  # pragma: no cover - the vidassess adapter ships with issue 4 part 1
        pytest.skip("vidassess adapter not registered")
    s = aws
    # Given a vidassess vendor registered as `generic` by mistake: its payloads are quarantined
    vendor, secret = register(s, "generic")
    job = unique("JOB-")
    payload = {
        "event": "assessment.scored",
        "event_time": 1763626200,
        "assessment": {
            "id": "VA-77",
            "version": 3,
            "finished": "2026-11-20T08:20:00+08:00",
            "applicant": {"ref": "C-9", "full_name": "Zhang San", "contact": {"email": "zs@example.com"}},
            "requisition": {"code": job, "name": "Risk Analyst", "org_unit": "risk"},
            "competencies": [{"name": "Communication Skills", "rating": 4.5}],
            "overall_rating": 4.1,
        },
    }
    with pytest.raises(Unprocessable):
        deliver(s, vendor, secret, payload)
    [item] = quarantined(s, vendor)
    # When the admin corrects the format and replays
    s.vendors.set_format(vendor, "vidassess", time.time())
    s.replay.replay(item["id"])
    # Then the result is there, on the vendor's own scale
    assert drain(s) == ["applied"]
    result = s.candidates.get_result(result_id_for(vendor, "VA-77"))
    assert result["revision"] == 3
    assert result["dimensions"][0]["code"] == "communication"
    assert result["dimensions"][0]["normalized"] == 87.5


def test_a_replayed_pull_item_keeps_its_source(aws, monkeypatch):
    s = aws
    vendor, _ = register(s)
    body = json.dumps(generic_payload("R-9", "C-9", unique("J"), {"teamwork": 60}, kind="interview.result.scored"))
    ev = event_hash(vendor, "pull:sha256:abc")
    s.events.claim(vendor, ev, time.time())
    with pytest.raises(Unprocessable):
        s.intake.store(s.vendors.get(vendor), "pull:sha256:abc", ev, body.encode(), time.time(), source="pull")
    [item] = quarantined(s, vendor)
    assert item["source"] == "pull"
    monkeypatch.setitem(ADAPTERS, "generic", GenericV2)
    s.replay.replay(item["id"])
    assert drain(s) == ["applied"]
    assert s.candidates.get_result(result_id_for(vendor, "R-9"))["source"] == "pull"


def test_replay_of_an_unknown_item_is_404(aws):
    with pytest.raises(NotFound):
        aws.replay.replay("nope")


# --- DLQ redrive ----------------------------------------------------------------------------------


def dlq_count(s: Any, queue: str) -> int:
    return next(c["messages"] for c in s.redriver.counts() if c["queue"] == queue)


def test_the_redriver_knows_every_work_queue_and_finds_each_dlq(aws):
    from shared.resources import QUEUES

    assert set(aws.redriver.queues) == {spec.logical_id.lower() for spec in QUEUES.values()}
    for name in aws.redriver.queues:
        assert aws.redriver.dlq_url(name).endswith(f"hirelens-{name}-dlq")


def test_redrive_moves_messages_back_at_most_max_with_their_attributes(aws):
    s = aws
    dlq = s.redriver.dlq_url("score")
    for i in range(3):
        s.sqs.send_message(
            QueueUrl=dlq,
            MessageBody=json.dumps({"n": i}),
            MessageAttributes={"origin": {"DataType": "String", "StringValue": "test"}},
        )
    assert dlq_count(s, "score") == 3
    # When two are redriven
    assert s.redriver.redrive("score", 2) == {"score": 2}
    # Then two are back in the work queue, with their attributes, and one is left
    assert dlq_count(s, "score") == 1
    back = s.sqs.receive_message(
        QueueUrl=s.settings.score_queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )["Messages"]
    assert len(back) == 2
    assert all(m["MessageAttributes"]["origin"]["StringValue"] == "test" for m in back)
    assert {json.loads(m["Body"])["n"] for m in back} < {0, 1, 2}
    # And without a limit, the rest goes
    assert s.redriver.redrive("score") == {"score": 1}
    assert dlq_count(s, "score") == 0


def test_redrive_of_every_queue_and_of_an_unknown_one(aws):
    assert aws.redriver.redrive() == {name: 0 for name in aws.redriver.queues}
    with pytest.raises(NotFound):
        aws.redriver.redrive("nope")


def test_a_message_that_failed_five_times_is_redriven_after_the_fix_and_processed(aws):
    s = aws
    # Given an event stored and queued for a vendor whose registration was lost (a poison message)
    vendor, secret = register(s)
    job = unique("JOB-")
    deliver(s, vendor, secret, generic_payload("R-5", "C-5", job, {"communication": 70}))
    fmt = s.vendors.get(vendor)
    s.table.delete_item(Key={"pk": f"VENDOR#{vendor}", "sk": "VENDOR"})
    # When the consumer fails on it five times (SQS redrive policy: maxReceiveCount 5)
    url = s.settings.ingest_queue_url
    for _ in range(6):
        for m in s.sqs.receive_message(QueueUrl=url, VisibilityTimeout=0).get("Messages", []):
            with pytest.raises(NotFound):
                s.processor.handle_event(json.loads(m["Body"]))
    # Then it sits in the ingest DLQ
    assert dlq_count(s, "ingest") == 1
    # When the vendor is restored and the DLQ redriven
    s.vendors.create(vendor, fmt["format"], secret, time.time())
    from functions.ingest.redrive import lambda_handler

    assert lambda_handler({"queue": "ingest", "max": 10}, LocalContext("redrive")) == {"moved": {"ingest": 1}}
    # Then it is processed like any message
    assert drain(s) == ["applied"]
    assert s.candidates.get_result(result_id_for(vendor, "R-5"))["job_id"] == job
    assert dlq_count(s, "ingest") == 0

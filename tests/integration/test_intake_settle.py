"""A duplicate that races the first delivery gets 202 only once the event is safely queued."""

import json
import time

import pytest

from shared.errors import ServiceUnavailable
from shared.services.intake import event_hash
from shared.webhooks.signature import new_secret, signed_headers


def _deliver(aws, msg_id: str):
    secret = new_secret()
    aws.vendors.create("acme", "generic", secret, time.time())
    body = json.dumps(
        {
            "type": "interview.result.withdrawn",
            "occurred_at": "2026-11-20T08:30:00Z",
            "data": {"result_id": "R-1", "revision": 2},
        }
    ).encode()
    return signed_headers(secret, msg_id, int(time.time()), body), body


def test_duplicate_while_first_is_storing_is_503_not_202(aws):
    # Given a first delivery that claimed the event and has not stored it yet
    headers, body = _deliver(aws, "msg_slow")
    assert aws.events.claim("acme", event_hash("acme", "msg_slow"), time.time()).state == "new"
    intake = aws.intake
    intake.sleep = lambda _s: None
    # When the vendor's duplicate arrives and the first never finishes
    with pytest.raises(ServiceUnavailable) as err:
        intake.accept("acme", headers, body)
    # Then it is told to retry, nothing is queued on its behalf
    assert err.value.status == 503 and err.value.headers["Retry-After"] == "5"
    q = aws.sqs.get_queue_attributes(QueueUrl=aws.settings.ingest_queue_url, AttributeNames=["All"])
    assert q["Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_duplicate_after_first_is_queued_is_202(aws):
    # Given a first delivery that finishes while the duplicate waits
    headers, body = _deliver(aws, "msg_ok")
    ev = event_hash("acme", "msg_ok")
    aws.events.claim("acme", ev, time.time())
    intake = aws.intake
    intake.sleep = lambda _s: aws.events.mark("acme", ev, "queued")
    # When the duplicate arrives
    accepted = intake.accept("acme", headers, body)
    # Then it is accepted as a duplicate
    assert accepted.duplicate and accepted.event_id == "msg_ok"

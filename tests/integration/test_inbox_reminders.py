"""The inbox (oldest first, per scope, per person for interviewers) and reminders with an injected
clock: sent once, not repeated, not sent once viewed; expiring results reminded of too."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from shared.authz.policy import Principal, Role
from shared.errors import Forbidden
from shared.notify.models import ChannelIn
from shared.services.reminders import Reminders, retention_expiry
from tests.integration.process_support import seed
from tests.receivers import Receiver

HR = Principal(sub="hr-1", role=Role.HR)
DAY = 86400.0


def test_hr_inbox_spans_departments_oldest_first_with_age(aws: Any) -> None:
    now = time.time()
    job_a, job_b = "JOB-a", "JOB-b"
    c1, r1 = seed(aws, job_a, {"communication": 70}, department="risk", received_at=now - 3 * DAY)
    _c2, r2 = seed(aws, job_b, {"communication": 70}, department="sales", received_at=now - 5 * 3600)
    _c3, r3 = seed(aws, job_a, {"communication": 70}, department="risk", received_at=now - 60)
    page = aws.inbox.page(HR, limit=2, cursor=None)
    assert [i["result_id"] for i in page["items"]] == [r1, r2]
    first = page["items"][0]
    assert first["kind"] == "result" and first["candidate_id"] == c1 and first["name"] == "张三"
    assert 3 * DAY - 120 <= first["age_s"] <= 3 * DAY + 120 and first["age"] == "3 days"
    assert page["items"][1]["age"] == "5 hours" and page["items"][1]["department"] == "sales"
    rest = aws.inbox.page(HR, limit=2, cursor=page["next_cursor"])
    assert [i["result_id"] for i in rest["items"]] == [r3] and rest["next_cursor"] is None
    # opening a result takes it out of every inbox
    aws.views.result(HR, r1)
    assert [i["result_id"] for i in aws.inbox.page(HR, limit=10, cursor=None)["items"]] == [r2, r3]
    with pytest.raises(Forbidden):
        aws.inbox.page(Principal("f", Role.FINANCE), limit=10, cursor=None)


def test_interviewer_inbox_is_own_department_and_per_person(aws: Any) -> None:
    job = "JOB-iv"
    cid, rid = seed(aws, job, {"communication": 70}, department="risk")
    seed(aws, "JOB-other", {"communication": 70}, department="sales")
    alice = Principal("alice", Role.INTERVIEWER, department="risk")
    bob = Principal("bob", Role.INTERVIEWER, department="risk")
    # only their department's waiting result
    assert [(i["kind"], i["result_id"]) for i in aws.inbox.page(alice, limit=10, cursor=None)["items"]] == [
        ("result", rid)
    ]
    aws.views.result(HR, rid)  # HR reviewed it
    aws.workflow.decide(HR, cid, job, "second_interview", None)
    # the second interview waits for each interviewer until they open the candidate's result
    for who in (alice, bob):
        items = aws.inbox.page(who, limit=10, cursor=None)["items"]
        assert [(i["kind"], i["candidate_id"]) for i in items] == [("second_interview", cid)]
    aws.views.result(alice, rid)
    assert aws.inbox.page(alice, limit=10, cursor=None)["items"] == []
    assert len(aws.inbox.page(bob, limit=10, cursor=None)["items"]) == 1
    # once decided further it leaves every interviewer's inbox
    aws.workflow.decide(HR, cid, job, "offer", None)
    assert aws.inbox.page(bob, limit=10, cursor=None)["items"] == []


def reminders(aws: Any, clock: list[float], **kw: Any) -> Reminders:
    settings = {"after_s": int(3 * DAY), "repeat_s": 0, "warning_s": int(7 * DAY), **kw}
    return Reminders(
        table=aws.table,
        departments=aws.departments,
        candidates=aws.candidates,
        notifier=aws.notifier,
        expires_at=retention_expiry(aws.candidates, aws.company.retention),
        clock=lambda: clock[0],
        **settings,
    )


def test_unviewed_reminder_sent_once_not_repeated_not_once_viewed(aws: Any) -> None:
    t0 = time.time()
    dept = f"d{uuid.uuid4().hex[:6]}"
    _, waiting = seed(aws, "JOB-r", {"communication": 70}, department=dept, received_at=t0)
    _, opened = seed(aws, "JOB-r", {"communication": 70}, department=dept, received_at=t0)
    clock = [t0 + 2 * DAY]
    with Receiver() as rx:
        aws.channels.put(dept, [ChannelIn(kind="slack", url=rx.url, audience=["hr"])], by="a", at="t")
        job = reminders(aws, clock)
        # Given two days: nothing yet
        assert job.run() == {"unviewed": 0, "expiring": 0} and rx.received == []
        # When one was opened and three days have passed
        aws.views.result(HR, opened)
        clock[0] = t0 + 3 * DAY + 60
        # Then only the waiting one is reminded of, once
        assert job.run() == {"unviewed": 1, "expiring": 0}
        text = rx.received[0].json()["text"]
        assert waiting in text and opened not in text and "张三" not in text
        clock[0] = t0 + 4 * DAY
        assert job.run() == {"unviewed": 0, "expiring": 0}
        assert len(rx.received) == 1
        # With a repeat period, it comes again once per period
        again = reminders(aws, clock, repeat_s=int(2 * DAY))
        clock[0] = t0 + 5 * DAY + 120
        assert again.run()["unviewed"] == 1
        assert again.run()["unviewed"] == 0
    assert len(rx.received) == 2


def test_expiring_result_is_reminded_of_once(aws: Any) -> None:
    t0 = time.time()
    dept = f"d{uuid.uuid4().hex[:6]}"
    cid, rid = seed(aws, "JOB-x", {"communication": 70}, department=dept, received_at=t0)
    aws.workflow.decide(HR, cid, "JOB-x", "reject", None)  # kept 180 days after rejection by default
    clock = [t0 + 170 * DAY]
    with Receiver() as rx:
        aws.channels.put(dept, [ChannelIn(kind="slack", url=rx.url, audience=["hr"])], by="a", at="t")
        job = reminders(aws, clock, after_s=int(365 * DAY))  # only expiry matters here
        assert job.run()["expiring"] == 0  # 10 days left: not yet
        clock[0] = t0 + 175 * DAY
        assert job.run()["expiring"] == 1
        assert job.run()["expiring"] == 0
        assert len(rx.received) == 1 and rid in rx.received[0].json()["text"]
        assert "expire" in rx.received[0].json()["text"]

"""Notifications to loopback receivers (127.0.0.1): a verified signature, a timeout, a 500, a
chat robot's error code, SES e-mail — a failing channel is reported, never in the way."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from shared.authz.policy import Principal, Role
from shared.notify.models import ChannelIn, Notice
from shared.notify.notifier import Notifier
from tests.integration.process_support import seed
from tests.receivers import Receiver

HR = Principal(sub="hr-1", role=Role.HR)


def notice(dept: str) -> Notice:
    return Notice("second_interview", dept, "interviewers", "复试 · Second interview", ("逻辑思维 90",), "/v1/x")


def notifier(aws: Any, **kw: Any) -> Notifier:
    return Notifier(aws.channels, ses=lambda: aws.ses, sender="hr@example.com", **kw)


def test_signed_webhook_is_verified_by_the_receiver(aws: Any) -> None:
    dept = f"d{uuid.uuid4().hex[:6]}"
    with Receiver() as rx:
        stored = aws.channels.put(dept, [ChannelIn(kind="webhook", url=rx.url)], by="admin", at="t")
        rx.secret = stored["generated_secrets"]["webhook-1"]
        [d] = notifier(aws).notify(notice(dept))
        assert d.ok and d.attempts == 1
        got = rx.received[0]
        assert got.signature_ok is True
        assert got.json()["type"] == "hirelens.second_interview" and got.json()["data"]["lines"] == ["逻辑思维 90"]
        # a receiver holding another secret rejects it
        rx.secret = "whsec_" + "A" * 44
        [d] = notifier(aws, attempts=1).notify(notice(dept))
        assert not d.ok and rx.received[-1].signature_ok is False
    view = aws.channels.view(dept)["channels"][0]
    assert view["delivery"]["last_status"] == "failed" and view["delivery"]["failures"] == 1
    assert view["delivery"]["last_success_at"]  # from the first, verified delivery


def test_timeout_and_500_are_reported_and_the_others_still_delivered(aws: Any) -> None:
    dept = f"d{uuid.uuid4().hex[:6]}"
    with Receiver(mode="slow", delay_s=2.0) as slow, Receiver(mode="error") as broken, Receiver() as good:
        aws.channels.put(
            dept,
            [
                ChannelIn(kind="slack", url=slow.url),
                ChannelIn(kind="wecom", url=broken.url),
                ChannelIn(kind="slack", url=good.url),
            ],
            by="admin",
            at="t",
        )
        started = time.monotonic()
        out = notifier(aws, timeout_s=0.3, attempts=2, backoff_s=0.05).notify(notice(dept))
        took = time.monotonic() - started
    by_id = {d.channel_id: d for d in out}
    assert not by_id["slack-1"].ok and by_id["slack-1"].error == "timed out after 0.3s"
    assert by_id["slack-1"].attempts == 2
    assert not by_id["wecom-2"].ok and by_id["wecom-2"].status == 500 and by_id["wecom-2"].error == "HTTP 500"
    assert len(broken.received) == 2  # a 500 is retried
    assert by_id["slack-3"].ok and good.received[0].json() == {"text": notice(dept).text}
    assert took < 5  # bounded: timeouts per attempt, no waiting on the slow receiver
    # the status is visible to HR admins, without the URLs' secrets
    view = aws.channels.view(dept)
    shown = {c["channel_id"]: c["delivery"] for c in view["channels"]}
    assert shown["wecom-2"]["last_error"] == "HTTP 500" and shown["wecom-2"]["last_http_status"] == 500
    assert shown["slack-1"]["last_error"].startswith("timed out") and shown["slack-3"]["last_status"] == "ok"
    assert "/hook" not in str(view)  # the path (where robots keep their key) is never shown


def test_robot_error_code_in_a_200_is_a_failure(aws: Any) -> None:
    dept = f"d{uuid.uuid4().hex[:6]}"
    # DingTalk answers 200 with an error code when the "加签" signature does not match
    with Receiver(reply=b'{"errcode":310000,"errmsg":"sign not match"}') as rx:
        aws.channels.put(
            dept, [ChannelIn(kind="dingtalk", url=rx.url + "?access_token=k", secret="SEC")], by="a", at="t"
        )
        [d] = notifier(aws, attempts=1).notify(notice(dept))
    assert not d.ok and d.error == "error code 310000: sign not match"
    path = rx.received[0].path
    assert path.startswith("/hook?access_token=k&timestamp=") and "&sign=" in path
    assert rx.received[0].json()["msgtype"] == "markdown"


def test_email_through_ses(aws: Any) -> None:
    dept = f"d{uuid.uuid4().hex[:6]}"
    aws.channels.put(dept, [ChannelIn(kind="email", to=["team@example.com"])], by="a", at="t")
    # an unverified sender is refused by SES: reported, not raised
    [d] = notifier(aws).notify(notice(dept))
    assert not d.ok and d.error and d.error.startswith("SES ")
    aws.ses.create_email_identity(EmailIdentity="hr@example.com")
    [d] = notifier(aws).notify(notice(dept))
    assert d.ok


def test_a_failing_channel_does_not_hold_up_the_workflow(aws: Any) -> None:
    job = f"JOB-{uuid.uuid4().hex[:6]}"
    dept = f"d{uuid.uuid4().hex[:6]}"
    cid, _ = seed(aws, job, {"logical_thinking": 90}, department=dept)
    with Receiver(mode="error") as broken:
        aws.channels.put(dept, [ChannelIn(kind="feishu", url=broken.url, audience=["interviewers"])], by="a", at="t")
        aws.notifier.attempts, aws.notifier.backoff_s = 2, 0.01
        aws.workflow.decide(HR, cid, job, "second_interview", None)
        aws.workflow._sfn = lambda: pytest.fail("no token to resume yet")
        msg = {"step": "SecondInterview", "token": "t", "candidate_id": cid, "job_id": job}
        assert aws.workflow.on_task(msg) == "waiting"
        assert len(broken.received) == 2
        # and a repeated message (SQS delivers at least once) does not brief the interviewers twice
        assert aws.workflow.on_task(msg) == "waiting"
        assert len(broken.received) == 2
    assert aws.candidates.get_application(cid, job)["task_token"] == "t"
    assert aws.channels.view(dept)["channels"][0]["delivery"]["last_error"] == "HTTP 500"

"""Decisions against DynamoDB (moto): the table's moves, 409s, concurrency, counters, audit,
the task-token handshake with the workflow worker, and feedback."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from shared.authz.policy import Principal, Role
from shared.errors import Conflict, Forbidden, NotFound
from shared.services.feedback import FeedbackIn
from shared.storage import keys
from tests.integration.process_support import seed

HR = Principal(sub="hr-1", role=Role.HR)
HR2 = Principal(sub="hr-2", role=Role.HR)


class FakeSfn:
    def __init__(self) -> None:
        self.successes: list[tuple[str, str]] = []
        self.failures: list[tuple[str, str]] = []

    def send_task_success(self, taskToken: str, output: str) -> None:
        self.successes.append((taskToken, output))

    def send_task_failure(self, taskToken: str, error: str, cause: str) -> None:
        self.failures.append((taskToken, error))


@pytest.fixture
def sfn(aws: Any) -> FakeSfn:
    fake = FakeSfn()
    aws.workflow._sfn = lambda: fake
    return fake


def _job() -> str:
    return f"JOB-{uuid.uuid4().hex[:8]}"


def test_every_path_through_the_table(aws: Any) -> None:
    paths = [
        ["second_interview", "offer", "hire"],
        ["offer", "hire"],
        ["second_interview", "reject"],
        ["second_interview", "withdraw"],
        ["offer", "reject"],
        ["offer", "withdraw"],
        ["reject"],
        ["withdraw"],
    ]
    for path in paths:
        job = _job()
        cid, _ = seed(aws, job, {"communication": 80})
        for action in path:
            out = aws.workflow.decide(HR, cid, job, action, None)
            assert aws.candidates.get_application(cid, job)["status"] == out["status"]
        # Then nothing more may happen once final
        for action in ("second_interview", "offer", "hire", "reject", "withdraw"):
            with pytest.raises(Conflict):
                aws.workflow.decide(HR, cid, job, action, None)


def test_refused_moves_change_nothing(aws: Any) -> None:
    job = _job()
    cid, _ = seed(aws, job, {"communication": 80})
    with pytest.raises(Conflict):
        aws.workflow.decide(HR, cid, job, "hire", None)  # hire only from offer
    aws.workflow.decide(HR, cid, job, "second_interview", None)
    with pytest.raises(Conflict):
        aws.workflow.decide(HR, cid, job, "second_interview", None)
    with pytest.raises(Conflict):
        aws.workflow.decide(HR, cid, job, "hire", None)
    assert aws.candidates.get_application(cid, job)["status"] == "second_interview"


def test_concurrent_decisions_one_wins_one_conflicts(aws: Any) -> None:
    # Given one application awaiting review, and two HR users who both read it before either writes
    job = _job()
    cid, _ = seed(aws, job, {"communication": 80})
    both_read = threading.Barrier(2)
    first_written = threading.Event()
    outcomes: dict[str, Any] = {}
    real_change = aws.jobs.change_status

    def change_after_both_read(*args: Any, **kw: Any) -> Any:
        both_read.wait(timeout=10)
        # moto applies transactions without a lock between threads, so the two writes are put in
        # order here; what is tested is that the later one, decided on a stale read, cannot pass
        if threading.current_thread().name == "second":
            first_written.wait(timeout=10)
        try:
            return real_change(*args, **kw)
        finally:
            if threading.current_thread().name == "first":
                first_written.set()

    aws.jobs.change_status = change_after_both_read

    def decide(who: Principal, action: str) -> None:
        try:
            outcomes[action] = aws.workflow.decide(who, cid, job, action, None)["status"]
        except Conflict as exc:
            outcomes[action] = exc

    # When one moves to second interview and the other rejects, both allowed from what they read
    threads = [
        threading.Thread(target=decide, args=(HR, "second_interview"), name="first"),
        threading.Thread(target=decide, args=(HR2, "reject"), name="second"),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    # Then the first passed and the second got a conflict (even though reject is allowed from
    # second_interview too: it was decided on a status that no longer holds)
    assert outcomes["second_interview"] == "second_interview", outcomes
    assert isinstance(outcomes["reject"], Conflict), outcomes
    assert aws.candidates.get_application(cid, job)["status"] == "second_interview"
    decisions = [e for e in aws.audit.read(cid)["entries"] if e["action"].startswith("decision.")]
    assert len(decisions) == 1


def test_counters_audit_and_roles(aws: Any) -> None:
    job = _job()
    cid, _ = seed(aws, job, {"communication": 80})
    aws.workflow.decide(HR, cid, job, "second_interview", "strong analytical answers")
    counts = aws.jobs.counts(aws.jobs.get_item(job))["by_status"]
    assert counts["awaiting_review"] == 0 and counts["second_interview"] == 1
    entry = next(e for e in aws.audit.read(cid)["entries"] if e["action"] == "decision.second_interview")
    assert entry["before"] == {"status": "awaiting_review"} and entry["after"] == {"status": "second_interview"}
    assert entry["actor"] == "hr-1" and entry["note"] == "strong analytical answers"
    raw = aws.table.get_item(Key=keys.audit(cid, entry["seq"]))["Item"]
    assert "strong analytical" not in str(raw)  # the note is stored encrypted
    with pytest.raises(Forbidden):
        aws.workflow.decide(Principal("iv", Role.INTERVIEWER, department="risk"), cid, job, "offer", None)
    with pytest.raises(NotFound):
        aws.workflow.decide(HR, cid, "JOB-none", "offer", None)


def test_token_stored_before_the_decision_is_resumed_by_the_decision(aws: Any, sfn: FakeSfn) -> None:
    job = _job()
    cid, _ = seed(aws, job, {"communication": 80})
    # Given the worker stored the AwaitingReview token
    assert aws.workflow.on_task({"step": "AwaitingReview", "token": "t1", "candidate_id": cid, "job_id": job}) == (
        "waiting"
    )
    # When HR decides, Then the decision resumes the execution with the new status
    out = aws.workflow.decide(HR, cid, job, "offer", None)
    assert out["workflow_resumed"] is True
    assert sfn.successes and sfn.successes[0][0] == "t1" and '"status": "offer"' in sfn.successes[0][1]


def test_token_arriving_after_the_decision_is_resumed_by_the_worker(aws: Any, sfn: FakeSfn) -> None:
    job = _job()
    cid, _ = seed(aws, job, {"communication": 80})
    # Given HR decided before the worker saw the step's message
    assert aws.workflow.decide(HR, cid, job, "reject", None)["workflow_resumed"] is False
    # When the worker gets it, Then it resumes at once with the status in DynamoDB
    assert aws.workflow.on_task({"step": "AwaitingReview", "token": "t2", "candidate_id": cid, "job_id": job}) == (
        "caught_up"
    )
    assert sfn.successes == [("t2", '{"status": "rejected", "action": "caught_up"}')]


def test_worker_ends_the_execution_of_an_erased_application(aws: Any, sfn: FakeSfn) -> None:
    msg = {"step": "AwaitingReview", "token": "t3", "candidate_id": "c_gone", "job_id": "JOB-x"}
    assert aws.workflow.on_task(msg) == "gone"
    assert sfn.failures == [("t3", "hirelens.ApplicationGone")]


def test_feedback_needs_the_stage_and_shows_in_profile_and_audit(aws: Any) -> None:
    job = _job()
    cid, _ = seed(aws, job, {"communication": 80})
    iv = Principal("iv-1", Role.INTERVIEWER, department="risk")
    body = FeedbackIn(job_id=job, stage="second_interview", rating=75, passed=True, comment="表达清楚")
    aws.workflow.decide(HR, cid, job, "second_interview", None)
    with pytest.raises(NotFound):  # another department's interviewer does not see the candidate
        aws.feedback.record(Principal("iv-2", Role.INTERVIEWER, department="sales"), cid, body)
    with pytest.raises(Conflict):  # probation only once hired
        aws.feedback.record(HR, cid, body.model_copy(update={"stage": "probation"}))
    created = aws.feedback.record(iv, cid, body.model_copy(update={"competencies": {"communication": 70}}))
    prof = aws.views.profile(HR, cid)
    assert prof["feedback"][0]["comment"] == "表达清楚"
    assert prof["feedback"][0]["competencies"] == {"communication": 70}
    raw = next(i for i in aws.candidates.partition(cid) if i["sk"].startswith("FB#"))
    assert "表达清楚" not in str(raw)
    entry = next(e for e in aws.audit.read(cid)["entries"] if e["action"] == "feedback.recorded")
    assert entry["after"]["feedback_id"] == created["feedback_id"] and entry["actor"] == "iv-1"

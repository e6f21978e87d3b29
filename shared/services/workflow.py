"""The review process around the state machine (docs/workflow.md).

- `ensure_started`: after an application's first scoring, one Step Functions execution for it
  (deterministic name: starting twice is harmless).
- `decide`: `POST /v1/candidates/{id}/decisions`. The application's status in DynamoDB is the
  truth: the move is checked against the transition table and written conditionally on the
  status the caller saw (with the job's counters, in one transaction), so of two concurrent
  decisions one wins and the other gets 409. Then the waiting execution is resumed.
- `on_task`: the workflow queue's consumer. A waiting step's task token is stored on the
  application, conditionally on the application still being in that step's status; if a
  decision got there first, the worker resumes the execution itself. Exactly one of the two
  resumes it: a token stored before the decision's write is found by the decision's read after
  it; a token arriving after the write fails the condition.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from shared.audit.trail import AuditTrail
from shared.authz.policy import Action, Principal, Resource, authorize
from shared.errors import Conflict, NotFound
from shared.models.domain import ApplicationStatus as S
from shared.notify.briefing import brief
from shared.notify.models import Notice
from shared.notify.notifier import Notifier
from shared.observability import logger
from shared.services.intake import iso
from shared.storage import keys
from shared.storage.candidates import CandidateRepository
from shared.storage.ddb import from_ddb, is_conditional_failure
from shared.storage.departments import UNASSIGNED, DepartmentRepository
from shared.storage.jobs import JobRepository
from shared.workflow.transitions import APPLICATION_GONE, STATUS_OF_STEP, STEP_OF, TransitionRefused, next_status

# token errors that only mean "this execution has moved on already"
SETTLED_TOKEN_ERRORS = ("TaskTimedOut", "InvalidToken", "TaskDoesNotExist")


def execution_name(cid: str, job_id: str) -> str:
    """Unique per application, within Step Functions' 80 characters of [A-Za-z0-9_-]."""
    return f"{cid}-{hashlib.sha256(job_id.encode()).hexdigest()[:20]}"


def execution_arn(state_machine_arn: str, name: str) -> str:
    return state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"


class ReviewWorkflow:
    def __init__(
        self,
        *,
        table: Any,
        candidates: CandidateRepository,
        jobs: JobRepository,
        departments: DepartmentRepository,
        audit: AuditTrail,
        notifier: Notifier,
        sfn: Callable[[], Any],
        state_machine_arn: str,
        on_outcome: Callable[[str, str], None] | None = None,
        population_max: int = 2000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._table, self.candidates, self.jobs, self.departments = table, candidates, jobs, departments
        self.audit, self.notifier, self._sfn, self.state_machine_arn = audit, notifier, sfn, state_machine_arn
        self.on_outcome, self.population_max, self.clock = on_outcome, population_max, clock

    # -- start -----------------------------------------------------------------------------
    def ensure_started(self, cid: str, job_id: str) -> str | None:
        """Start the application's execution unless it has one; returns its ARN (None: no state machine)."""
        app = self.candidates.get_application(cid, job_id)
        if app is None or app.get("workflow_started_at"):
            return app.get("execution_arn") if app else None
        now = iso(self.clock())
        self.departments.register(app.get("department"), now)
        arn = None
        if self.state_machine_arn:
            name = execution_name(cid, job_id)
            try:
                arn = self._sfn().start_execution(
                    stateMachineArn=self.state_machine_arn,
                    name=name,
                    input=json.dumps({"candidate_id": cid, "job_id": job_id}),
                )["executionArn"]
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ExecutionAlreadyExists":
                    raise
                arn = execution_arn(self.state_machine_arn, name)
        sets, values = ["workflow_started_at = :now"], {":now": now}
        if arn:
            sets.append("execution_arn = :arn")
            values[":arn"] = arn
        try:
            self._table.update_item(
                Key=keys.application(cid, job_id),
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(workflow_started_at)",
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
        logger.info("review workflow started", extra={"candidate_id": cid, "job_id": job_id, "execution": bool(arn)})
        return arn

    # -- decisions ---------------------------------------------------------------------------
    def decide(self, principal: Principal, cid: str, job_id: str, action: str, note: str | None) -> dict[str, Any]:
        authorize(principal, Action.DECIDE)
        app = self.candidates.get_application(cid, job_id)
        if app is None:
            raise NotFound("application not found")
        department = app.get("department") or UNASSIGNED
        authorize(principal, Action.DECIDE, Resource(frozenset({department}), cid))
        current = app.get("status") or S.AWAITING_REVIEW.value
        try:
            new = next_status(current, action).value
        except TransitionRefused as exc:
            raise Conflict(str(exc)) from None
        now = iso(self.clock())
        extra: dict[str, Any] = {
            "updated_at": now,
            "status_changed_at": now,
            f"{new}_at": now,
            "decided_by": principal.sub,
            "last_decision": action,
        }
        if new == S.SECOND_INTERVIEW:  # the department's interviewers' inbox (gsi3)
            extra["gsi3pk"] = keys.interview_inbox_pk(department)
            extra["gsi3sk"] = f"{now}#{cid}#{job_id}"
        # conditional on the status this decision was made on: a concurrent decision → 409
        self.jobs.change_status(cid, job_id, expected=current, new=new, extra_set=extra)
        if current == S.SECOND_INTERVIEW:
            self._leave_interview_inbox(cid, job_id)
        self.audit.append(
            cid,
            f"decision.{action}",
            actor=(principal.sub, principal.role.value),
            target=job_id,
            before={"status": current},
            after={"status": new},
            note=note,
        )
        logger.info("decision recorded", extra={"candidate_id": cid, "job_id": job_id, "from": current, "to": new})
        if self.on_outcome:
            self.on_outcome(cid, job_id)
        resumed = self._resume_after(cid, job_id, current, new, action)
        return {
            "candidate_id": cid,
            "job_id": job_id,
            "action": action,
            "previous_status": current,
            "status": new,
            "decided_at": now,
            "workflow_resumed": resumed,
        }

    def _leave_interview_inbox(self, cid: str, job_id: str) -> None:
        try:
            self._table.update_item(
                Key=keys.application(cid, job_id),
                UpdateExpression="REMOVE gsi3pk, gsi3sk",
                ConditionExpression="attribute_exists(pk) AND #st <> :si",
                ExpressionAttributeNames={"#st": "status"},
                ExpressionAttributeValues={":si": S.SECOND_INTERVIEW.value},
            )
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise

    def _resume_after(self, cid: str, job_id: str, old: str, new: str, action: str) -> bool:
        # read after the write: any token for the old step was stored before it (see module doc)
        app = self.candidates.get_application(cid, job_id) or {}
        token = app.get("task_token")
        if not token or app.get("task_step") != STEP_OF[S(old)]:
            return False
        return self._succeed(token, {"status": new, "action": action})

    def _succeed(self, token: str, output: dict[str, Any]) -> bool:
        try:
            self._sfn().send_task_success(taskToken=token, output=json.dumps(output))
            return True
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code not in SETTLED_TOKEN_ERRORS:
                raise
            logger.info("task token already settled", extra={"code": code})
            return False

    # -- the worker ----------------------------------------------------------------------------
    def on_task(self, message: dict[str, Any]) -> str:
        """One waitForTaskToken message: 'waiting', 'caught_up' (resumed at once) or 'gone'."""
        step, token = message["step"], message["token"]
        cid, job_id = message["candidate_id"], message["job_id"]
        expected = STATUS_OF_STEP[step].value
        try:
            self._table.update_item(
                Key=keys.application(cid, job_id),
                UpdateExpression="SET task_token = :t, task_step = :s, task_at = :now, "
                "execution_arn = if_not_exists(execution_arn, :e)",
                ConditionExpression="attribute_exists(pk) AND #st = :exp",
                ExpressionAttributeNames={"#st": "status"},
                ExpressionAttributeValues={
                    ":t": token,
                    ":s": step,
                    ":now": iso(self.clock()),
                    ":e": message.get("execution") or "",
                    ":exp": expected,
                },
            )
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
            app = self.candidates.get_application(cid, job_id)
            if app is None:
                try:
                    self._sfn().send_task_failure(
                        taskToken=token, error=APPLICATION_GONE, cause="the application no longer exists"
                    )
                except ClientError as err:
                    if err.response.get("Error", {}).get("Code", "") not in SETTLED_TOKEN_ERRORS:
                        raise
                return "gone"
            self._succeed(token, {"status": app.get("status"), "action": "caught_up"})
            return "caught_up"
        if step == STEP_OF[S.SECOND_INTERVIEW]:
            self.notify_interviewers(cid, job_id)
        return "waiting"

    # -- notifications ---------------------------------------------------------------------------
    def notify_interviewers(self, cid: str, job_id: str) -> bool:
        """Tell the department's interviewers, once per application, with the candidate's highlights."""
        now = iso(self.clock())
        try:
            out = self._table.update_item(
                Key=keys.application(cid, job_id),
                UpdateExpression="SET interviewers_notified_at = :now",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(interviewers_notified_at)",
                ExpressionAttributeValues={":now": now},
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
            return False
        app = from_ddb(out["Attributes"])
        department = app.get("department") or UNASSIGNED
        job = self.jobs.find(job_id)
        briefing = brief(app.get("scores") or {}, app.get("match"), self._population(job_id))
        score = app.get("match_score")
        lines = [f"候选人 Candidate {cid} · 岗位 Job {job_id}"]
        if score is not None:
            lines.append(f"匹配度 match {score:.0f} · AI: {app.get('recommendation')}")
        lines.extend(briefing.lines())
        notice = Notice(
            event="second_interview",
            department=department,
            audience="interviewers",
            title=f"复试 · Second interview: {(job.title if job and job.title else job_id)}",
            lines=tuple(lines),
            link=f"/v1/candidates/{cid}",
            data={
                "candidate_id": cid,
                "job_id": job_id,
                "match_score": score,
                "recommendation": app.get("recommendation"),
                "strengths": list(briefing.strengths),
                "to_check": list(briefing.to_check),
            },
        )
        self.notifier.notify(notice)
        return True

    def _population(self, job_id: str) -> dict[str, list[float]]:
        """Every scored application's competency scores in the job (gsi1), at most `population_max`."""
        out: dict[str, list[float]] = {}
        seen = 0
        kwargs: dict[str, Any] = {
            "IndexName": "gsi1",
            "KeyConditionExpression": Key("gsi1pk").eq(keys.job_candidates_pk(job_id)),
            "ProjectionExpression": "scores",
            "ScanIndexForward": False,
        }
        while seen < self.population_max:
            page = self._table.query(**kwargs, Limit=min(500, self.population_max - seen))
            for item in page["Items"]:
                seen += 1
                for code, v in from_ddb(item.get("scores") or {}).items():
                    if isinstance(v, int | float):
                        out.setdefault(code, []).append(float(v))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return out

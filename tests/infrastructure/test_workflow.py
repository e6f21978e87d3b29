"""The review workflow in the synthesized stack: state machine (logging, tracing, the definition the
embedded stack runs), its worker and queue, the reminder schedule, and who may do what."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.workflow_asl import from_template, render, synthesize
from shared.resources import WORKFLOW_QUEUE
from shared.workflow.transitions import OPEN, STEP_OF

WORKER = "functions.workflow.handler.lambda_handler"
REMINDERS = "functions.workflow.reminders.lambda_handler"
API = "functions.api.handler.lambda_handler"
SCORE = "functions.score.handler.lambda_handler"


@pytest.fixture(scope="module")
def template(cdk_template: Template) -> dict[str, Any]:
    return dict(cdk_template.to_json())


def of_type(t: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in t["Resources"].items() if r["Type"] == kind}


def only(t: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    found = of_type(t, kind)
    assert len(found) == 1, sorted(found)
    lid, r = next(iter(found.items()))
    return lid, r["Properties"]


def function_of(t: dict[str, Any], handler: str) -> tuple[str, dict[str, Any]]:
    found = [(lid, r["Properties"]) for lid, r in of_type(t, "AWS::Lambda::Function").items()]
    matches = [(lid, p) for lid, p in found if p.get("Handler") == handler]
    assert len(matches) == 1, handler
    return matches[0]


def statements_of(t: dict[str, Any], role_lid: str) -> list[dict[str, Any]]:
    out = []
    for r in of_type(t, "AWS::IAM::Policy").values():
        if {"Ref": role_lid} in r["Properties"]["Roles"]:
            out.extend(r["Properties"]["PolicyDocument"]["Statement"])
    return out


def actions(statements: list[dict[str, Any]]) -> set[str]:
    out: set[str] = set()
    for s in statements:
        a = s["Action"]
        out.update([a] if isinstance(a, str) else a)
    return out


def workflow_queue_lid(t: dict[str, Any]) -> str:
    queues = [lid for lid in of_type(t, "AWS::SQS::Queue") if lid.startswith(f"Queues{WORKFLOW_QUEUE.logical_id}")]
    return next(lid for lid in queues if "Dlq" not in lid)


def test_state_machine_is_standard_with_logging_and_tracing(template: dict[str, Any]) -> None:
    _, sm = only(template, "AWS::StepFunctions::StateMachine")
    assert sm.get("StateMachineType", "STANDARD") == "STANDARD"
    assert sm["TracingConfiguration"] == {"Enabled": True}
    logging = sm["LoggingConfiguration"]
    assert logging["Level"] == "ALL" and logging["IncludeExecutionData"] is False
    group = logging["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
    assert template["Resources"][group]["Type"] == "AWS::Logs::LogGroup"
    assert template["Resources"][group]["Properties"]["RetentionInDays"] > 0


def test_definition_has_one_waiting_step_per_open_status(template: dict[str, Any]) -> None:
    asl = json.loads(render(from_template(template, {workflow_queue_lid(template): "Q"}), queue_url="Q"))
    states = asl["States"]
    assert asl["StartAt"] == "AwaitingReview"
    for status in OPEN:
        step = states[STEP_OF[status]]
        assert step["Resource"] == "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
        assert step["Parameters"]["QueueUrl"] == "Q"
        assert step["Parameters"]["MessageBody"]["token.$"] == "$$.Task.Token"
        assert set(step["Parameters"]["MessageBody"]) == {
            "step",
            "token.$",
            "candidate_id.$",
            "job_id.$",
            "execution.$",
        }
        assert step["Next"] == "Route"
    assert {c["Next"] for c in states["Route"]["Choices"]} == {
        "SecondInterview",
        "Offer",
        "Hired",
        "Rejected",
        "Withdrawn",
    }
    assert all(states[s]["Type"] == "Succeed" for s in ("Hired", "Rejected", "Withdrawn", "Closed"))


def test_embedded_stack_runs_the_deployed_definition(template: dict[str, Any]) -> None:
    # The throwaway synth the embedded stack uses renders to the same document as the real stack
    deployed = from_template(template, {workflow_queue_lid(template): "${WorkflowQueueUrl}"})
    assert json.loads(render(synthesize(), queue_url="Q")) == json.loads(render(deployed, queue_url="Q"))


def test_state_machine_may_send_to_the_workflow_queue_only(template: dict[str, Any]) -> None:
    _, sm = only(template, "AWS::StepFunctions::StateMachine")
    role = sm["RoleArn"]["Fn::GetAtt"][0]
    stmts = statements_of(template, role)
    sends = [s for s in stmts if "sqs:SendMessage" in actions([s])]
    assert sends and all(s["Resource"] == {"Fn::GetAtt": [workflow_queue_lid(template), "Arn"]} for s in sends)
    assert "kms:GenerateDataKey*" in actions(stmts) or "kms:GenerateDataKey" in actions(stmts)  # encrypted queue


def test_worker_consumes_the_workflow_queue_and_may_answer_tasks(template: dict[str, Any]) -> None:
    lid, props = function_of(template, WORKER)
    sources = [r["Properties"] for r in of_type(template, "AWS::Lambda::EventSourceMapping").values()]
    mine = [s for s in sources if s["FunctionName"] == {"Ref": lid}]
    assert len(mine) == 1
    assert mine[0]["EventSourceArn"] == {"Fn::GetAtt": [workflow_queue_lid(template), "Arn"]}
    assert mine[0]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    granted = actions(statements_of(template, props["Role"]["Fn::GetAtt"][0]))
    assert {"states:SendTaskSuccess", "states:SendTaskFailure", "ses:SendEmail"} <= granted
    assert "states:StartExecution" not in granted


def test_decisions_resume_and_scoring_starts(template: dict[str, Any]) -> None:
    api = actions(statements_of(template, function_of(template, API)[1]["Role"]["Fn::GetAtt"][0]))
    score = actions(statements_of(template, function_of(template, SCORE)[1]["Role"]["Fn::GetAtt"][0]))
    assert "states:SendTaskSuccess" in api and "states:StartExecution" not in api
    assert "states:StartExecution" in score and "states:SendTaskSuccess" not in score


def test_every_function_knows_the_state_machine(template: dict[str, Any]) -> None:
    sm_lid, _ = only(template, "AWS::StepFunctions::StateMachine")
    for _, props in of_type(template, "AWS::Lambda::Function").items():
        env = props["Properties"].get("Environment", {}).get("Variables", {})
        if "HIRELENS_TABLE_NAME" in env:
            assert env["HIRELENS_STATE_MACHINE_ARN"] == {"Ref": sm_lid}


def test_reminders_run_hourly_on_eventbridge_scheduler(template: dict[str, Any]) -> None:
    lid, _ = function_of(template, REMINDERS)
    # the API puller has its own schedule (tests/infrastructure/test_channels_recovery.py)
    (schedule,) = [
        r["Properties"]
        for r in of_type(template, "AWS::Scheduler::Schedule").values()
        if r["Properties"]["Target"]["Arn"] == {"Fn::GetAtt": [lid, "Arn"]}
    ]
    assert schedule["ScheduleExpression"] == "rate(1 hour)"
    assert schedule["State"] == "ENABLED"
    invoker = schedule["Target"]["RoleArn"]["Fn::GetAtt"][0]
    assert "lambda:InvokeFunction" in actions(statements_of(template, invoker))

"""The review process: one Step Functions Standard execution per application, its worker and the
reminder schedule.

The definition is written here once. The embedded stack runs the very same synthesized
definition on moto (infra/workflow_asl.py renders it), so what is tested locally is what deploys.

Human steps are `sqs:sendMessage.waitForTaskToken` tasks: the message (ids and the task token,
no personal data) goes to the workflow queue, whose consumer (functions/workflow/handler.py)
stores the token on the application item; `POST /v1/candidates/{id}/decisions` resumes the
execution with the new status, and one Choice routes it to the next step. Few states on purpose:
state transitions are what a Standard workflow is billed for (docs/workflow.md).
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from aws_cdk.aws_lambda_event_sources import SqsEventSource
from constructs import Construct

from infra.constructs.functions import LOG_RETENTION, FunctionFactory
from shared.models.domain import ApplicationStatus
from shared.resources import WORKFLOW_QUEUE
from shared.workflow.transitions import APPLICATION_GONE, CLOSED_STATE, FINAL, OPEN, ROUTE_STATE, STEP_OF

# Standard executions may run for a year: long enough from first result to the hiring decision.
EXECUTION_TIMEOUT = Duration.days(365)
SQS_ERRORS = ["SQS.AmazonSQSException", "SQS.SdkClientException"]
WORKER_HANDLER = "functions.workflow.handler.lambda_handler"
REMINDERS_HANDLER = "functions.workflow.reminders.lambda_handler"
REMINDER_RATE = Duration.hours(1)
WORKER_TIMEOUT = Duration.seconds(30)  # within the workflow queue's visibility timeout


def review_definition(scope: Construct, queue: sqs.IQueue) -> sfn.IChainable:
    """AwaitingReview → Route → SecondInterview | Offer | Hired | Rejected | Withdrawn, built from
    the transition table (shared/workflow/transitions.py)."""
    route = sfn.Choice(scope, ROUTE_STATE, comment="the status the decision (in DynamoDB) led to")
    closed = sfn.Succeed(scope, CLOSED_STATE, comment="the application no longer exists (erased)")
    states: dict[ApplicationStatus, sfn.IChainable] = {}
    for status in OPEN:
        step = STEP_OF[status]
        task = tasks.SqsSendMessage(
            scope,
            step,
            comment=f"waits for a decision while the application is {status.value}",
            queue=queue,
            integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
            message_body=sfn.TaskInput.from_object(
                {
                    "step": step,
                    "token": sfn.JsonPath.task_token,
                    "candidate_id": sfn.JsonPath.string_at("$.candidate_id"),
                    "job_id": sfn.JsonPath.string_at("$.job_id"),
                    "execution": sfn.JsonPath.execution_id,
                }
            ),
            result_path="$.decision",
        )
        task.add_retry(errors=SQS_ERRORS, interval=Duration.seconds(2), max_attempts=5, backoff_rate=2)
        task.add_catch(closed, errors=[APPLICATION_GONE], result_path="$.error")
        task.next(route)
        states[status] = task
    for status in FINAL:
        states[status] = sfn.Succeed(scope, STEP_OF[status])
    for status, state in states.items():
        if status is not ApplicationStatus.AWAITING_REVIEW:  # nothing leads back to review
            route.when(sfn.Condition.string_equals("$.decision.status", status.value), state)
    route.otherwise(sfn.Fail(scope, "UnknownStatus", error="hirelens.UnknownStatus"))
    return states[ApplicationStatus.AWAITING_REVIEW]


class ReviewStateMachine(Construct):
    """The state machine alone: its definition, logging (all events, no execution data) and tracing."""

    def __init__(self, scope: Construct, construct_id: str, *, queue: sqs.IQueue) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(self, "Logs", retention=LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY)
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            comment="hirelens review: awaiting review → second interview → offer → hired",
            definition_body=sfn.DefinitionBody.from_chainable(review_definition(self, queue)),
            state_machine_type=sfn.StateMachineType.STANDARD,
            timeout=EXECUTION_TIMEOUT,
            tracing_enabled=True,
            # execution data stays out of the logs: ids only ever, but no need to copy them twice
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )


class WorkflowFunctions(Construct):
    """The workflow queue's consumer and the hourly reminders, with what each may touch."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        factory: FunctionFactory,
        state_machine: sfn.StateMachine,
        queue: sqs.IQueue,
        table: dynamodb.ITable,
        keys_table: dynamodb.ITable,
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self.worker = factory.function(
            "Workflow",
            handler=WORKER_HANDLER,
            description="Workflow queue: store task tokens, notify interviewers",
            timeout=WORKER_TIMEOUT,
        )
        self.reminders = factory.function(
            "Reminders",
            handler=REMINDERS_HANDLER,
            description="Hourly: remind reviewers of waiting and expiring results",
            timeout=Duration.minutes(5),
        )
        for fn in (self.worker, self.reminders):
            table.grant_read_write_data(fn)
            keys_table.grant_read_data(fn)
            key.grant_encrypt_decrypt(fn)  # channel secrets are KMS-sealed
            _grant_send_email(fn)
        state_machine.grant_task_response(self.worker)
        self.worker.add_event_source(
            SqsEventSource(queue, batch_size=WORKFLOW_QUEUE.batch_size, report_batch_item_failures=True)
        )
        self.schedule = scheduler.Schedule(
            self,
            "ReminderSchedule",
            description="hirelens reminders",
            schedule=scheduler.ScheduleExpression.rate(REMINDER_RATE),
            target=targets.LambdaInvoke(
                self.reminders,
                retry_attempts=2,
                max_event_age=Duration.hours(1),
                role=iam.Role(self, "SchedulerRole", assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com")),
            ),
        )


def _grant_send_email(fn: lambda_.IFunction) -> None:
    # SES identities are set up per deployment (verified sender domain); sending is all it may do.
    fn.add_to_role_policy(iam.PolicyStatement(actions=["ses:SendEmail"], resources=["*"]))

"""Channels and recovery (docs/api-pull.md, docs/media.md, docs/recovery.md).

- ApiPull: the puller function on an EventBridge Scheduler schedule (every 5 minutes; each
  vendor is pulled only when its own interval has elapsed), reading vendor credentials from
  Secrets Manager under one name prefix, and the API's right to write them there.
- MediaCopies: the media queue's consumer, which writes under media/ in the evidence bucket.
- Recovery: the redrive function, and the API's right to do the same (DLQ → work queue).
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_sqs as sqs
from aws_cdk.aws_lambda_event_sources import SqsEventSource
from constructs import Construct

from infra.constructs.functions import FunctionFactory
from shared.resources import MEDIA_PREFIX, MEDIA_QUEUE, QUARANTINE_PREFIX, RAW_PREFIX
from shared.settings import Settings

PULLER_HANDLER = "functions.ingest.puller.lambda_handler"
MEDIA_HANDLER = "functions.ingest.media.lambda_handler"
REDRIVE_HANDLER = "functions.ingest.redrive.lambda_handler"
PULL_RATE = Duration.minutes(5)
PULLER_TIMEOUT = Duration.minutes(2)  # well inside the 5-minute rate and the 5-minute run lease
MEDIA_TIMEOUT = Duration.minutes(5)  # a 200 MiB copy; within the media queue's visibility timeout
REDRIVE_TIMEOUT = Duration.minutes(5)
SECRET_PREFIX = str(Settings.model_fields["pull_secret_prefix"].default)


def secrets_arn(scope: Construct) -> str:
    """Every secret under the vendor-pull prefix (Secrets Manager appends a random suffix)."""
    return Stack.of(scope).format_arn(
        service="secretsmanager",
        resource="secret",
        resource_name=f"{SECRET_PREFIX}*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


class ApiPull(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        factory: FunctionFactory,
        api_function: lambda_.IFunction,
        table: dynamodb.ITable,
        keys_table: dynamodb.ITable,
        key: kms.IKey,
        bucket: s3.IBucket,
        ingest_queue: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = factory.function(
            "Puller",
            handler=PULLER_HANDLER,
            description="Every 5 minutes: pull vendors' results APIs whose interval has elapsed",
            timeout=PULLER_TIMEOUT,
        )
        fn = self.function
        # pulled items take the webhook's path: sealed raw body (or quarantine), event claim, ingest queue
        table.grant_read_write_data(fn)
        keys_table.grant_read_write_data(fn)
        key.grant_encrypt_decrypt(fn)
        bucket.grant_put(fn, f"{RAW_PREFIX}*")
        bucket.grant_put(fn, f"{QUARANTINE_PREFIX}*")
        ingest_queue.grant_send_messages(fn)
        fn.add_to_role_policy(
            iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[secrets_arn(self)])
        )
        # the API stores (and replaces) credentials; it never needs to read them back
        api_function.add_to_role_policy(
            iam.PolicyStatement(
                actions=[
                    "secretsmanager:CreateSecret",
                    "secretsmanager:PutSecretValue",
                    "secretsmanager:DescribeSecret",
                    "secretsmanager:TagResource",
                ],
                resources=[secrets_arn(self)],
            )
        )
        self.schedule = scheduler.Schedule(
            self,
            "PullSchedule",
            description="hirelens API pull",
            schedule=scheduler.ScheduleExpression.rate(PULL_RATE),
            target=targets.LambdaInvoke(
                fn,
                retry_attempts=0,  # the next tick comes in 5 minutes, with the cursor where it was
                max_event_age=Duration.minutes(5),
                role=iam.Role(self, "SchedulerRole", assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com")),
            ),
        )


class MediaCopies(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        factory: FunctionFactory,
        queue: sqs.IQueue,
        table: dynamodb.ITable,
        keys_table: dynamodb.ITable,
        key: kms.IKey,
        bucket: s3.Bucket,
    ) -> None:
        super().__init__(scope, construct_id)
        if MEDIA_TIMEOUT.to_seconds() > MEDIA_QUEUE.visibility_timeout_s:
            raise ValueError("the media function must finish within the media queue's visibility timeout")
        self.function = factory.function(
            "Media",
            handler=MEDIA_HANDLER,
            description="Media queue: copy vendor media into the evidence bucket, encrypted per candidate",
            timeout=MEDIA_TIMEOUT,
            memory_size=1024,
        )
        fn = self.function
        table.grant_read_write_data(fn)  # the answer's media status
        keys_table.grant_read_write_data(fn)  # the candidate's data key (and a due branch-key rotation)
        key.grant_encrypt_decrypt(fn)
        # media/ only: put (multipart included), abort, and delete a copy whose result moved on
        media = f"{MEDIA_PREFIX}*"
        bucket.grant_put(fn, media)
        fn.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:AbortMultipartUpload", "s3:DeleteObject"], resources=[bucket.arn_for_objects(media)]
            )
        )
        fn.add_event_source(SqsEventSource(queue, batch_size=MEDIA_QUEUE.batch_size, report_batch_item_failures=True))
        bucket.add_lifecycle_rule(
            id="MediaUploads", prefix=MEDIA_PREFIX, abort_incomplete_multipart_upload_after=Duration.days(1)
        )


class Recovery(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        factory: FunctionFactory,
        api_function: lambda_.IFunction,
        queues: list[sqs.Queue],
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = factory.function(
            "Redrive",
            handler=REDRIVE_HANDLER,
            description="Operators: move dead-lettered messages back to their work queue",
            timeout=REDRIVE_TIMEOUT,
        )
        for fn in (self.function, api_function):
            for queue in queues:
                dlq = queue.dead_letter_queue
                if dlq is None:  # pragma: no cover - every work queue has one (infra/constructs/queues.py)
                    raise ValueError(f"{queue.node.id} has no dead-letter queue")
                dlq.queue.grant_consume_messages(fn)
                queue.grant_send_messages(fn)
                # the source's RedrivePolicy names its DLQ; the DLQ is then found by name
                fn.add_to_role_policy(
                    iam.PolicyStatement(
                        actions=["sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
                        resources=[queue.queue_arn, dlq.queue.queue_arn],
                    )
                )

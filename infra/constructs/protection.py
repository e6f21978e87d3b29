"""Protection (docs/erasure.md): the daily retention sweep, and the evidence bucket's backstop
against versions an erasure might leave behind.

- The retention function runs on an EventBridge Scheduler schedule once a day. It erases
  through the same code as `DELETE /v1/candidates/{id}`: it needs the main table (items,
  tombstones, audit trail), the keys table (destroying data keys — no point-in-time recovery
  there, so a destroyed key is gone from backups too), the KMS key (the audit trail's sealed
  fields and the keyring) and the evidence bucket, every version of an object included.
- Noncurrent object versions expire after NONCURRENT_DAYS: erasure deletes every version
  itself, this only catches what a crash half-way could leave (unreadable: its key is gone).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from constructs import Construct

from infra.constructs.functions import FunctionFactory

RETENTION_HANDLER = "functions.workflow.retention.lambda_handler"
RETENTION_RATE = Duration.days(1)
# a sweep erases at most 500 candidates (each a few dozen requests), then the next day goes on
RETENTION_TIMEOUT = Duration.minutes(15)
NONCURRENT_DAYS = 7


class Protection(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        factory: FunctionFactory,
        table: dynamodb.ITable,
        keys_table: dynamodb.ITable,
        key: kms.IKey,
        bucket: s3.Bucket,
    ) -> None:
        super().__init__(scope, construct_id)
        fn = factory.function(
            "Retention",
            handler=RETENTION_HANDLER,
            description="Retention sweep: erase candidates past their outcome's retention period",
            timeout=RETENTION_TIMEOUT,
        )
        self.function = fn
        table.grant_read_write_data(fn)
        keys_table.grant_read_write_data(fn)
        key.grant_encrypt_decrypt(fn)
        bucket.grant_read(fn)
        bucket.grant_delete(fn)  # s3:DeleteObject* — every version of an erased candidate's objects
        self.schedule = scheduler.Schedule(
            self,
            "RetentionSchedule",
            description="hirelens retention sweep",
            schedule=scheduler.ScheduleExpression.rate(RETENTION_RATE),
            target=targets.LambdaInvoke(
                fn,
                retry_attempts=2,  # a sweep is idempotent: what it erased is gone, the rest is retried
                max_event_age=Duration.hours(6),
                role=iam.Role(self, "SchedulerRole", assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com")),
            ),
        )
        bucket.add_lifecycle_rule(
            id="ExpireNoncurrentVersions",
            noncurrent_version_expiration=Duration.days(NONCURRENT_DAYS),
            expired_object_delete_marker=True,
        )

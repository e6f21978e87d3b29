"""Batch import (docs/imports.md): the upload notification, the importer and what it may touch.

An object created under `imports/` in the evidence bucket is announced on the import queue;
the importer processes the file in chunks and queues its own continuation messages on the
same queue. It may read and delete import uploads only, not the rest of the evidence bucket.
"""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import Aws, Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from aws_cdk.aws_lambda_event_sources import SqsEventSource
from constructs import Construct

from infra.constructs.functions import FunctionFactory
from shared.resources import IMPORT_QUEUE, IMPORTS_PREFIX

IMPORTER_HANDLER = "functions.ingest.importer.lambda_handler"
# A chunk stops `import_reserve_ms` before this; the import queue's visibility timeout is 6x it.
IMPORTER_TIMEOUT = Duration.seconds(120)
# Rows stored at once per invocation: each row is a dozen DynamoDB round trips of a few ms.
IMPORT_WORKERS = 8
# An upload is deleted once read; one never processed (its messages in the DLQ) goes after this.
UPLOAD_EXPIRY = Duration.days(2)


class BatchImport(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        factory: FunctionFactory,
        bucket: s3.Bucket,
        queue: sqs.Queue,
        score_queue: sqs.IQueue,
        table: dynamodb.ITable,
        keys_table: dynamodb.ITable,
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        if IMPORTER_TIMEOUT.to_seconds() > IMPORT_QUEUE.visibility_timeout_s:
            raise ValueError("the importer must finish within the import queue's visibility timeout")
        self.function = factory.function(
            "Importer",
            handler=IMPORTER_HANDLER,
            description="Import queue: batch result files, a chunk of rows per invocation",
            timeout=IMPORTER_TIMEOUT,
            memory_size=1024,
        )
        fn = self.function
        fn.add_environment("HIRELENS_IMPORT_WORKERS", str(IMPORT_WORKERS))
        # rows become results through the same processor as webhooks
        table.grant_read_write_data(fn)
        keys_table.grant_read_write_data(fn)
        key.grant_encrypt_decrypt(fn)
        score_queue.grant_send_messages(fn)
        # the uploads, and nothing else in the evidence bucket
        uploads = f"{IMPORTS_PREFIX}*"
        bucket.grant_read(fn, uploads)
        fn.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:DeleteObject", "s3:DeleteObjectVersion"], resources=[bucket.arn_for_objects(uploads)]
            )
        )
        fn.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucketVersions"],
                resources=[bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [uploads]}},
            )
        )
        # S3's notices and its own continuations; partial batch failures, DLQ after five receives
        queue.grant_send_messages(fn)
        fn.add_event_source(SqsEventSource(queue, batch_size=IMPORT_QUEUE.batch_size, report_batch_item_failures=True))
        bucket.add_event_notification(
            s3.EventType.OBJECT_CREATED, _QueueDestination(queue, key), s3.NotificationKeyFilter(prefix=IMPORTS_PREFIX)
        )
        bucket.add_lifecycle_rule(
            id="ImportUploads",
            prefix=IMPORTS_PREFIX,
            expiration=UPLOAD_EXPIRY,
            noncurrent_version_expiration=Duration.days(1),
            abort_incomplete_multipart_upload_after=Duration.days(1),
        )


@jsii.implements(s3.IBucketNotificationDestination)
class _QueueDestination:
    """`s3n.SqsDestination`, minus a dependency cycle: for a queue under a customer-managed key it
    grants S3 that key with the bucket's ARN as condition, in the key policy — but the bucket is
    encrypted with the same key. Here the queue policy names the bucket (as SqsDestination's
    does) and the key policy only this account's S3."""

    def __init__(self, queue: sqs.Queue, key: kms.IKey) -> None:
        self._queue = queue
        self._key = key

    def bind(self, scope: Construct, bucket: Any) -> s3.BucketNotificationDestinationConfig:
        s3_service = iam.ServicePrincipal("s3.amazonaws.com")
        added = self._queue.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[s3_service],
                actions=["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
                resources=[self._queue.queue_arn],
                conditions={"ArnLike": {"aws:SourceArn": bucket.bucket_arn}},
            )
        )
        self._key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[s3_service],
                actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            )
        )
        return s3.BucketNotificationDestinationConfig(
            arn=self._queue.queue_arn,
            type=s3.BucketNotificationDestinationType.QUEUE,
            dependencies=[added.policy_dependable] if added.policy_dependable else None,
        )

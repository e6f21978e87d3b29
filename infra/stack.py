"""The hirelens stack: wires the capability constructs together and grants each function its due."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk.aws_lambda_event_sources import SqsEventSource
from constructs import Construct

from infra.bundle import Bundle
from infra.constructs.analysis import Analysis
from infra.constructs.api import Api
from infra.constructs.channels import ApiPull, MediaCopies, Recovery
from infra.constructs.functions import FunctionFactory, settings_environment
from infra.constructs.imports import BatchImport
from infra.constructs.keys import EncryptionKey
from infra.constructs.protection import Protection
from infra.constructs.queues import Queues
from infra.constructs.storage import Storage
from infra.constructs.workflow import ReviewStateMachine, WorkflowFunctions
from shared.resources import (
    IDEMPOTENCY_TABLE,
    IMPORT_QUEUE,
    INGEST_QUEUE,
    KEYS_TABLE,
    MAIN_TABLE,
    MEDIA_QUEUE,
    QUEUES,
    SCORE_QUEUE,
    WORKFLOW_QUEUE,
)

API_TIMEOUT = Duration.seconds(29)  # API Gateway gives up on an integration after 30 s
# Must stay within the queues' visibility timeout (60 s), or a batch reappears while still running.
CONSUMER_TIMEOUT = Duration.seconds(30)


class HirelensStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, bundle: Bundle, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        key = EncryptionKey(self, "Encryption").key
        storage = Storage(self, "Storage", key=key)
        queues = Queues(self, "Queues", key=key)
        main, keys, idempotency = (storage.table(s) for s in (MAIN_TABLE, KEYS_TABLE, IDEMPOTENCY_TABLE))
        bucket = storage.evidence_bucket
        ingest_queue, score_queue = queues.queue(INGEST_QUEUE), queues.queue(SCORE_QUEUE)
        # the review workflow's state machine: before the functions, which are told its ARN
        review = ReviewStateMachine(self, "Review", queue=queues.queue(WORKFLOW_QUEUE)).state_machine

        factory = FunctionFactory(
            self,
            "Functions",
            bundle=bundle,
            environment=settings_environment(
                {
                    **storage.settings(),
                    **queues.settings(),
                    "kms_key_id": key.key_arn,
                    "state_machine_arn": review.state_machine_arn,
                }
            ),
        )

        api_fn = factory.function(
            "Api", handler="functions.api.handler.lambda_handler", description="HR API", timeout=API_TIMEOUT
        )
        main.grant_read_write_data(api_fn)
        keys.grant_read_write_data(api_fn)
        key.grant_encrypt_decrypt(api_fn)
        bucket.grant_read_write(api_fn)
        score_queue.grant_send_messages(api_fn)
        ingest_queue.grant_send_messages(api_fn)

        webhook_fn = factory.function(
            "Webhook",
            handler="functions.ingest.webhook.lambda_handler",
            description="Vendor webhooks: verify, store raw, enqueue",
            timeout=API_TIMEOUT,
        )
        main.grant_read_write_data(webhook_fn)
        keys.grant_read_write_data(webhook_fn)
        key.grant_encrypt_decrypt(webhook_fn)
        bucket.grant_put(webhook_fn)
        ingest_queue.grant_send_messages(webhook_fn)

        consumer_fn = factory.function(
            "IngestConsumer",
            handler="functions.ingest.consumer.lambda_handler",
            description="Ingest queue: normalise vendor results",
            timeout=CONSUMER_TIMEOUT,
        )
        main.grant_read_write_data(consumer_fn)
        keys.grant_read_write_data(consumer_fn)
        idempotency.grant_read_write_data(consumer_fn)
        key.grant_encrypt_decrypt(consumer_fn)
        bucket.grant_read(consumer_fn)
        score_queue.grant_send_messages(consumer_fn)
        consumer_fn.add_event_source(
            SqsEventSource(ingest_queue, batch_size=INGEST_QUEUE.batch_size, report_batch_item_failures=True)
        )

        score_fn = factory.function(
            "Score",
            handler="functions.score.handler.lambda_handler",
            description="Score queue: score results against the job",
            timeout=CONSUMER_TIMEOUT,
        )
        main.grant_read_write_data(score_fn)
        keys.grant_read_data(score_fn)
        key.grant_decrypt(score_fn)
        score_fn.add_event_source(
            SqsEventSource(score_queue, batch_size=SCORE_QUEUE.batch_size, report_batch_item_failures=True)
        )
        # a job's re-score fans out through the score queue; large exports expire (docs/queries.md)
        Analysis(self, "Analysis", score_function=score_fn, score_queue=score_queue, bucket=bucket)

        api = Api(self, "Api", api_function=api_fn, webhook_function=webhook_fn)

        # the review process: decisions resume executions, scoring starts them (docs/workflow.md)
        review.grant_task_response(api_fn)
        review.grant_start_execution(score_fn)
        WorkflowFunctions(
            self,
            "Workflow",
            factory=factory,
            state_machine=review,
            queue=queues.queue(WORKFLOW_QUEUE),
            table=main,
            keys_table=keys,
            key=key,
        )
        # batch import: uploads announce themselves on the import queue (docs/imports.md)
        BatchImport(
            self,
            "Imports",
            factory=factory,
            bucket=bucket,
            queue=queues.queue(IMPORT_QUEUE),
            score_queue=score_queue,
            table=main,
            keys_table=keys,
            key=key,
        )

        # channels and recovery: API pull, media copies, DLQ redrive (docs/api-pull.md, media.md, recovery.md)
        ApiPull(
            self,
            "Pull",
            factory=factory,
            api_function=api_fn,
            table=main,
            keys_table=keys,
            key=key,
            bucket=bucket,
            ingest_queue=ingest_queue,
        )
        MediaCopies(
            self,
            "Media",
            factory=factory,
            queue=queues.queue(MEDIA_QUEUE),
            table=main,
            keys_table=keys,
            key=key,
            bucket=bucket,
        )
        Recovery(
            self,
            "Recovery",
            factory=factory,
            api_function=api_fn,
            queues=[queues.queue(spec) for spec in QUEUES.values()],
        )

        # protection: the daily retention sweep, erasing through the API's own path (docs/erasure.md)
        Protection(self, "Protection", factory=factory, table=main, keys_table=keys, key=key, bucket=bucket)

        # Room for later, each its own construct: usage metering and finance exports, and the web console.

        CfnOutput(self, "ApiUrl", value=api.url)
        CfnOutput(self, "UserPoolId", value=api.user_pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=api.client.user_pool_client_id)

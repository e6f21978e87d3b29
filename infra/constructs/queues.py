"""SQS work queues, each with its dead-letter queue, built from the specs in shared/resources.py."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from shared.resources import QUEUES, QueueSpec

DLQ_RETENTION = Duration.days(14)  # the SQS maximum: time to find and replay a poisoned message


class Queues(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self._queues = {spec.logical_id: self._queue(spec, key) for spec in QUEUES.values()}

    def queue(self, spec: QueueSpec) -> sqs.Queue:
        return self._queues[spec.logical_id]

    def settings(self) -> dict[str, str]:
        """Settings fields (shared/settings.py) these resources fill in."""
        return {field: self.queue(spec).queue_url for field, spec in QUEUES.items()}

    def _queue(self, spec: QueueSpec, key: kms.IKey) -> sqs.Queue:
        dlq = sqs.Queue(
            self,
            f"{spec.logical_id}Dlq",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=DLQ_RETENTION,
        )
        return sqs.Queue(
            self,
            spec.logical_id,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(spec.visibility_timeout_s),
            dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=spec.max_receive_count),
        )

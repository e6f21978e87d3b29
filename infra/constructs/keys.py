"""The one customer-managed KMS key behind every table, queue and the evidence bucket."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from constructs import Construct


class EncryptionKey(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        # RETAIN: deleting the key would make every table, queue message and evidence object unreadable.
        self.key = kms.Key(
            self,
            "Key",
            description="hirelens: tables, queues, evidence bucket and wrapped data keys",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )

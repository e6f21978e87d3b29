"""What the analysis capability adds to the stack (docs/scoring.md, docs/queries.md).

- The score function re-scores a whole job by fanning out: it sends per-application
  messages, and a continuation of itself, to its own queue.
- Exports too large to answer inline are written under exports/ in the evidence bucket and
  handed out through a presigned link of at most 15 minutes; the objects expire after a day.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from shared.resources import EXPORT_PREFIX

EXPORT_RETENTION = Duration.days(1)


class Analysis(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        score_function: lambda_.IFunction,
        score_queue: sqs.IQueue,
        bucket: s3.Bucket,
    ) -> None:
        super().__init__(scope, construct_id)
        score_queue.grant_send_messages(score_function)
        bucket.add_lifecycle_rule(
            id="ExportsExpire",
            prefix=EXPORT_PREFIX,
            expiration=EXPORT_RETENTION,
            noncurrent_version_expiration=EXPORT_RETENTION,
        )

"""moto in server mode on a loopback port, with hirelens' resources created from the same
specs CDK deploys (shared/resources.py)."""

from __future__ import annotations

import json
import logging
import os
import socket
import urllib.request
from dataclasses import dataclass
from typing import Any

import boto3

from shared.resources import IMPORTS_PREFIX, QUEUES, TABLES
from shared.settings import Settings

REGION = "eu-central-1"
PREFIX = "hirelens"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def aws_env(endpoint: str, port: int) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "MOTO_PORT": str(port),
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "hirelens",
        "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
    }


def create_resources(session: boto3.session.Session) -> Settings:
    """Create every table, queue, bucket and key; return the Settings that point at them."""
    kms = session.client("kms")
    key_id = kms.create_key(Description="hirelens data key (embedded)", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"][
        "KeyId"
    ]
    kms.enable_key_rotation(KeyId=key_id)
    ddb = session.client("dynamodb")
    values: dict[str, Any] = {"kms_key_id": key_id, "region": REGION}
    for field, spec in TABLES.items():
        name = f"{PREFIX}-{spec.logical_id.lower()}"
        ddb.create_table(**spec.create_table_kwargs(name))
        if spec.ttl_attribute:
            ddb.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute}
            )
        values[field] = name
    sqs = session.client("sqs")
    for field, q in QUEUES.items():
        name = f"{PREFIX}-{q.logical_id.lower()}"
        dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        url = sqs.create_queue(
            QueueName=name,
            Attributes={
                "VisibilityTimeout": str(q.visibility_timeout_s),
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(q.max_receive_count)}
                ),
            },
        )["QueueUrl"]
        values[field] = url
    s3 = session.client("s3")
    bucket = f"{PREFIX}-evidence"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key_id,
                    },
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    values["evidence_bucket"] = bucket
    # Uploaded import files announce themselves on the import queue, as the CDK stack's bucket
    # notification does in AWS (moto delivers S3 → SQS notifications in process and in server mode).
    import_queue_arn = sqs.get_queue_attributes(QueueUrl=values["import_queue_url"], AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": import_queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": IMPORTS_PREFIX}]}},
                }
            ]
        },
    )
    sqs.purge_queue(QueueUrl=values["import_queue_url"])  # the s3:TestEvent S3 sends on configuration
    return Settings(**values)


@dataclass
class MotoServer:
    host: str = "127.0.0.1"
    port: int = 0

    def start(self) -> str:
        from embedded.moto_atomic import AtomicMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.port = self.port or free_port(self.host)
        self._server = AtomicMotoServer(ip_address=self.host, port=self.port, verbose=False)
        self._server.start()
        endpoint = f"http://{self.host}:{self.port}"
        config = {"lambda": {"use_docker": False}, "stepfunctions": {"execute_state_machine": True}}
        req = urllib.request.Request(
            f"{endpoint}/moto-api/config",
            data=json.dumps(config).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        urllib.request.urlopen(req, timeout=10).read()
        return endpoint

    def stop(self) -> None:
        self._server.stop()

"""DynamoDB tables, built from the specs in shared/resources.py, and the evidence bucket."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from shared.resources import TABLES, TableSpec

_STRING = dynamodb.AttributeType.STRING


class Storage(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self._tables = {spec.logical_id: _table(self, spec, key) for spec in TABLES.values()}
        self.evidence_bucket = s3.Bucket(
            self,
            "Evidence",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=RemovalPolicy.RETAIN,
        )

    def table(self, spec: TableSpec) -> dynamodb.Table:
        return self._tables[spec.logical_id]

    def settings(self) -> dict[str, str]:
        """Settings fields (shared/settings.py) these resources fill in."""
        names = {field: self.table(spec).table_name for field, spec in TABLES.items()}
        return {**names, "evidence_bucket": self.evidence_bucket.bucket_name}


def _table(scope: Construct, spec: TableSpec, key: kms.IKey) -> dynamodb.Table:
    table = dynamodb.Table(
        scope,
        spec.logical_id,
        partition_key=dynamodb.Attribute(name=spec.pk, type=_STRING),
        sort_key=dynamodb.Attribute(name=spec.sk, type=_STRING) if spec.sk else None,
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryption_key=key,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=spec.point_in_time_recovery
        ),
        time_to_live_attribute=spec.ttl_attribute,
        removal_policy=RemovalPolicy.RETAIN,
    )
    for index in spec.indexes:
        table.add_global_secondary_index(
            index_name=index.name,
            partition_key=dynamodb.Attribute(name=index.pk, type=_STRING),
            sort_key=dynamodb.Attribute(name=index.sk, type=_STRING),
            projection_type=dynamodb.ProjectionType.ALL,
        )
    return table

"""Protection in the synthesized stack: the retention sweep's schedule and grants, erasure's
reach (every object version, the keys table), backups of data keys, Cognito's roles."""

from __future__ import annotations

from typing import Any

import pytest

from infra.constructs.protection import NONCURRENT_DAYS, RETENTION_HANDLER
from shared.authz.policy import Role
from shared.resources import KEYS_TABLE, MAIN_TABLE
from tests.infrastructure.cfn import Resources, as_list, of_type, ref_of

API = "functions.api.handler.lambda_handler"


def function(resources: Resources, handler: str) -> tuple[str, dict[str, Any]]:
    found = [(lid, p) for lid, p in of_type(resources, "AWS::Lambda::Function").items() if p["Handler"] == handler]
    assert len(found) == 1, handler
    return found[0]


def allowed(resources: Resources, handler: str) -> list[dict[str, Any]]:
    role = ref_of(function(resources, handler)[1]["Role"])
    return [
        s
        for p in of_type(resources, "AWS::IAM::Policy").values()
        if {"Ref": role} in p["Roles"]
        for s in p["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow"
    ]


def actions_on(statements: list[dict[str, Any]], target: str) -> set[str]:
    return {a for s in statements for r in as_list(s["Resource"]) if ref_of(r) == target for a in as_list(s["Action"])}


def table_id(resources: Resources, spec_pk: str, pitr: bool) -> str:
    found = [
        lid
        for lid, p in of_type(resources, "AWS::DynamoDB::Table").items()
        if p["KeySchema"][0]["AttributeName"] == spec_pk
        and p.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled", False) is pitr
        and (len(p["KeySchema"]) == 2) == (spec_pk == MAIN_TABLE.pk and pitr)
    ]
    assert len(found) == 1, found
    return found[0]


def bucket_id(resources: Resources) -> str:
    (lid,) = of_type(resources, "AWS::S3::Bucket")
    return lid


def test_the_retention_sweep_runs_daily_from_eventbridge_scheduler(resources: Resources) -> None:
    lid, fn = function(resources, RETENTION_HANDLER)
    schedules = [
        s for s in of_type(resources, "AWS::Scheduler::Schedule").values() if ref_of(s["Target"]["Arn"]) == lid
    ]
    assert len(schedules) == 1
    assert schedules[0]["ScheduleExpression"] == "rate(1 day)"
    assert schedules[0]["State"] == "ENABLED"
    assert fn["Timeout"] <= 900
    role = ref_of(schedules[0]["Target"]["RoleArn"])
    statements = [
        s
        for p in of_type(resources, "AWS::IAM::Policy").values()
        if {"Ref": role} in p["Roles"]
        for s in p["PolicyDocument"]["Statement"]
    ]
    assert {a for s in statements for a in as_list(s["Action"])} == {"lambda:InvokeFunction"}


@pytest.mark.parametrize("handler", [RETENTION_HANDLER, API])
def test_erasure_reaches_keys_items_and_every_object_version(resources: Resources, handler: str) -> None:
    # the sweep and the API erase through the same code: both need the same reach
    statements = allowed(resources, handler)
    main = table_id(resources, MAIN_TABLE.pk, pitr=True)
    keys = table_id(resources, KEYS_TABLE.pk, pitr=False)
    bucket = bucket_id(resources)
    assert {"dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:BatchWriteItem"} <= actions_on(statements, main)
    assert "dynamodb:DeleteItem" in actions_on(statements, keys)
    s3_actions = actions_on(statements, bucket)
    assert "s3:DeleteObject*" in s3_actions  # DeleteObject and DeleteObjectVersion
    assert "s3:List*" in s3_actions  # ListBucketVersions, to find every version


def test_the_sweep_may_not_write_new_objects_or_touch_queues(resources: Resources) -> None:
    statements = allowed(resources, RETENTION_HANDLER)
    actions = {a for s in statements for a in as_list(s["Action"])}
    assert not {a for a in actions if a.startswith(("s3:PutObject", "sqs:", "states:", "secretsmanager:"))}


def test_data_keys_have_no_backups_and_the_data_does(resources: Resources) -> None:
    # crypto-shredding holds in backups only because the keys table keeps none (docs/erasure.md)
    tables = of_type(resources, "AWS::DynamoDB::Table")
    keys = tables[table_id(resources, KEYS_TABLE.pk, pitr=False)]
    assert not keys.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled", False)
    main = tables[table_id(resources, MAIN_TABLE.pk, pitr=True)]
    assert main["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_old_object_versions_do_not_outlive_an_erasure_by_long(resources: Resources) -> None:
    bucket = of_type(resources, "AWS::S3::Bucket")[bucket_id(resources)]
    assert bucket["VersioningConfiguration"]["Status"] == "Enabled"
    rules = bucket["LifecycleConfiguration"]["Rules"]
    # one rule for the whole bucket (others, for exports and the like, may be stricter)
    whole = [r for r in rules if "NoncurrentVersionExpiration" in r and r["Status"] == "Enabled" and "Prefix" not in r]
    assert len(whole) == 1
    assert whole[0]["NoncurrentVersionExpiration"]["NoncurrentDays"] == NONCURRENT_DAYS


def test_cognito_groups_are_the_roles_and_attributes_scope_them(resources: Resources) -> None:
    groups = {p["GroupName"] for p in of_type(resources, "AWS::Cognito::UserPoolGroup").values()}
    assert groups == {r.value for r in Role}
    (pool,) = of_type(resources, "AWS::Cognito::UserPool").values()
    custom = {a["Name"] for a in pool["Schema"]}
    assert {"department", "candidate_id"} <= custom
    (client,) = of_type(resources, "AWS::Cognito::UserPoolClient").values()
    # the scoping attributes are read into tokens, and never writable by the user
    assert {"custom:department", "custom:candidate_id"} <= set(client["ReadAttributes"])
    assert not {a for a in client["WriteAttributes"] if a.startswith("custom:")}

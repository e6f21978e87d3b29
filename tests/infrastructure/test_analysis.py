"""The analysis capability in the synthesized stack: fan-out rights, the job index, export expiry."""

from __future__ import annotations

from typing import Any

from shared.resources import EXPORT_PREFIX, MAIN_TABLE, SCORE_QUEUE
from tests.infrastructure.cfn import of_type

API = "functions.api.handler.lambda_handler"
SCORE = "functions.score.handler.lambda_handler"


def function(resources: dict[str, Any], handler: str) -> dict[str, Any]:
    return next(p for p in of_type(resources, "AWS::Lambda::Function").values() if p["Handler"] == handler)


def queue_id(resources: dict[str, Any]) -> str:
    """The score queue (not its dead-letter queue), built by infra/constructs/queues.py."""
    (lid,) = [
        lid
        for lid in of_type(resources, "AWS::SQS::Queue")
        if lid.startswith(f"Queues{SCORE_QUEUE.logical_id}") and "Dlq" not in lid
    ]
    return lid


def actions_on(resources: dict[str, Any], handler: str, target: str) -> set[str]:
    role = function(resources, handler)["Role"]["Fn::GetAtt"][0]
    found: set[str] = set()
    for policy in of_type(resources, "AWS::IAM::Policy").values():
        if {"Ref": role} not in policy["Roles"]:
            continue
        for st in policy["PolicyDocument"]["Statement"]:
            res = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
            if st["Effect"] == "Allow" and any(isinstance(r, dict) and target in str(r) for r in res):
                found.update(st["Action"] if isinstance(st["Action"], list) else [st["Action"]])
    return found


def test_score_function_can_fan_out_to_its_own_queue(resources):
    # The {"kind": "job"} message sends application messages and a continuation to the score queue
    score_queue = queue_id(resources)
    assert "sqs:SendMessage" in actions_on(resources, SCORE, score_queue)
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage"} <= actions_on(resources, SCORE, score_queue)


def test_api_function_can_queue_a_job_rescore(resources):
    assert "sqs:SendMessage" in actions_on(resources, API, queue_id(resources))


def test_score_function_consumes_its_queue_with_partial_batch_failures(resources):
    mappings = of_type(resources, "AWS::Lambda::EventSourceMapping").values()
    score_fn = next(lid for lid, p in of_type(resources, "AWS::Lambda::Function").items() if p["Handler"] == SCORE)
    m = next(m for m in mappings if m["FunctionName"] == {"Ref": score_fn})
    assert m["EventSourceArn"]["Fn::GetAtt"][0] == queue_id(resources)
    assert m["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # the fan-out hands over before the function's limit, which stays within the queue's visibility timeout
    assert function(resources, SCORE)["Timeout"] <= SCORE_QUEUE.visibility_timeout_s


def test_the_job_index_the_candidate_list_queries_exists(resources):
    table = next(
        p
        for p in of_type(resources, "AWS::DynamoDB::Table").values()
        if any(g["IndexName"] == "gsi1" for g in p.get("GlobalSecondaryIndexes", []))
    )
    gsi1 = next(g for g in table["GlobalSecondaryIndexes"] if g["IndexName"] == "gsi1")
    spec = next(ix for ix in MAIN_TABLE.indexes if ix.name == "gsi1")
    assert gsi1["KeySchema"] == [
        {"AttributeName": spec.pk, "KeyType": "HASH"},
        {"AttributeName": spec.sk, "KeyType": "RANGE"},
    ]
    assert gsi1["Projection"] == {"ProjectionType": "ALL"}  # a filtered page reads index items only


def test_large_exports_expire_after_a_day(resources):
    buckets = of_type(resources, "AWS::S3::Bucket").values()
    rules = [r for b in buckets for r in b.get("LifecycleConfiguration", {}).get("Rules", [])]
    rule = next(r for r in rules if r.get("Prefix") == EXPORT_PREFIX)
    assert rule["Status"] == "Enabled" and rule["ExpirationInDays"] == 1
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 1

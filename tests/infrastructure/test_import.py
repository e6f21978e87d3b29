"""Batch import in the synthesized stack: the upload notification, the importer and its grants."""

from __future__ import annotations

from typing import Any

from infra.constructs.imports import IMPORTER_HANDLER
from shared.resources import IMPORT_QUEUE, IMPORTS_PREFIX
from tests.infrastructure.cfn import Resources, as_list, of_type, ref_of


def importer(resources: Resources) -> tuple[str, dict[str, Any]]:
    found = [
        (lid, p) for lid, p in of_type(resources, "AWS::Lambda::Function").items() if p["Handler"] == IMPORTER_HANDLER
    ]
    assert len(found) == 1
    return found[0]


def env_ref(props: dict[str, Any], name: str) -> str | None:
    return ref_of(props["Environment"]["Variables"][f"HIRELENS_{name.upper()}"])


def statements(resources: Resources, role: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for policy in of_type(resources, "AWS::IAM::Policy").values():
        if {"Ref": role} in policy["Roles"]:
            out += [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    return out


def object_pattern(resource: Any) -> str | None:
    """'imports/*' for arn:...:bucket/imports/*, '*' for bucket/*, None for the bucket itself."""
    if isinstance(resource, dict) and "Fn::Join" in resource:
        tail = resource["Fn::Join"][1][-1]
        if isinstance(tail, str) and tail.startswith("/"):
            return tail[1:]
    return None


def test_uploads_under_the_prefix_notify_the_import_queue(resources: Resources) -> None:
    # Given the synthesized stack
    _, fn = importer(resources)
    queue, bucket = env_ref(fn, "import_queue_url"), env_ref(fn, "evidence_bucket")
    # Then the bucket's notification sends "object created" under imports/ to the import queue
    (notification,) = of_type(resources, "Custom::S3BucketNotifications").values()
    assert ref_of(notification["BucketName"]) == bucket
    (config,) = notification["NotificationConfiguration"]["QueueConfigurations"]
    assert ref_of(config["QueueArn"]) == queue
    assert config["Events"] == ["s3:ObjectCreated:*"]
    assert config["Filter"] == {"Key": {"FilterRules": [{"Name": "prefix", "Value": IMPORTS_PREFIX}]}}


def test_only_this_bucket_may_send_to_the_import_queue(resources: Resources) -> None:
    _, fn = importer(resources)
    queue, bucket = env_ref(fn, "import_queue_url"), env_ref(fn, "evidence_bucket")
    allowed = [
        s
        for p in of_type(resources, "AWS::SQS::QueuePolicy").values()
        if queue in {ref_of(q) for q in as_list(p["Queues"])}
        for s in p["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow" and s.get("Principal") == {"Service": "s3.amazonaws.com"}
    ]
    assert len(allowed) == 1
    assert ref_of(allowed[0]["Condition"]["ArnLike"]["aws:SourceArn"]) == bucket
    # and S3 may use the queue's key only on this account's behalf
    (key,) = of_type(resources, "AWS::KMS::Key").values()
    s3_statements = [s for s in key["KeyPolicy"]["Statement"] if s.get("Principal") == {"Service": "s3.amazonaws.com"}]
    assert s3_statements
    for s in s3_statements:
        assert "aws:SourceAccount" in s["Condition"].get("StringEquals", {}) or "aws:SourceArn" in s["Condition"].get(
            "ArnLike", {}
        )


def test_importer_drains_the_import_queue_one_message_at_a_time(resources: Resources) -> None:
    lid, fn = importer(resources)
    queue = env_ref(fn, "import_queue_url")
    (mapping,) = [
        m
        for m in of_type(resources, "AWS::Lambda::EventSourceMapping").values()
        if ref_of(m["EventSourceArn"]) == queue
    ]
    assert ref_of(mapping["FunctionName"]) == lid
    assert mapping["BatchSize"] == IMPORT_QUEUE.batch_size == 1
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert fn["Timeout"] * 6 <= IMPORT_QUEUE.visibility_timeout_s
    assert resources[str(queue)]["Properties"]["VisibilityTimeout"] == IMPORT_QUEUE.visibility_timeout_s


def test_importer_reads_and_deletes_uploads_only(resources: Resources) -> None:
    # Given the importer's role
    _, fn = importer(resources)
    bucket = env_ref(fn, "evidence_bucket")
    granted = statements(resources, str(ref_of(fn["Role"])))
    on_objects: dict[str, set[str]] = {}
    on_bucket: list[dict[str, Any]] = []
    for s in granted:
        for r in as_list(s["Resource"]):
            if ref_of(r) != bucket:
                continue
            pattern = object_pattern(r)
            if pattern is None:
                on_bucket.append(s)
            else:
                on_objects.setdefault(pattern, set()).update(as_list(s["Action"]))
    # Then it reads and deletes objects under imports/ and nowhere else, and writes none
    assert set(on_objects) == {f"{IMPORTS_PREFIX}*"}
    actions = on_objects[f"{IMPORTS_PREFIX}*"]
    assert {"s3:GetObject*", "s3:DeleteObject", "s3:DeleteObjectVersion"} <= actions
    assert not any(a.startswith("s3:Put") for a in actions)
    # and may list versions only under the prefix
    versions = [s for s in on_bucket if "s3:ListBucketVersions" in as_list(s["Action"])]
    assert versions and all(s["Condition"] == {"StringLike": {"s3:prefix": [f"{IMPORTS_PREFIX}*"]}} for s in versions)


def test_importer_sends_continuations_and_score_messages_but_not_to_ingest(resources: Resources) -> None:
    _, fn = importer(resources)
    granted = statements(resources, str(ref_of(fn["Role"])))
    sends = {ref_of(r) for s in granted if "sqs:SendMessage" in as_list(s["Action"]) for r in as_list(s["Resource"])}
    assert env_ref(fn, "import_queue_url") in sends
    assert env_ref(fn, "score_queue_url") in sends
    assert env_ref(fn, "ingest_queue_url") not in sends


def test_uploads_left_unprocessed_expire(resources: Resources) -> None:
    _, fn = importer(resources)
    bucket = resources[str(env_ref(fn, "evidence_bucket"))]["Properties"]
    rules = [r for r in bucket["LifecycleConfiguration"]["Rules"] if r.get("Prefix") == IMPORTS_PREFIX]
    assert len(rules) == 1
    assert rules[0]["Status"] == "Enabled"
    assert rules[0]["ExpirationInDays"] <= 7
    assert rules[0]["NoncurrentVersionExpiration"]["NoncurrentDays"] <= 7


def test_importer_stores_rows_with_several_workers_in_aws(resources: Resources) -> None:
    _, fn = importer(resources)
    assert int(fn["Environment"]["Variables"]["HIRELENS_IMPORT_WORKERS"]) > 1
    assert fn["MemorySize"] >= 1024

"""API pull, media copies and recovery in the synthesized stack: schedule, secrets, queues, grants."""

from __future__ import annotations

from typing import Any

import pytest

from infra.constructs.channels import MEDIA_HANDLER, PULLER_HANDLER, REDRIVE_HANDLER
from shared.resources import MEDIA_PREFIX, MEDIA_QUEUE, QUARANTINE_PREFIX, QUEUES, RAW_PREFIX
from tests.infrastructure.cfn import Resources, as_list, of_type, ref_of

API = "functions.api.handler.lambda_handler"
SECRET_PREFIX = "hirelens/vendor-pull/"


# --- helpers ---------------------------------------------------------------------------------


def function(resources: Resources, handler: str) -> tuple[str, dict[str, Any]]:
    found = [(lid, p) for lid, p in of_type(resources, "AWS::Lambda::Function").items() if p["Handler"] == handler]
    assert len(found) == 1, handler
    return found[0]


def env_ref(props: dict[str, Any], name: str) -> str | None:
    return ref_of(props["Environment"]["Variables"][f"HIRELENS_{name.upper()}"])


def allowed(resources: Resources, handler: str) -> list[dict[str, Any]]:
    role = ref_of(function(resources, handler)[1]["Role"])
    out: list[dict[str, Any]] = []
    for policy in of_type(resources, "AWS::IAM::Policy").values():
        if {"Ref": role} in policy["Roles"]:
            out += [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    return out


def actions_on(statements: list[dict[str, Any]], target: str) -> set[str]:
    return {a for s in statements for r in as_list(s["Resource"]) if ref_of(r) == target for a in as_list(s["Action"])}


def object_patterns(statements: list[dict[str, Any]], bucket: str) -> dict[str, set[str]]:
    """Object key pattern ('raw/*') → actions, for statements on the bucket's objects."""
    out: dict[str, set[str]] = {}
    for s in statements:
        for r in as_list(s["Resource"]):
            if ref_of(r) == bucket and isinstance(r, dict) and "Fn::Join" in r:
                tail = r["Fn::Join"][1][-1]
                if isinstance(tail, str) and tail.startswith("/"):
                    out.setdefault(tail[1:], set()).update(as_list(s["Action"]))
    return out


def secret_statements(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in statements if any(str(a).startswith("secretsmanager:") for a in as_list(s["Action"]))]


def joined(value: Any) -> str:
    """An Fn::Join ARN as text with pseudo parameters left as names."""
    parts = value["Fn::Join"][1] if isinstance(value, dict) and "Fn::Join" in value else [value]
    return "".join(p if isinstance(p, str) else f"<{p.get('Ref', '?')}>" for p in parts)


def queue_ids(resources: Resources) -> dict[str, tuple[str, str]]:
    """Settings field → (work queue id, its DLQ id)."""
    _, api = function(resources, API)
    out = {}
    for field in QUEUES:
        queue = str(env_ref(api, field))
        dlq = ref_of(resources[queue]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"])
        out[field] = (queue, str(dlq))
    return out


# --- API pull ----------------------------------------------------------------------------------


def test_the_puller_runs_every_five_minutes_from_eventbridge_scheduler(resources: Resources) -> None:
    lid, puller = function(resources, PULLER_HANDLER)
    schedules = [
        s for s in of_type(resources, "AWS::Scheduler::Schedule").values() if ref_of(s["Target"]["Arn"]) == lid
    ]
    assert len(schedules) == 1
    schedule = schedules[0]
    assert schedule["ScheduleExpression"] == "rate(5 minutes)"
    assert schedule["State"] == "ENABLED"
    # a run ends well before the next tick (and within the per-vendor run lease of 5 minutes)
    assert puller["Timeout"] < 300
    # the scheduler's role may invoke the puller and nothing else
    role = ref_of(schedule["Target"]["RoleArn"])
    statements = [
        s
        for p in of_type(resources, "AWS::IAM::Policy").values()
        if {"Ref": role} in p["Roles"]
        for s in p["PolicyDocument"]["Statement"]
    ]
    assert {a for s in statements for a in as_list(s["Action"])} == {"lambda:InvokeFunction"}
    assert {ref_of(r) for s in statements for r in as_list(s["Resource"])} == {lid}


def test_only_the_puller_reads_vendor_credentials_and_only_under_the_prefix(resources: Resources) -> None:
    for handler in {p["Handler"] for p in of_type(resources, "AWS::Lambda::Function").values()}:
        found = secret_statements(allowed(resources, handler))
        reads = {a for s in found for a in as_list(s["Action"]) if a in ("secretsmanager:GetSecretValue", "*")}
        if handler == PULLER_HANDLER:
            assert {a for s in found for a in as_list(s["Action"])} == {"secretsmanager:GetSecretValue"}
        else:
            assert not reads, handler
        for s in found:
            for r in as_list(s["Resource"]):
                assert joined(r).endswith(f":secret:{SECRET_PREFIX}*"), (handler, r)
                assert ":secretsmanager:<AWS::Region>:<AWS::AccountId>:" in joined(r)


def test_the_api_stores_credentials_but_never_reads_them_back(resources: Resources) -> None:
    found = secret_statements(allowed(resources, API))
    actions = {a for s in found for a in as_list(s["Action"])}
    assert {"secretsmanager:CreateSecret", "secretsmanager:PutSecretValue"} <= actions
    assert "secretsmanager:GetSecretValue" not in actions
    assert not any(a.startswith("secretsmanager:Delete") for a in actions)


def test_the_puller_writes_only_where_webhook_bodies_go_and_queues_to_ingest(resources: Resources) -> None:
    _, puller = function(resources, PULLER_HANDLER)
    statements = allowed(resources, PULLER_HANDLER)
    bucket = str(env_ref(puller, "evidence_bucket"))
    patterns = object_patterns(statements, bucket)
    assert set(patterns) == {f"{RAW_PREFIX}*", f"{QUARANTINE_PREFIX}*"}
    assert not any(a.startswith("s3:GetObject") for acts in patterns.values() for a in acts)
    assert "sqs:SendMessage" in actions_on(statements, str(env_ref(puller, "ingest_queue_url")))
    assert "sqs:ReceiveMessage" not in actions_on(statements, str(env_ref(puller, "ingest_queue_url")))


# --- media ---------------------------------------------------------------------------------------


def test_the_media_function_drains_the_media_queue_one_copy_at_a_time(resources: Resources) -> None:
    lid, media = function(resources, MEDIA_HANDLER)
    queue = str(env_ref(media, "media_queue_url"))
    (mapping,) = [
        m
        for m in of_type(resources, "AWS::Lambda::EventSourceMapping").values()
        if ref_of(m["EventSourceArn"]) == queue
    ]
    assert ref_of(mapping["FunctionName"]) == lid
    assert mapping["BatchSize"] == MEDIA_QUEUE.batch_size == 1
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert media["Timeout"] <= MEDIA_QUEUE.visibility_timeout_s
    assert resources[queue]["Properties"]["VisibilityTimeout"] == MEDIA_QUEUE.visibility_timeout_s
    assert resources[queue]["Properties"]["RedrivePolicy"]["maxReceiveCount"] == MEDIA_QUEUE.max_receive_count


def test_the_media_function_writes_media_only_and_reads_no_evidence(resources: Resources) -> None:
    _, media = function(resources, MEDIA_HANDLER)
    statements = allowed(resources, MEDIA_HANDLER)
    patterns = object_patterns(statements, str(env_ref(media, "evidence_bucket")))
    assert set(patterns) == {f"{MEDIA_PREFIX}*"}
    actions = patterns[f"{MEDIA_PREFIX}*"]
    assert "s3:PutObject" in actions and "s3:AbortMultipartUpload" in actions
    assert not any(a.startswith("s3:GetObject") for a in actions)


def test_the_cloud_never_lets_media_fetches_reach_private_networks(resources: Resources) -> None:
    for props in of_type(resources, "AWS::Lambda::Function").values():
        env = props.get("Environment", {}).get("Variables", {})
        assert env.get("HIRELENS_MEDIA_ALLOW_PRIVATE_NETWORKS", "False") in ("False", "false"), props["Handler"]


def test_unfinished_media_uploads_are_cleaned_up(resources: Resources) -> None:
    _, media = function(resources, MEDIA_HANDLER)
    bucket = resources[str(env_ref(media, "evidence_bucket"))]["Properties"]
    rules = [r for r in bucket["LifecycleConfiguration"]["Rules"] if r.get("Prefix") == MEDIA_PREFIX]
    assert len(rules) == 1
    assert rules[0]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert "ExpirationInDays" not in rules[0]  # copies are kept: the vendors' links expire, ours must not


def test_media_links_are_served_without_a_bearer_token_by_the_api_function(resources: Resources) -> None:
    routes = {p["RouteKey"]: p for p in of_type(resources, "AWS::ApiGatewayV2::Route").values()}
    route = routes["GET /v1/media/{token}"]
    assert route.get("AuthorizationType", "NONE") == "NONE" and "AuthorizerId" not in route
    integration = resources[str(ref_of(route["Target"]))]["Properties"]
    api_lid, _ = function(resources, API)
    assert ref_of(integration["IntegrationUri"]) == api_lid
    # and nothing else under /v1 lost its authorizer
    for key, r in routes.items():
        if key not in {"GET /v1/media/{token}", "POST /v1/webhooks/{vendor}", "GET /v1/health", "GET /v1/openapi.json"}:
            assert r["AuthorizationType"] == "JWT", key


# --- recovery --------------------------------------------------------------------------------------


@pytest.mark.parametrize("handler", [REDRIVE_HANDLER, API])
def test_redrive_may_move_every_dlq_back_to_its_own_queue(resources: Resources, handler: str) -> None:
    statements = allowed(resources, handler)
    for field, (queue, dlq) in queue_ids(resources).items():
        on_dlq, on_queue = actions_on(statements, dlq), actions_on(statements, queue)
        assert {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"} <= on_dlq, field
        assert "sqs:SendMessage" not in on_dlq, field
        assert {"sqs:SendMessage", "sqs:GetQueueAttributes"} <= on_queue, field


def test_the_redrive_function_touches_queues_only(resources: Resources) -> None:
    actions = {a for s in allowed(resources, REDRIVE_HANDLER) for a in as_list(s["Action"])}
    assert not any(a.startswith(("dynamodb:", "s3:", "secretsmanager:")) for a in actions)
    assert not any(a.startswith("sqs:Purge") or a == "sqs:DeleteQueue" for a in actions)


def test_consumers_cannot_redrive(resources: Resources) -> None:
    # the ingest consumer drains its queue; it has no business in any DLQ
    statements = allowed(resources, "functions.ingest.consumer.lambda_handler")
    for _, dlq in queue_ids(resources).values():
        assert "sqs:ReceiveMessage" not in actions_on(statements, dlq)

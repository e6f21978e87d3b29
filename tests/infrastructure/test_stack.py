"""Security properties of the synthesized hirelens stack, read from its CloudFormation template.

Expectations come from shared/resources.py and shared/settings.py, so a changed spec that
the infrastructure does not follow fails here.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template

from infra import bundle
from infra.constructs.functions import settings_environment
from shared.resources import (
    IDEMPOTENCY_TABLE,
    IMPORT_QUEUE,
    INGEST_QUEUE,
    KEYS_TABLE,
    MAIN_TABLE,
    QUEUES,
    SCORE_QUEUE,
    TABLES,
    QueueSpec,
    TableSpec,
)
from shared.settings import Settings
from tests.infrastructure.cfn import Resources, as_list, of_type, ref_of

API = "functions.api.handler.lambda_handler"
WEBHOOK = "functions.ingest.webhook.lambda_handler"
CONSUMER = "functions.ingest.consumer.lambda_handler"
SCORE = "functions.score.handler.lambda_handler"
IMPORTER = "functions.ingest.importer.lambda_handler"
CONSUMER_OF = {
    INGEST_QUEUE.logical_id: CONSUMER,
    SCORE_QUEUE.logical_id: SCORE,
    "Workflow": "functions.workflow.handler.lambda_handler",
    IMPORT_QUEUE.logical_id: IMPORTER,
    "Media": "functions.ingest.media.lambda_handler",
}
# scheduled or invoked by operators, not queue consumers (tests/infrastructure/test_channels_recovery.py)
PULLER, REDRIVE = "functions.ingest.puller.lambda_handler", "functions.ingest.redrive.lambda_handler"
RETENTION = "functions.workflow.retention.lambda_handler"
WORKFLOW_REMINDERS = "functions.workflow.reminders.lambda_handler"
GROUPS = {"hr_admin", "hr", "interviewer", "candidate", "finance", "auditor"}


# --- fixtures: one synth for the module --------------------------------------------------


@pytest.fixture(scope="module")
def app(cdk_app: App) -> App:
    return cdk_app


@pytest.fixture(scope="module")
def template(cdk_template: Template) -> Template:
    return cdk_template


# --- helpers ------------------------------------------------------------------------------


def only(resources: Resources, kind: str) -> tuple[str, dict[str, Any]]:
    found = of_type(resources, kind)
    assert len(found) == 1, f"expected one {kind}, found {sorted(found)}"
    return next(iter(found.items()))


def key_arn(resources: Resources) -> dict[str, Any]:
    return {"Fn::GetAtt": [only(resources, "AWS::KMS::Key")[0], "Arn"]}


# Functions CDK itself adds (the bucket-notification custom resource, run at deploy time only).
CDK_PROVIDED = ("BucketNotificationsHandler",)


def functions(resources: Resources) -> dict[str, dict[str, Any]]:
    """hirelens' own functions' properties by handler (CDK's deploy-time providers left out)."""
    return {
        p["Handler"]: p
        for lid, p in of_type(resources, "AWS::Lambda::Function").items()
        if not lid.startswith(CDK_PROVIDED)
    }


def settings_ref(resources: Resources, field: str) -> str:
    """Logical id of the resource a `HIRELENS_<FIELD>` variable names (the same in every function)."""
    refs = {
        json.dumps(p["Environment"]["Variables"][f"HIRELENS_{field.upper()}"], sort_keys=True)
        for p in functions(resources).values()
    }
    assert len(refs) == 1, f"functions disagree on {field}: {refs}"
    value = json.loads(refs.pop())
    return str(value["Ref"])


def field_of(spec: TableSpec | QueueSpec) -> str:
    specs: dict[str, TableSpec | QueueSpec] = {**TABLES, **QUEUES}
    return next(field for field, s in specs.items() if s is spec)


def denies_insecure_transport(resources: Resources, kind: str, target: str) -> bool:
    key = "Bucket" if kind == "AWS::S3::BucketPolicy" else "Queues"
    for policy in of_type(resources, kind).values():
        if target not in {ref_of(t) for t in as_list(policy[key])}:
            continue
        for statement in policy["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Deny" and statement.get("Condition") == {
                "Bool": {"aws:SecureTransport": "false"}
            }:
                return True
    return False


def granted(resources: Resources, handler: str) -> dict[str, set[str]]:
    """Allowed actions of a function's role, by the logical id of the resource they apply to."""
    role = ref_of(functions(resources)[handler]["Role"])
    actions: dict[str, set[str]] = {}
    for policy in of_type(resources, "AWS::IAM::Policy").values():
        if {"Ref": role} not in policy["Roles"]:
            continue
        for statement in policy["PolicyDocument"]["Statement"]:
            if statement["Effect"] != "Allow":
                continue
            for resource in as_list(statement["Resource"]):
                actions.setdefault(ref_of(resource) or str(resource), set()).update(as_list(statement["Action"]))
    return actions


# --- encryption key -------------------------------------------------------------------------


def test_one_customer_managed_key_rotates_and_is_retained(template: Template) -> None:
    template.resource_count_is("AWS::KMS::Key", 1)
    template.has_resource(
        "AWS::KMS::Key",
        {
            "Properties": {"EnableKeyRotation": True},
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )


# --- tables ---------------------------------------------------------------------------------


def test_every_spec_is_one_table(resources: Resources) -> None:
    assert len(of_type(resources, "AWS::DynamoDB::Table")) == len(TABLES)


@pytest.mark.parametrize("field", sorted(TABLES))
def test_table_follows_its_spec(resources: Resources, field: str) -> None:
    spec = TABLES[field]
    table = resources[settings_ref(resources, field)]
    props = table["Properties"]
    expected = spec.create_table_kwargs("unused")

    assert table["Type"] == "AWS::DynamoDB::Table"
    assert props["KeySchema"] == expected["KeySchema"]
    attributes = sorted(props["AttributeDefinitions"], key=lambda a: a["AttributeName"])
    assert attributes == expected["AttributeDefinitions"]
    indexes = {g["IndexName"]: (g["KeySchema"], g["Projection"]) for g in props.get("GlobalSecondaryIndexes", [])}
    assert indexes == {
        g["IndexName"]: (g["KeySchema"], g["Projection"]) for g in expected.get("GlobalSecondaryIndexes", [])
    }
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["SSESpecification"] == {
        "SSEEnabled": True,
        "SSEType": "KMS",
        "KMSMasterKeyId": key_arn(resources),
    }
    pitr = props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled", False)
    assert pitr is spec.point_in_time_recovery
    if spec.ttl_attribute:
        assert props["TimeToLiveSpecification"] == {"AttributeName": spec.ttl_attribute, "Enabled": True}
    else:
        assert "TimeToLiveSpecification" not in props
    assert table["DeletionPolicy"] == "Retain"


def test_keys_table_has_no_point_in_time_recovery_so_shredded_keys_stay_gone(resources: Resources) -> None:
    keys = resources[settings_ref(resources, field_of(KEYS_TABLE))]["Properties"]
    main = resources[settings_ref(resources, field_of(MAIN_TABLE))]["Properties"]
    assert keys.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled", False) is False
    assert main["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


# --- evidence bucket ------------------------------------------------------------------------


def test_evidence_bucket_is_kms_encrypted_private_versioned_and_ssl_only(resources: Resources) -> None:
    bucket_id, props = only(resources, "AWS::S3::Bucket")
    assert settings_ref(resources, "evidence_bucket") == bucket_id
    assert props["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [
            {
                "BucketKeyEnabled": True,
                "ServerSideEncryptionByDefault": {
                    "SSEAlgorithm": "aws:kms",
                    "KMSMasterKeyID": key_arn(resources),
                },
            }
        ]
    }
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert resources[bucket_id]["DeletionPolicy"] == "Retain"
    assert denies_insecure_transport(resources, "AWS::S3::BucketPolicy", bucket_id)


# --- queues ---------------------------------------------------------------------------------


def test_every_spec_is_one_queue_and_its_dead_letter_queue(resources: Resources) -> None:
    assert len(of_type(resources, "AWS::SQS::Queue")) == 2 * len(QUEUES)


@pytest.mark.parametrize("field", sorted(QUEUES))
def test_queue_has_encrypted_ssl_only_dead_letter_queue(resources: Resources, field: str) -> None:
    spec = QUEUES[field]
    queue_id = settings_ref(resources, field)
    queue = resources[queue_id]["Properties"]
    redrive = queue["RedrivePolicy"]
    dlq_id = ref_of(redrive["deadLetterTargetArn"])
    assert dlq_id
    dlq = resources[dlq_id]["Properties"]

    assert redrive["maxReceiveCount"] == spec.max_receive_count == 5
    assert queue["VisibilityTimeout"] == spec.visibility_timeout_s
    assert queue["KmsMasterKeyId"] == dlq["KmsMasterKeyId"] == key_arn(resources)
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert "RedrivePolicy" not in dlq
    assert denies_insecure_transport(resources, "AWS::SQS::QueuePolicy", queue_id)
    assert denies_insecure_transport(resources, "AWS::SQS::QueuePolicy", dlq_id)


@pytest.mark.parametrize("field", sorted(QUEUES))
def test_queue_is_drained_by_its_consumer_with_partial_batch_failures(resources: Resources, field: str) -> None:
    spec = QUEUES[field]
    queue_id = settings_ref(resources, field)
    mappings = [
        m
        for m in of_type(resources, "AWS::Lambda::EventSourceMapping").values()
        if ref_of(m["EventSourceArn"]) == queue_id
    ]
    assert len(mappings) == 1
    mapping = mappings[0]
    consumer = resources[str(ref_of(mapping["FunctionName"]))]["Properties"]

    assert consumer["Handler"] == CONSUMER_OF[spec.logical_id]
    assert mapping["BatchSize"] == spec.batch_size
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # A run longer than the visibility timeout would let the batch be delivered twice at once.
    assert consumer["Timeout"] <= spec.visibility_timeout_s


# --- functions ------------------------------------------------------------------------------


def test_the_four_functions_run_python_3_12_on_arm64_with_tracing(resources: Resources) -> None:
    found = functions(resources)
    assert set(found) == {
        API,
        WEBHOOK,
        CONSUMER,
        SCORE,
        CONSUMER_OF["Workflow"],
        WORKFLOW_REMINDERS,
        IMPORTER,
        CONSUMER_OF["Media"],
        PULLER,
        REDRIVE,
        RETENTION,
    }
    provided = [lid for lid in of_type(resources, "AWS::Lambda::Function") if lid.startswith(CDK_PROVIDED)]
    assert len(of_type(resources, "AWS::Lambda::Function")) == len(found) + len(provided) <= len(found) + 1
    for handler, props in found.items():
        assert props["Runtime"] == "python3.12" == f"python{bundle.LAMBDA_PYTHON_VERSION}", handler
        assert props["Architectures"] == ["arm64"], handler
        assert props["TracingConfig"] == {"Mode": "Active"}, handler
        assert props["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == "hirelens", handler
        log_group = resources[str(ref_of(props["LoggingConfig"]["LogGroup"]))]
        assert log_group["Type"] == "AWS::Logs::LogGroup"
        assert log_group["Properties"]["RetentionInDays"] > 0


def test_every_function_gets_every_required_setting(resources: Resources) -> None:
    required = {f"HIRELENS_{n.upper()}" for n, f in Settings.model_fields.items() if f.is_required()}
    for handler, props in functions(resources).items():
        assert required <= set(props["Environment"]["Variables"]), handler


def test_kms_key_setting_is_the_key_arn(resources: Resources) -> None:
    for props in functions(resources).values():
        assert props["Environment"]["Variables"]["HIRELENS_KMS_KEY_ID"] == key_arn(resources)


def test_settings_environment_refuses_a_missing_required_setting() -> None:
    with pytest.raises(ValueError, match="kms_key_id"):
        settings_environment({"table_name": "t"})


def test_each_function_has_its_own_role_without_aws_managed_policies(resources: Resources) -> None:
    roles = [ref_of(p["Role"]) for p in functions(resources).values()]
    assert len(set(roles)) == len(roles)
    for role in roles:
        assert "ManagedPolicyArns" not in resources[str(role)]["Properties"]


# --- least privilege ------------------------------------------------------------------------

RW_ITEMS = {
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
}
READ_ITEMS = {"dynamodb:GetItem", "dynamodb:Query"}
WRITE_ITEMS = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
PUT_OBJECT, READ_OBJECT, DELETE_OBJECT = "s3:PutObject", "s3:GetObject*", "s3:DeleteObject*"
SEND, RECEIVE = "sqs:SendMessage", "sqs:ReceiveMessage"
NOTHING: set[str] = set()

# handler -> resource -> (actions it must have, actions it must not have)
PRIVILEGES: dict[str, dict[str, tuple[set[str], set[str]]]] = {
    API: {
        "main": (RW_ITEMS, NOTHING),
        "keys": (RW_ITEMS, NOTHING),
        "idempotency": (NOTHING, RW_ITEMS),
        "bucket": ({PUT_OBJECT, READ_OBJECT}, NOTHING),
        "ingest": ({SEND}, {RECEIVE}),
        "score": ({SEND}, {RECEIVE}),
        "key": ({"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"}, NOTHING),
    },
    WEBHOOK: {
        "main": (RW_ITEMS, NOTHING),
        "keys": (RW_ITEMS, NOTHING),
        "idempotency": (NOTHING, RW_ITEMS),
        "bucket": ({PUT_OBJECT}, {READ_OBJECT, DELETE_OBJECT, "s3:List*"}),
        "ingest": ({SEND}, {RECEIVE}),
        "score": (NOTHING, {SEND, RECEIVE}),
        "key": ({"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"}, NOTHING),
    },
    CONSUMER: {
        "main": (RW_ITEMS, NOTHING),
        "keys": (RW_ITEMS, NOTHING),
        "idempotency": (RW_ITEMS, NOTHING),
        "bucket": ({READ_OBJECT}, {PUT_OBJECT, DELETE_OBJECT}),
        "ingest": ({RECEIVE, "sqs:DeleteMessage"}, {SEND}),
        "score": ({SEND}, {RECEIVE}),
        "key": ({"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"}, NOTHING),
    },
    SCORE: {
        "main": (RW_ITEMS, NOTHING),
        "keys": (READ_ITEMS, WRITE_ITEMS),
        "idempotency": (NOTHING, RW_ITEMS),
        "bucket": (NOTHING, {READ_OBJECT, PUT_OBJECT}),
        "ingest": (NOTHING, {SEND, RECEIVE}),
        # a job's re-score fans out through its own queue (infra/constructs/analysis.py)
        "score": ({RECEIVE, "sqs:DeleteMessage", SEND}, NOTHING),
        "key": ({"kms:Decrypt"}, NOTHING),
    },
}


def resource_ids(resources: Resources) -> dict[str, str]:
    return {
        "main": settings_ref(resources, field_of(MAIN_TABLE)),
        "keys": settings_ref(resources, field_of(KEYS_TABLE)),
        "idempotency": settings_ref(resources, field_of(IDEMPOTENCY_TABLE)),
        "bucket": settings_ref(resources, "evidence_bucket"),
        "ingest": settings_ref(resources, field_of(INGEST_QUEUE)),
        "score": settings_ref(resources, field_of(SCORE_QUEUE)),
        "key": only(resources, "AWS::KMS::Key")[0],
    }


@pytest.mark.parametrize(("handler", "resource"), [(h, r) for h, grants in PRIVILEGES.items() for r in grants], ids=str)
def test_function_is_granted_what_it_needs_and_no_more(resources: Resources, handler: str, resource: str) -> None:
    must, must_not = PRIVILEGES[handler][resource]
    actions = granted(resources, handler).get(resource_ids(resources)[resource], set())
    assert must <= actions, f"{handler} lacks {sorted(must - actions)} on {resource}"
    assert not (must_not & actions), f"{handler} has {sorted(must_not & actions)} on {resource}"


def test_no_policy_grants_everything_or_data_actions_on_every_resource(resources: Resources) -> None:
    for lid, policy in of_type(resources, "AWS::IAM::Policy").items():
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = as_list(statement["Action"])
            targets = as_list(statement["Resource"])
            assert "*" not in actions, lid
            if any(a.startswith(("dynamodb:", "s3:", "sqs:", "kms:")) for a in actions):
                assert "*" not in targets, (lid, actions)
                assert not {"dynamodb:*", "s3:*", "sqs:*", "kms:*"} & set(actions), (lid, actions)


# --- HTTP API -------------------------------------------------------------------------------


def routes(resources: Resources) -> dict[str, dict[str, Any]]:
    return {p["RouteKey"]: p for p in of_type(resources, "AWS::ApiGatewayV2::Route").values()}


def handler_behind(resources: Resources, route: dict[str, Any]) -> str:
    integration = resources[str(ref_of(route["Target"]))]["Properties"]
    return str(resources[str(ref_of(integration["IntegrationUri"]))]["Properties"]["Handler"])


def test_routes_reach_the_right_function(resources: Resources) -> None:
    found = {key: handler_behind(resources, route) for key, route in routes(resources).items()}
    assert found == {
        "POST /v1/webhooks/{vendor}": WEBHOOK,
        "GET /v1/health": API,
        "GET /v1/openapi.json": API,
        "GET /v1/media/{token}": API,
        "ANY /v1/{proxy+}": API,
    }


@pytest.mark.parametrize("route_key", ["POST /v1/webhooks/{vendor}", "GET /v1/health", "GET /v1/openapi.json"])
def test_public_routes_have_no_authorizer(resources: Resources, route_key: str) -> None:
    route = routes(resources)[route_key]
    assert route.get("AuthorizationType", "NONE") == "NONE"
    assert "AuthorizerId" not in route


def test_every_other_route_needs_a_cognito_jwt(resources: Resources) -> None:
    route = routes(resources)["ANY /v1/{proxy+}"]
    authorizer = resources[str(ref_of(route["AuthorizerId"]))]["Properties"]
    pool_id, _ = only(resources, "AWS::Cognito::UserPool")
    client_id, _ = only(resources, "AWS::Cognito::UserPoolClient")

    assert route["AuthorizationType"] == "JWT"
    assert authorizer["AuthorizerType"] == "JWT"
    assert authorizer["IdentitySource"] == ["$request.header.Authorization"]
    assert authorizer["JwtConfiguration"]["Audience"] == [{"Ref": client_id}]
    # ProviderURL is `cognito-idp.<region>.amazonaws.com/<pool id>`: the pool's token issuer.
    assert authorizer["JwtConfiguration"]["Issuer"] == {
        "Fn::Join": ["", ["https://", {"Fn::GetAtt": [pool_id, "ProviderURL"]}]]
    }


def test_default_stage_writes_access_logs_and_is_throttled(resources: Resources) -> None:
    _, stage = only(resources, "AWS::ApiGatewayV2::Stage")
    assert stage["StageName"] == "$default"
    assert stage["AutoDeploy"] is True
    assert resources[str(ref_of(stage["AccessLogSettings"]["DestinationArn"]))]["Type"] == ("AWS::Logs::LogGroup")
    assert "$context.requestId" in stage["AccessLogSettings"]["Format"]
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0


def test_user_pool_has_the_role_groups_and_an_admin_only_department(resources: Resources) -> None:
    _, pool = only(resources, "AWS::Cognito::UserPool")
    _, client = only(resources, "AWS::Cognito::UserPoolClient")
    groups = {g["GroupName"] for g in of_type(resources, "AWS::Cognito::UserPoolGroup").values()}

    assert groups == GROUPS
    assert {"Name": "department", "AttributeDataType": "String", "Mutable": True} in [
        {k: a.get(k) for k in ("Name", "AttributeDataType", "Mutable")} for a in pool["Schema"]
    ]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert "custom:department" in client["ReadAttributes"]
    assert "custom:department" not in client["WriteAttributes"]
    assert "GenerateSecret" not in client or client["GenerateSecret"] is False


def test_outputs_name_the_api_url_and_the_user_pool(template: Template) -> None:
    outputs = template.to_json()["Outputs"]
    assert {"ApiUrl", "UserPoolId"} <= set(outputs)


# --- code asset and layer -------------------------------------------------------------------


def asset_dir(app: App, code: dict[str, Any]) -> Path:
    return Path(app.outdir) / f"asset.{code['S3Key'].removesuffix('.zip')}"


def test_functions_share_one_asset_holding_only_runtime_packages(app: App, resources: Resources) -> None:
    keys = {p["Code"]["S3Key"] for p in functions(resources).values()}
    assert len(keys) == 1
    root = asset_dir(app, next(iter(functions(resources).values()))["Code"])

    assert {p.name for p in root.iterdir()} == {"shared", "functions"}
    assert (root / "shared" / "resources.py").is_file()
    unwanted = {"tests", "infra", "embedded", "__pycache__"}
    assert not [p for p in root.rglob("*") if p.is_dir() and p.name in unwanted]
    assert not list(root.rglob("*.pyc"))


def test_offline_synth_uses_a_placeholder_layer(app: App, resources: Resources) -> None:
    _, layer = only(resources, "AWS::Lambda::LayerVersion")
    assert layer["CompatibleArchitectures"] == ["arm64"]
    assert layer["CompatibleRuntimes"] == ["python3.12"]
    root = asset_dir(app, layer["Content"])
    assert [p.relative_to(root).as_posix() for p in root.rglob("*")] == [
        "python",
        f"python/{bundle.PLACEHOLDER}",
    ]


def fake_project(root: Path) -> Path:
    for name in (
        "shared/__init__.py",
        "shared/__pycache__/x.cpython-311.pyc",
        "shared/crypto/tests/test_x.py",
        "functions/api/handler.py",
        "functions/api/__pycache__/handler.cpython-311.pyc",
        "infra/stack.py",
        "embedded/cli.py",
        "tests/unit/test_x.py",
    ):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("")
    (root / "pyproject.toml").write_text('[project]\ndependencies = ["pydantic>=2", "httpx"]\n')
    return root


def test_bundle_copies_runtime_packages_only_and_never_runs_pip_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_pip(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("offline synth must not install anything")

    monkeypatch.setattr(subprocess, "run", no_pip)
    prepared = bundle.prepare(fake_project(tmp_path / "src"), tmp_path / "out", build_layer=False)

    files = sorted(p.relative_to(prepared.code).as_posix() for p in prepared.code.rglob("*") if p.is_file())
    assert files == ["functions/api/handler.py", "shared/__init__.py"]
    assert not prepared.layer_built


def test_bundle_builds_the_layer_for_lambda_arm64_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    monkeypatch.setattr(subprocess, "run", lambda argv, **kwargs: calls.append(argv))
    prepared = bundle.prepare(fake_project(tmp_path / "src"), tmp_path / "out", build_layer=True)

    assert len(calls) == 1
    argv = calls[0]
    assert argv[argv.index("--target") + 1] == str(prepared.layer / "python")
    assert argv[argv.index("--python-version") + 1] == "3.12"
    assert "manylinux2014_aarch64" in argv
    assert "--only-binary=:all:" in argv
    assert argv[-2:] == ["pydantic>=2", "httpx"]

"""cdk-nag's AWS Solutions checks over the hirelens stack: every finding is fixed or acknowledged here.

A new finding fails this test; acknowledge it below only with the reason the design accepts it.
Nag runs in its own synth: with its plugin attached, `Template.from_stack` raises.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

from infra.app import STACK_NAME, build_app

PUBLIC_ROUTES = ("POST--v1--webhooks--{vendor}", "GET--v1--health", "GET--v1--openapi.json")


def find(stack: Stack, path: str) -> IConstruct:
    node: IConstruct = stack
    for part in path.split("/"):
        node = node.node.find_child(part)
    return node


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    Validations.of(scope).acknowledge(Acknowledgment(id=f"AwsSolutions::AwsSolutions-{rule}", reason=reason))


def accept_design_decisions(stack: Stack) -> None:
    def arn(path: str) -> str:
        element = find(stack, path).node.default_child
        return f"<{stack.get_logical_id(element)}.Arn>"  # type: ignore[arg-type]

    functions = find(stack, "Functions")
    acknowledge(functions, "L1", "Python 3.12 is the runtime the code and its dependency layer target.")
    # Wildcards below come from CDK grant_* methods, each scoped to one resource of this stack.
    for rule, reason in {
        "IAM5[Resource::*]": "X-Ray PutTraceSegments/PutTelemetryRecords accept no resource but '*'.",
        "IAM5[Action::kms:GenerateDataKey*]": "CMK grant for tables/queues/bucket, on the one key only.",
        "IAM5[Action::kms:ReEncrypt*]": "CMK grant for tables/queues/bucket, on the one key only.",
        f"IAM5[Resource::{arn('Storage/Main')}/index/*]": "Queries on the main table's own GSIs.",
        f"IAM5[Resource::{arn('Storage/Evidence')}/*]": "Objects of the evidence bucket only.",
        "IAM5[Action::s3:GetObject*]": "Bucket grant action family, on the evidence bucket only.",
        "IAM5[Action::s3:GetBucket*]": "Bucket grant action family, on the evidence bucket only.",
        "IAM5[Action::s3:List*]": "Bucket grant action family, on the evidence bucket only.",
        "IAM5[Action::s3:DeleteObject*]": "Bucket grant action family, on the evidence bucket only.",
        "IAM5[Action::s3:Abort*]": "Aborting its own multipart uploads, on the evidence bucket only.",
    }.items():
        acknowledge(functions, rule, reason)
    for route in PUBLIC_ROUTES:
        acknowledge(
            find(stack, f"Api/Http/{route}"),
            "APIG4",
            "Webhooks are HMAC-signed per vendor; health and the OpenAPI document are open.",
        )
    review_role = find(stack, "Review/StateMachine/Role")
    acknowledge(review_role, "IAM5[Resource::*]", "Step Functions' log delivery and X-Ray accept no resource but '*'.")
    acknowledge(review_role, "IAM5[Action::kms:GenerateDataKey*]", "Sends to the KMS-encrypted workflow queue only.")
    acknowledge(
        find(stack, "Workflow/SchedulerRole"),
        "IAM5[Resource::<FunctionsRemindersE98738E0.Arn>:*]",
        "EventBridge Scheduler invokes the reminders function (any version) and nothing else.",
    )
    acknowledge(
        find(stack, "Functions/ImporterRole"),
        f"IAM5[Resource::{arn('Storage/Evidence')}/imports/*]",
        "The importer reads and deletes uploaded import files only, never the rest of the evidence bucket.",
    )
    accept_channels_and_recovery(stack, arn)
    retention = stack.get_logical_id(find(stack, "Functions/Retention").node.default_child)  # type: ignore[arg-type]
    acknowledge(
        find(stack, "Protection/SchedulerRole"),
        f"IAM5[Resource::<{retention}.Arn>:*]",
        "EventBridge Scheduler invokes the retention sweep (any version) and nothing else.",
    )
    notifications = next(c for c in stack.node.children if c.node.id.startswith("BucketNotificationsHandler"))
    acknowledge(
        notifications,
        "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
        "CDK's own bucket-notification custom resource (runs at deploy time only, writes its logs).",
    )
    users = find(stack, "Api/Users")
    acknowledge(users, "COG2", "Candidates sign in too; MFA stays optional until staff-only MFA is enforced.")
    acknowledge(users, "COG8", "Plus-tier threat protection is a cost decision, not taken yet.")
    acknowledge(
        find(stack, "Storage/Keys"),
        "DDB3",
        "Crypto-shredding: a deleted data key must not be restorable from a point-in-time backup.",
    )
    acknowledge(
        find(stack, "Storage/Evidence"),
        "S1",
        "Object access is audited by the application's audit trail; no second log bucket yet.",
    )


def accept_channels_and_recovery(stack: Stack, arn: Any) -> None:
    """API pull, media copies (docs/api-pull.md, docs/media.md)."""
    secrets = "arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:hirelens/vendor-pull/*"
    for role in ("Functions/ApiRole", "Functions/PullerRole"):
        acknowledge(
            find(stack, role),
            f"IAM5[Resource::{secrets}]",
            "One secret per vendor under the vendor-pull name prefix (Secrets Manager adds a random suffix).",
        )
    for prefix in ("raw", "quarantine"):
        acknowledge(
            find(stack, "Functions/PullerRole"),
            f"IAM5[Resource::{arn('Storage/Evidence')}/{prefix}/*]",
            "The puller writes pulled bodies where webhooks put theirs, nothing else in the bucket.",
        )
    acknowledge(
        find(stack, "Functions/MediaRole"),
        f"IAM5[Resource::{arn('Storage/Evidence')}/media/*]",
        "The media function writes (and aborts, deletes) media copies only.",
    )
    acknowledge(
        find(stack, "Api/Http/GET--v1--media--{token}"),
        "APIG4",
        "Media links carry an HMAC token with a 15-minute expiry, checked by the function (docs/media.md).",
    )
    puller = stack.get_logical_id(find(stack, "Functions/Puller").node.default_child)  # type: ignore[arg-type]
    acknowledge(
        find(stack, "Pull/SchedulerRole"),
        f"IAM5[Resource::<{puller}.Arn>:*]",
        "EventBridge Scheduler invokes the puller function (any version) and nothing else.",
    )


def test_aws_solutions_checks_pass(tmp_path: Path) -> None:
    app = build_app(tmp_path / "cdk.out", build_layer=False)
    accept_design_decisions(app.node.find_child(STACK_NAME))  # type: ignore[arg-type]
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))

    app.synth()  # raises with every unacknowledged finding

"""The one factory for hirelens' Lambda functions: same code asset, layer, runtime and observability."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Annotations, Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.bundle import LAMBDA_PYTHON_VERSION, Bundle
from shared.settings import Settings

RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE = lambda_.Architecture.ARM_64
SERVICE_NAME = "hirelens"
LOG_RETENTION = logs.RetentionDays.ONE_MONTH

if RUNTIME.name != f"python{LAMBDA_PYTHON_VERSION}":  # the layer's wheels are built for that Python
    raise RuntimeError(f"{RUNTIME.name} does not match the layer's Python {LAMBDA_PYTHON_VERSION}")


def settings_environment(values: Mapping[str, str]) -> dict[str, str]:
    """`HIRELENS_<FIELD>` variables for `Settings.from_env`, refusing a required field left out.

    Every function gets every required setting: `Settings` fails at start without one. What a
    function may do with a resource is decided by its role's grants, not by what it can name.
    """
    unknown = set(values) - set(Settings.model_fields)
    missing = {name for name, field in Settings.model_fields.items() if field.is_required()} - set(values)
    if unknown or missing:
        raise ValueError(f"settings environment: unknown {sorted(unknown)}, missing {sorted(missing)}")
    return {f"HIRELENS_{name.upper()}": value for name, value in values.items()}


class FunctionFactory(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, bundle: Bundle, environment: Mapping[str, str]) -> None:
        super().__init__(scope, construct_id)
        self._bundle = bundle
        # One asset for every function: a folder copy, so synth never imports a handler.
        self._code = lambda_.Code.from_asset(str(bundle.code))
        self._layer = lambda_.LayerVersion(
            self,
            "Dependencies",
            code=lambda_.Code.from_asset(str(bundle.layer)),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="hirelens runtime dependencies (pyproject [project].dependencies)",
        )
        if not bundle.layer_built:
            Annotations.of(self._layer).add_warning_v2(
                "hirelens:placeholder-layer",
                "Dependency layer is a placeholder: set HIRELENS_BUILD_LAYER=1 before `cdk deploy`.",
            )
        self._environment = {
            "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
            "POWERTOOLS_METRICS_NAMESPACE": SERVICE_NAME,
            **environment,
        }

    def function(
        self,
        construct_id: str,
        *,
        handler: str,
        description: str,
        timeout: Duration,
        memory_size: int = 512,
    ) -> lambda_.Function:
        """A function running `handler` (module path relative to the asset root + attribute)."""
        log_group = logs.LogGroup(self, f"{construct_id}Logs", retention=LOG_RETENTION)
        # Its own role, without AWSLambdaBasicExecutionRole (logs on every group): this log group only.
        role = iam.Role(self, f"{construct_id}Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        log_group.grant_write(role)
        function = lambda_.Function(
            self,
            construct_id,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            code=self._code,
            handler=handler,
            layers=[self._layer],
            description=description,
            timeout=timeout,
            memory_size=memory_size,
            environment=self._environment,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=log_group,
            role=role,
        )
        module = handler.rpartition(".")[0]
        if not (self._bundle.code / f"{module.replace('.', '/')}.py").is_file():
            Annotations.of(function).add_warning_v2(
                "hirelens:missing-handler", f"handler module {module} is not in the code asset yet"
            )
        return function

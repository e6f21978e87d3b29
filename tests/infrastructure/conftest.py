"""Shared set-up for the CDK tests: keep jsii's cache inside the project, silence its banner."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Read once, when the first `aws_cdk` import starts the jsii runtime: set before any test module.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_RUNTIME_PACKAGE_CACHE_ROOT", str(ROOT / ".cache" / "jsii"))
os.environ.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")


# One synthesis for the whole session (each takes seconds): every module reads the same stack.
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def cdk_app(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from infra.app import build_app

    return build_app(tmp_path_factory.mktemp("cdk.out"), build_layer=False)


@pytest.fixture(scope="session")
def cdk_template(cdk_app):  # type: ignore[no-untyped-def]
    from aws_cdk.assertions import Template

    from infra.app import STACK_NAME

    return Template.from_stack(cdk_app.node.find_child(STACK_NAME))


@pytest.fixture(scope="session")
def resources(cdk_template):  # type: ignore[no-untyped-def]
    return dict(cdk_template.to_json()["Resources"])

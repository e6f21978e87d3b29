"""Shared set-up for the CDK tests: keep jsii's cache inside the project, silence its banner."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Read once, when the first `aws_cdk` import starts the jsii runtime: set before any test module.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_RUNTIME_PACKAGE_CACHE_ROOT", str(ROOT / ".cache" / "jsii"))
os.environ.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")

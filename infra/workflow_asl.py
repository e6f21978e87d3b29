"""The review state machine's definition (ASL) as CDK synthesizes it, for the embedded stack.

`definition()` synthesizes infra/constructs/workflow.py's `ReviewStateMachine` in a throwaway
stack and renders its `DefinitionString` with the CloudFormation references left as
`${Placeholders}`; `render(asl, queue_url=...)` fills them with local values. So the local stack
runs the very definition CDK deploys. The result is cached under `.cache/asl/`, keyed by the
sources it is built from and the CDK version, so only the first start after a change pays the
synth (a few seconds of jsii).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOURCES = (ROOT / "infra" / "constructs" / "workflow.py", ROOT / "shared" / "workflow" / "transitions.py")
QUEUE_URL = "${WorkflowQueueUrl}"
_STACK = "HirelensWorkflowAsl"
_QUEUE_ID = "WorkflowQueue"


def _cache_file() -> Path:
    digest = hashlib.sha256()
    for src in SOURCES:
        digest.update(src.read_bytes())
    digest.update(metadata.version("aws-cdk-lib").encode())
    base = Path(os.environ.get("HIRELENS_CACHE_DIR") or ROOT / ".cache")
    return base / "asl" / f"review-{digest.hexdigest()[:16]}.json"


def definition(*, use_cache: bool = True) -> str:
    """The ASL with `${WorkflowQueueUrl}` where the workflow queue's URL goes."""
    cache = _cache_file()
    if use_cache and cache.is_file():
        return cache.read_text(encoding="utf-8")
    asl = synthesize()
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(asl, encoding="utf-8")
    except OSError:  # a read-only checkout still works, it just synthesizes every time
        pass
    return asl


def synthesize() -> str:
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    os.environ.setdefault("JSII_RUNTIME_PACKAGE_CACHE_ROOT", str(ROOT / ".cache" / "jsii"))
    os.environ.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")
    from aws_cdk import App, Stack
    from aws_cdk import aws_sqs as sqs

    from infra.constructs.workflow import ReviewStateMachine

    with tempfile.TemporaryDirectory(prefix="hirelens-asl-") as out:
        app = App(outdir=out)
        stack = Stack(app, _STACK)
        queue = sqs.Queue(stack, _QUEUE_ID)
        ReviewStateMachine(stack, "Review", queue=queue)
        template = app.synth().get_stack_by_name(_STACK).template
        queue_lid = stack.get_logical_id(queue.node.default_child)  # type: ignore[arg-type]
    return from_template(template, {queue_lid: QUEUE_URL})


def from_template(template: dict[str, Any], refs: dict[str, str]) -> str:
    """The one state machine's DefinitionString, with `Ref`s named in `refs` replaced."""
    machines = [r for r in template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    if len(machines) != 1:
        raise ValueError(f"expected one state machine, found {len(machines)}")
    body = machines[0]["Properties"]["DefinitionString"]
    if isinstance(body, str):
        return body
    parts = body["Fn::Join"][1]
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif "Ref" in part and part["Ref"] in refs:
            out.append(refs[part["Ref"]])
        elif part == {"Ref": "AWS::Partition"}:
            out.append("${Partition}")
        else:
            raise ValueError(f"unexpected reference in the definition: {part}")
    return "".join(out)


def render(asl: str, *, queue_url: str, partition: str = "aws") -> str:
    text = asl.replace(QUEUE_URL, queue_url).replace("${Partition}", partition)
    json.loads(text)  # still one JSON document
    return text

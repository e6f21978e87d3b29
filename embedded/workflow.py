"""The review state machine on moto: the definition CDK synthesizes (infra/workflow_asl.py),
its queue reference pointed at the local workflow queue. moto runs it for real
(`execute_state_machine`, set in embedded/aws.py); its waitForTaskToken messages reach our
workflow function through the same kind of poller as every other queue."""

from __future__ import annotations

from typing import Any

from shared.settings import Settings

STATE_MACHINE_NAME = "hirelens-review"
# moto does not assume roles; the ARN only has to be well-formed
ROLE_ARN = "arn:aws:iam::123456789012:role/hirelens-review-workflow"


def provision(session: Any, settings: Settings) -> Settings:
    """Create the state machine; the returned Settings carry its ARN."""
    from infra.workflow_asl import definition, render

    asl = render(definition(), queue_url=settings.workflow_queue_url)
    arn = session.client("stepfunctions").create_state_machine(
        name=STATE_MACHINE_NAME,
        definition=asl,
        roleArn=ROLE_ARN,
        type="STANDARD",
        tracingConfiguration={"enabled": True},
    )["stateMachineArn"]
    return settings.model_copy(update={"state_machine_arn": arn})

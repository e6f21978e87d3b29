"""A department's notification channels (hr_admin): chat robots, signed webhooks, e-mail."""

from __future__ import annotations

import time
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from functions.api.context import principal, problems
from shared.authz.policy import Action, authorize
from shared.notify.models import ChannelsIn
from shared.services.intake import iso
from shared.wiring import services

router = Router()

Department = Annotated[str, Path(min_length=1, max_length=100)]


@router.put(
    "/departments/<department>/channels",
    summary="Set a department's notification channels",
    tags=["process"],
    description="Replaces the list. Kinds: `webhook` (Standard Webhooks signed; a `whsec_` secret is "
    "generated when none is given and returned once), `wecom`, `dingtalk`, `feishu`, `slack` "
    "(incoming-webhook URLs; DingTalk/Feishu `secret` signs), `email` (`to`, sent through SES). "
    "`audience`: `hr` (reminders), `interviewers` (second-interview briefings). URLs and secrets "
    "are stored KMS-sealed and never shown again.",
    responses=problems(422),
)
def put_channels(department: Department, body: ChannelsIn) -> dict[str, Any]:
    who = principal(router)
    authorize(who, Action.CHANNEL_MANAGE)
    s = services()
    now = iso(time.time())
    s.departments.register(department, now)
    stored = s.channels.put(department, body.channels, by=who.sub, at=now)
    return {**stored["view"], "generated_secrets": stored["generated_secrets"]}


@router.get(
    "/departments/<department>/channels",
    summary="A department's channels and how their last deliveries went",
    tags=["process"],
    responses=problems(422),
)
def get_channels(department: Department) -> dict[str, Any]:
    authorize(principal(router), Action.CHANNEL_MANAGE)
    return services().channels.view(department)

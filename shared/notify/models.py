"""Notification channels a department configures, and the notices hirelens sends through them."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ChannelKind = Literal["webhook", "wecom", "dingtalk", "feishu", "slack", "email"]
Audience = Literal["hr", "interviewers"]
AUDIENCES: tuple[Audience, ...] = ("hr", "interviewers")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,}$")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ChannelIn(BaseModel):
    """One channel as `PUT /v1/departments/{dept}/channels` takes it. `url`, `secret` and `to` are
    secrets (incoming-webhook URLs carry their access token): stored KMS-sealed, never shown again."""

    model_config = ConfigDict(extra="forbid")
    kind: ChannelKind
    name: str | None = Field(default=None, max_length=60)
    url: str | None = Field(default=None, max_length=2000)
    # webhook: a whsec_ signing secret (generated when left out); dingtalk/feishu: the bot's signing secret
    secret: str | None = Field(default=None, max_length=200)
    to: list[str] = Field(default_factory=list, max_length=20)  # email recipients
    audience: list[Audience] = Field(default_factory=lambda: list(AUDIENCES), min_length=1)
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _https(cls, url: str | None) -> str | None:
        if url is None:
            return None
        parts = urlsplit(url)
        if not parts.hostname:
            raise ValueError("url needs a host")
        # plain http only to this machine (local receivers, tests); everything else over TLS
        if parts.scheme != "https" and not (parts.scheme == "http" and _loopback(parts.hostname)):
            raise ValueError("url must be https")
        return url

    @field_validator("to")
    @classmethod
    def _emails(cls, to: list[str]) -> list[str]:
        bad = [a for a in to if not EMAIL.match(a)]
        if bad:
            raise ValueError(f"{len(bad)} address(es) are not e-mail addresses")
        return to

    @model_validator(mode="after")
    def _complete(self) -> ChannelIn:
        if self.kind == "email":
            if not self.to:
                raise ValueError("an email channel needs `to`")
        elif not self.url:
            raise ValueError(f"a {self.kind} channel needs `url`")
        if self.kind == "webhook" and self.secret is not None and not self.secret.startswith("whsec_"):
            raise ValueError("a webhook secret is a whsec_ secret")
        return self


class ChannelsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channels: list[ChannelIn] = Field(max_length=10)


@dataclass(frozen=True)
class Channel:
    """A stored channel with its secrets opened (only ever in memory, in the notifier)."""

    channel_id: str
    kind: str
    name: str
    audience: tuple[str, ...]
    enabled: bool
    url: str | None = None
    secret: str | None = None
    to: tuple[str, ...] = ()


@dataclass(frozen=True)
class Notice:
    """What is said, once, in every channel's format. Carries no name, e-mail or phone: ids, job,
    scores and a link into hirelens, where the reader signs in to see the person (docs/workflow.md)."""

    event: str  # second_interview | reminder.unviewed | reminder.expiring
    department: str
    audience: str  # hr | interviewers
    title: str
    lines: tuple[str, ...]
    link: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        body = "\n".join((self.title, *self.lines))
        return f"{body}\n{self.link}" if self.link else body


@dataclass(frozen=True)
class Delivery:
    channel_id: str
    kind: str
    ok: bool
    attempts: int
    status: int | None = None
    error: str | None = None

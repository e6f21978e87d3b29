"""The whole hirelens stack on 127.0.0.1: moto, resources, functions, pollers, front door."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import boto3

from embedded.aws import MotoServer, aws_env, create_resources
from embedded.frontdoor import FrontDoor
from embedded.poller import QueuePoller
from embedded.runtime import FUNCTIONS, LocalFunction
from embedded.timer import Timer
from embedded.workflow import provision as provision_workflow
from shared.observability import logger
from shared.resources import IMPORT_QUEUE, INGEST_QUEUE, MEDIA_QUEUE, SCORE_QUEUE, WORKFLOW_QUEUE
from shared.settings import Settings
from shared.wiring import reset

PULL_TICK_S = 30.0


@dataclass
class EmbeddedStack:
    host: str = "127.0.0.1"
    port: int = 8000
    moto: MotoServer = field(default_factory=MotoServer)
    functions: dict[str, LocalFunction] = field(default_factory=dict)
    pollers: list[QueuePoller] = field(default_factory=list)
    timers: dict[str, Timer] = field(default_factory=dict)
    settings: Settings | None = None
    frontdoor: FrontDoor | None = None

    @property
    def url(self) -> str:
        assert self.frontdoor is not None
        return f"http://{self.host}:{self.frontdoor.port}"

    def session(self) -> boto3.session.Session:
        return boto3.session.Session(region_name=os.environ["AWS_REGION"])

    def start(self) -> EmbeddedStack:
        endpoint = self.moto.start()
        os.environ.update(aws_env(endpoint, self.moto.port))
        self.settings = create_resources(self.session())
        # the review state machine, from the definition CDK synthesizes (embedded/workflow.py)
        self.settings = provision_workflow(self.session(), self.settings)
        # local vendors' media live on this machine: the cloud refuses private addresses (docs/media.md)
        self.settings = self.settings.model_copy(update={"media_allow_private_networks": True})
        os.environ.update(self.settings.to_env())
        reset()
        logger.setLevel(os.environ.get("HIRELENS_LOG_LEVEL", "WARNING"))
        self.functions = {name: LocalFunction(name, handler) for name, handler in FUNCTIONS.items()}
        sqs = self.session().client("sqs")
        self.pollers = [
            QueuePoller(sqs, self.settings.ingest_queue_url, self.functions["consumer"], INGEST_QUEUE.batch_size),
            QueuePoller(sqs, self.settings.score_queue_url, self.functions["score"], SCORE_QUEUE.batch_size),
            QueuePoller(sqs, self.settings.media_queue_url, self.functions["media"], MEDIA_QUEUE.batch_size),
            QueuePoller(sqs, self.settings.workflow_queue_url, self.functions["workflow"], WORKFLOW_QUEUE.batch_size),
            QueuePoller(sqs, self.settings.import_queue_url, self.functions["importer"], IMPORT_QUEUE.batch_size),
        ]
        for p in self.pollers:
            p.start()
        # EventBridge's schedule: the puller only pulls vendors whose interval has elapsed
        self.timers = {"puller": Timer(self.functions["puller"], PULL_TICK_S)}
        self.timers["reminders"] = Timer(self.functions["reminders"], self.settings.reminder_interval_s)
        # the daily retention sweep (docs/erasure.md); `tick()` runs it at once
        self.timers["retention"] = Timer(self.functions["retention"], self.settings.retention_sweep_interval_s)
        for t in self.timers.values():
            t.start()
        self.frontdoor = FrontDoor(self.functions["api"], self.functions["webhook"], self.host, self.port)
        self.frontdoor.start()
        return self

    def stop(self) -> None:
        if self.frontdoor:
            self.frontdoor.stop()
        for t in self.timers.values():
            t.stop()
        for p in self.pollers:
            p.stop()
        for f in self.functions.values():
            f.shutdown()
        self.moto.stop()

    def __enter__(self) -> EmbeddedStack:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

"""DLQ redrive: messages that failed five times go back to their work queue (docs/recovery.md).

SQS's own StartMessageMoveTask does the same in AWS, but moto lacks it, and one code path
for the cloud (API route, Lambda) and the local stack (`hirelens redrive`) is worth more:
receive from the DLQ → send to the source queue → delete from the DLQ. A crash between
the send and the delete leaves a copy in both; the consumers are idempotent, so at worst a
message is processed twice with one effect.
"""

from __future__ import annotations

import json
from typing import Any

from shared.errors import NotFound
from shared.observability import logger
from shared.resources import QUEUES
from shared.settings import Settings

DEFAULT_CAP = 10_000  # one redrive run moves at most this many messages per queue
_ATTR_KEYS = ("DataType", "StringValue", "BinaryValue")


def work_queues(settings: Settings) -> dict[str, str]:
    """Queue name (`ingest`, `score`, ...) → URL, for every queue declared in shared/resources.py."""
    out = {}
    for field_name, spec in QUEUES.items():
        url = getattr(settings, field_name, "")
        if url:
            out[spec.logical_id.lower()] = url
    return out


class Redriver:
    def __init__(self, sqs: Any, queues: dict[str, str]) -> None:
        self._sqs = sqs
        self.queues = queues
        self._dlqs: dict[str, str] = {}

    def _source(self, name: str) -> str:
        if name not in self.queues:
            raise NotFound(f"no queue named {name!r}; known: {', '.join(sorted(self.queues))}")
        return self.queues[name]

    def dlq_url(self, name: str) -> str:
        """Found through the source queue's RedrivePolicy, so CDK's generated names need no setting."""
        if name not in self._dlqs:
            attrs = self._sqs.get_queue_attributes(QueueUrl=self._source(name), AttributeNames=["RedrivePolicy"])
            arn = json.loads(attrs["Attributes"]["RedrivePolicy"])["deadLetterTargetArn"]
            _, _, _, _, account, queue_name = arn.split(":", 5)
            self._dlqs[name] = self._sqs.get_queue_url(QueueName=queue_name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        return self._dlqs[name]

    def counts(self) -> list[dict[str, Any]]:
        out = []
        for name in sorted(self.queues):
            attrs = self._sqs.get_queue_attributes(
                QueueUrl=self.dlq_url(name),
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            out.append(
                {
                    "queue": name,
                    "messages": int(attrs.get("ApproximateNumberOfMessages", 0)),
                    "in_flight": int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
                }
            )
        return out

    def redrive(self, name: str | None = None, max_messages: int | None = None) -> dict[str, int]:
        """Move up to `max_messages` per queue (every queue when `name` is None); counts moved."""
        names = [name] if name else sorted(self.queues)
        for n in names:
            self._source(n)
        return {n: self._move(n, max_messages or DEFAULT_CAP) for n in names}

    def _move(self, name: str, limit: int) -> int:
        source, dlq = self._source(name), self.dlq_url(name)
        moved = 0
        while moved < limit:
            out = self._sqs.receive_message(
                QueueUrl=dlq,
                MaxNumberOfMessages=min(10, limit - moved),
                WaitTimeSeconds=1,  # long polling asks every SQS server: an empty answer means empty
                VisibilityTimeout=60,
                MessageAttributeNames=["All"],
            )
            messages = out.get("Messages", [])
            if not messages:
                break
            entries = []
            for i, m in enumerate(messages):
                entry: dict[str, Any] = {"Id": str(i), "MessageBody": m["Body"]}
                attrs = {
                    k: {a: v[a] for a in _ATTR_KEYS if a in v} for k, v in (m.get("MessageAttributes") or {}).items()
                }
                if attrs:
                    entry["MessageAttributes"] = attrs
                entries.append(entry)
            sent = self._sqs.send_message_batch(QueueUrl=source, Entries=entries)
            ok = {e["Id"] for e in sent.get("Successful", [])}
            if ok:
                self._sqs.delete_message_batch(
                    QueueUrl=dlq,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                        for i, m in enumerate(messages)
                        if str(i) in ok
                    ],
                )
            moved += len(ok)
            if sent.get("Failed"):  # left in the DLQ; visible again in a minute
                logger.warning("redrive send failed", extra={"queue": name, "failed": len(sent["Failed"])})
                break
        logger.info("dlq redriven", extra={"queue": name, "moved": moved})
        return moved

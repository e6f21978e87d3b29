"""The local SQS event source mapping: receives real batches from moto and feeds a consumer.

Like Lambda's: successful records are deleted, failed ones (batchItemFailures) become
visible again after a short delay, and moto moves them to the DLQ after maxReceiveCount.
"""

from __future__ import annotations

import threading
from typing import Any

from embedded.gate import GATE
from embedded.runtime import LocalFunction
from shared.observability import logger

RETRY_DELAY_S = 1


class QueuePoller:
    def __init__(self, sqs: Any, queue_url: str, function: LocalFunction, batch_size: int = 10) -> None:
        self.sqs, self.queue_url, self.function, self.batch_size = sqs, queue_url, function, batch_size
        self.arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"poll-{function.name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _records(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": m.get("MessageAttributes", {}),
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": self.arn,
                "awsRegion": "eu-central-1",
            }
            for m in messages
        ]

    def poll_once(self, wait_s: int = 1) -> int:
        out = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=wait_s,
            AttributeNames=["All"],
        )
        messages = out.get("Messages", [])
        if not messages:
            return 0
        try:
            result = self.function.invoke({"Records": self._records(messages)}) or {}
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        except Exception:
            logger.exception("consumer invocation failed", extra={"function": self.function.name})
            failed = {m["MessageId"] for m in messages}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        for m in messages:
            if m["MessageId"] in failed:
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=RETRY_DELAY_S
                )
        return len(messages)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with GATE.work():  # held back while an in-process test runs (embedded/gate.py)
                    self.poll_once()
            except Exception:
                logger.exception("poller error", extra={"function": self.function.name})
                self._stop.wait(1)

"""The one declaration of hirelens' AWS resource shapes.

CDK (infra/), the embedded stack (embedded/) and the tests all build tables and queues
from these specs, so key names and indexes are never written twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Index:
    name: str
    pk: str
    sk: str


@dataclass(frozen=True)
class TableSpec:
    logical_id: str
    pk: str
    sk: str | None = None
    indexes: tuple[Index, ...] = ()
    ttl_attribute: str | None = None
    # keys table: no point-in-time recovery, so a deleted data key is gone for good
    point_in_time_recovery: bool = True

    def create_table_kwargs(self, table_name: str) -> dict[str, Any]:
        """Arguments for boto3 `create_table` (embedded stack and tests)."""
        attrs = {self.pk}
        schema = [{"AttributeName": self.pk, "KeyType": "HASH"}]
        if self.sk:
            attrs.add(self.sk)
            schema.append({"AttributeName": self.sk, "KeyType": "RANGE"})
        gsis = []
        for ix in self.indexes:
            attrs.update({ix.pk, ix.sk})
            gsis.append(
                {
                    "IndexName": ix.name,
                    "KeySchema": [
                        {"AttributeName": ix.pk, "KeyType": "HASH"},
                        {"AttributeName": ix.sk, "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            )
        kwargs: dict[str, Any] = {
            "TableName": table_name,
            "KeySchema": schema,
            "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in sorted(attrs)],
            "BillingMode": "PAY_PER_REQUEST",
        }
        if gsis:
            kwargs["GlobalSecondaryIndexes"] = gsis
        return kwargs


# Main table: single-table design, documented in docs/storage.md.
MAIN_TABLE = TableSpec(
    logical_id="Main",
    pk="pk",
    sk="sk",
    indexes=(
        Index("gsi1", "gsi1pk", "gsi1sk"),  # candidates of a job, best match first
        Index("gsi2", "gsi2pk", "gsi2sk"),  # collections: vendors, jobs, quarantine
        Index("gsi3", "gsi3pk", "gsi3sk"),  # inbox: unreviewed results by department, oldest first
    ),
    ttl_attribute="expires_at",
)
# Wrapped data keys (per candidate, per raw event) and the keyring's branch keys.
KEYS_TABLE = TableSpec(logical_id="Keys", pk="pk", point_in_time_recovery=False)
# Powertools idempotency records for queue consumers.
IDEMPOTENCY_TABLE = TableSpec(logical_id="Idempotency", pk="id", ttl_attribute="expiration")

TABLES = {
    "table_name": MAIN_TABLE,
    "keys_table_name": KEYS_TABLE,
    "idempotency_table_name": IDEMPOTENCY_TABLE,
}


@dataclass(frozen=True)
class QueueSpec:
    logical_id: str
    visibility_timeout_s: int
    max_receive_count: int = 5
    batch_size: int = 10
    extra: dict[str, str] = field(default_factory=dict)


INGEST_QUEUE = QueueSpec("Ingest", visibility_timeout_s=60)
SCORE_QUEUE = QueueSpec("Score", visibility_timeout_s=60)
# Media copies: a 200 MiB fetch may take minutes, so the message stays invisible meanwhile.
MEDIA_QUEUE = QueueSpec("Media", visibility_timeout_s=360, batch_size=1)
# Review workflow: Step Functions' waitForTaskToken messages (ids and a task token) for its worker.
WORKFLOW_QUEUE = QueueSpec("Workflow", visibility_timeout_s=60)
# Batch imports: S3 "object created" events and the importer's own continuation messages, one
# per invocation; 6x the importer's 120 s timeout, as Lambda advises for SQS sources.
IMPORT_QUEUE = QueueSpec("Import", visibility_timeout_s=720, batch_size=1)
QUEUES = {
    "ingest_queue_url": INGEST_QUEUE,
    "score_queue_url": SCORE_QUEUE,
    "media_queue_url": MEDIA_QUEUE,
    "workflow_queue_url": WORKFLOW_QUEUE,
    "import_queue_url": IMPORT_QUEUE,
}

# Evidence bucket prefixes: raw webhook bodies, quarantined bodies, media, imports, exports.
RAW_PREFIX = "raw/"
QUARANTINE_PREFIX = "quarantine/"
EXPORT_PREFIX = "exports/"  # exports too large to answer inline; they expire after a day
MEDIA_PREFIX = "media/"
IMPORTS_PREFIX = "imports/"  # uploaded import files: imports/<import_id>/source.<csv|xlsx>

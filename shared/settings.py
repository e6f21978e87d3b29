"""Settings every function reads at start, from environment variables named HIRELENS_<FIELD>.

A missing required setting fails loudly when the settings are first loaded, never later.
"""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    table_name: str
    keys_table_name: str
    idempotency_table_name: str
    evidence_bucket: str
    kms_key_id: str
    ingest_queue_url: str
    score_queue_url: str
    region: str = "eu-central-1"

    max_webhook_bytes: int = 1024 * 1024
    signature_tolerance_s: int = 300
    secret_grace_s: int = 24 * 3600
    # hierarchical keyring: the branch key is cached this long, rotated after this many days
    branch_key_cache_s: int = 600
    branch_key_rotation_days: int = 90
    media_url_ttl_s: int = Field(default=900, le=900)
    idempotency_ttl_s: int = 14 * 24 * 3600
    page_limit_default: int = 50
    page_limit_max: int = 200
    # request bodies the HR API accepts (the webhook has its own limit above)
    max_api_body_bytes: int = 256 * 1024
    # the embedded stack's stand-in for the daily EventBridge schedule of the retention sweep
    retention_sweep_interval_s: int = 24 * 3600

    # the media copy queue (shared/resources.py QUEUES fills it in; empty: media links are kept as sent)
    media_queue_url: str = ""
    # API pull (docs/api-pull.md): credentials live in Secrets Manager under this name prefix
    pull_secret_prefix: str = "hirelens/vendor-pull/"  # noqa: S105 - a name prefix, not a secret
    pull_timeout_s: float = 10.0
    pull_max_attempts: int = 5
    pull_backoff_base_s: float = 0.5
    pull_backoff_max_s: float = 20.0
    pull_page_limit: int = 100
    pull_max_pages: int = 50
    # media copies (docs/media.md): fetched streamed, capped, client-side encrypted per candidate
    media_max_bytes: int = 200 * 1024 * 1024
    media_timeout_s: float = 30.0
    media_window_bytes: int = 3 * 1024 * 1024
    media_allow_private_networks: bool = False

    # review workflow (docs/workflow.md): filled in by CDK and the embedded stack; empty = not started
    workflow_queue_url: str = ""
    state_machine_arn: str = ""
    # reminders: an unviewed result older than this is reminded of; again every repeat (0 = once)
    reminder_after_s: int = 3 * 24 * 3600
    reminder_repeat_s: int = 0
    # a waiting result whose candidate is erased under the retention policy within this is reminded of
    expiry_warning_s: int = 7 * 24 * 3600
    # how often the embedded stack runs the reminders (EventBridge Scheduler does it hourly in AWS)
    reminder_interval_s: int = 3600
    # notifications: outbound HTTP per attempt, attempts per channel, and the SES sender
    notify_timeout_s: float = 5.0
    notify_attempts: int = 3
    notify_backoff_s: float = 0.5
    notify_email_from: str = "hirelens@example.com"
    # second-interview highlights compare with at most this many of the job's candidates
    highlight_population_max: int = 2000

    # batch import (docs/imports.md): the queue S3 notifies and the importer continues itself on
    import_queue_url: str = ""
    import_max_bytes: int = 100 * 1024 * 1024
    import_max_rows: int = 500_000
    import_upload_ttl_s: int = Field(default=900, le=3600)
    # a chunk stops at this many rows, or when the function has less than reserve_ms left
    import_chunk_rows: int = 5000
    import_reserve_ms: int = 10_000
    # rows stored at once by one importer invocation (each row is a dozen DynamoDB round trips);
    # the CDK stack sets 8, moto cannot take concurrent transactions (it deep-copies whole tables)
    import_workers: int = Field(default=1, ge=1, le=32)
    import_max_errors: int = 1000
    import_status_ttl_s: int = 30 * 24 * 3600

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values = {
            name: env[f"HIRELENS_{name.upper()}"] for name in cls.model_fields if f"HIRELENS_{name.upper()}" in env
        }
        if "region" not in values and env.get("AWS_REGION"):
            values["region"] = env["AWS_REGION"]
        try:
            return cls.model_validate(values)
        except ValidationError as exc:  # pragma: no cover - message only
            missing = [".".join(str(p) for p in e["loc"]) for e in exc.errors()]
            raise RuntimeError(f"hirelens settings invalid or missing: {missing}") from exc

    def to_env(self) -> dict[str, str]:
        return {f"HIRELENS_{k.upper()}": str(v) for k, v in self.model_dump().items()}


@cache
def get_settings() -> Settings:
    return Settings.from_env()

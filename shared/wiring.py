"""Builds the AWS clients and the ports around them, once per process, on first use.

Nothing here runs at import time. Tests and the embedded stack call `reset()` after
changing the environment.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import boto3
import httpx
from botocore.config import Config

from shared.audit.trail import AuditTrail
from shared.crypto.blind import BlindIndex
from shared.crypto.encryptor import Encryptor
from shared.crypto.keyring import BranchKeyring
from shared.crypto.medialinks import MediaLinks
from shared.notify.notifier import Notifier
from shared.resources import IMPORT_QUEUE
from shared.services.adjustments import ScoreAdjuster
from shared.services.analysis import AnalysisViews
from shared.services.annotations import Annotations
from shared.services.consent import ConsentService
from shared.services.erasure import CandidateEraser, ErasureGuard
from shared.services.exports import Exporter
from shared.services.feedback import FeedbackService
from shared.services.imports import ImportService
from shared.services.inbox import Inbox
from shared.services.intake import QueuePort, WebhookIntake
from shared.services.media import MediaCopier, MediaReader
from shared.services.processing import ResultProcessor
from shared.services.pull import PullPolicy, VendorPuller
from shared.services.redrive import Redriver, work_queues
from shared.services.reminders import Reminders, retention_expiry
from shared.services.replay import QuarantineReplay
from shared.services.retention import RetentionSweep
from shared.services.scoring import ApplicationScorer, JobRescoreFanout
from shared.services.selfview import SelfView
from shared.services.views import CandidateViews
from shared.services.workflow import ReviewWorkflow
from shared.settings import Settings, get_settings
from shared.storage.candidates import CandidateRepository
from shared.storage.channels import ChannelRepository
from shared.storage.company import CompanySettings
from shared.storage.departments import DepartmentRepository
from shared.storage.events import EventRepository
from shared.storage.evidence import EvidenceStore
from shared.storage.imports import ImportFileStore, ImportRepository
from shared.storage.jobs import JobRepository
from shared.storage.media import MediaStore
from shared.storage.pulls import PullRepository
from shared.storage.quarantine import QuarantineRepository
from shared.storage.secrets import SecretStore
from shared.storage.vendors import VendorRepository

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=3, read_timeout=10)


@dataclass
class Services:
    settings: Settings

    # -- clients -------------------------------------------------------------------
    @cached_property
    def session(self) -> boto3.session.Session:
        return boto3.session.Session(region_name=self.settings.region)

    @cached_property
    def ddb(self) -> Any:
        return self.session.resource("dynamodb", config=_CONFIG)

    @cached_property
    def kms(self) -> Any:
        return self.session.client("kms", config=_CONFIG)

    @cached_property
    def s3(self) -> Any:
        return self.session.client("s3", config=_CONFIG)

    @cached_property
    def sqs(self) -> Any:
        return self.session.client("sqs", config=_CONFIG)

    @cached_property
    def table(self) -> Any:
        return self.ddb.Table(self.settings.table_name)

    @cached_property
    def keys_table(self) -> Any:
        return self.ddb.Table(self.settings.keys_table_name)

    # -- ports -----------------------------------------------------------------------
    @cached_property
    def keyring(self) -> BranchKeyring:
        s = self.settings
        return BranchKeyring(
            self.kms,
            self.keys_table,
            s.kms_key_id,
            cache_s=s.branch_key_cache_s,
            rotation_days=s.branch_key_rotation_days,
        )

    @cached_property
    def encryptor(self) -> Encryptor:
        return Encryptor(self.keyring, self.keys_table)

    @cached_property
    def blind(self) -> BlindIndex:
        return BlindIndex(self.kms, self.keys_table, self.settings.kms_key_id)

    @cached_property
    def evidence(self) -> EvidenceStore:
        return EvidenceStore(self.s3, self.settings.evidence_bucket, self.settings.kms_key_id)

    @cached_property
    def vendors(self) -> VendorRepository:
        return VendorRepository(self.table, self.kms, self.settings.kms_key_id)

    @cached_property
    def events(self) -> EventRepository:
        return EventRepository(self.table)

    @cached_property
    def quarantine(self) -> QuarantineRepository:
        return QuarantineRepository(self.table)

    @cached_property
    def candidates(self) -> CandidateRepository:
        return CandidateRepository(self.table, self.encryptor, self.blind)

    @cached_property
    def jobs(self) -> JobRepository:
        return JobRepository(self.table)

    @cached_property
    def ingest_queue(self) -> QueuePort:
        return QueuePort(self.sqs, self.settings.ingest_queue_url)

    @cached_property
    def score_queue(self) -> QueuePort:
        return QueuePort(self.sqs, self.settings.score_queue_url)

    # -- services ----------------------------------------------------------------------
    @cached_property
    def intake(self) -> WebhookIntake:
        s = self.settings
        return WebhookIntake(
            vendors=self.vendors,
            events=self.events,
            quarantine=self.quarantine,
            evidence=self.evidence,
            encryptor=self.encryptor,
            queue=self.ingest_queue,
            max_bytes=s.max_webhook_bytes,
            tolerance_s=s.signature_tolerance_s,
        )

    @cached_property
    def processor(self) -> ResultProcessor:
        return ResultProcessor(
            vendors=self.vendors,
            candidates=self.candidates,
            jobs=self.jobs,
            evidence=self.evidence,
            encryptor=self.encryptor,
            score_queue=self.score_queue,
            audit=self.audit,
            erasure_guard=self.erasure_guard,
            consent=self.consent,
            departments=self.departments,
            media_queue=self.media_queue,
        )

    @cached_property
    def scorer(self) -> ApplicationScorer:
        return ApplicationScorer(self.candidates, self.jobs, self.table)

    @cached_property
    def fanout(self) -> JobRescoreFanout:
        return JobRescoreFanout(self.table, self.sqs, self.settings.score_queue_url)

    @cached_property
    def analysis(self) -> AnalysisViews:
        return AnalysisViews(self.views, self.candidates, self.jobs, self.score_queue)

    @cached_property
    def exporter(self) -> Exporter:
        return Exporter(self.views, self.jobs, self.evidence, self.table, audit=self.audit)

    @cached_property
    def audit(self) -> AuditTrail:
        return AuditTrail(self.table, self.encryptor)

    @cached_property
    def views(self) -> CandidateViews:
        return CandidateViews(
            self.candidates,
            self.jobs,
            self.table,
            self.encryptor,
            self.evidence,
            self.settings.media_url_ttl_s,
            audit=self.audit,
            media=self.media_reader,
        )

    # -- channels and recovery: API pull, media copies, quarantine replay, DLQ redrive ----------
    @cached_property
    def secretsmanager(self) -> Any:
        return self.session.client("secretsmanager", config=_CONFIG)

    @cached_property
    def media_queue(self) -> QueuePort | None:
        return QueuePort(self.sqs, self.settings.media_queue_url) if self.settings.media_queue_url else None

    @cached_property
    def pulls(self) -> PullRepository:
        return PullRepository(self.table)

    @cached_property
    def pull_secrets(self) -> SecretStore:
        s = self.settings
        return SecretStore(self.secretsmanager, s.pull_secret_prefix, s.kms_key_id)

    @cached_property
    def puller(self) -> VendorPuller:
        s = self.settings
        http = httpx.Client(timeout=httpx.Timeout(s.pull_timeout_s), headers={"User-Agent": "hirelens-puller/1"})
        policy = PullPolicy(
            timeout_s=s.pull_timeout_s,
            max_attempts=s.pull_max_attempts,
            backoff_base_s=s.pull_backoff_base_s,
            backoff_max_s=s.pull_backoff_max_s,
            max_pages=s.pull_max_pages,
        )
        return VendorPuller(
            pulls=self.pulls,
            secrets=self.pull_secrets,
            vendors=self.vendors,
            events=self.events,
            intake=self.intake,
            http=http,
            policy=policy,
        )

    @cached_property
    def media_store(self) -> MediaStore:
        return MediaStore(self.s3, self.settings.evidence_bucket, self.settings.kms_key_id)

    @cached_property
    def media_copier(self) -> MediaCopier:
        s = self.settings
        return MediaCopier(
            candidates=self.candidates,
            table=self.table,
            store=self.media_store,
            encryptor=self.encryptor,
            http=httpx.Client(headers={"User-Agent": "hirelens-media/1"}),
            max_bytes=s.media_max_bytes,
            timeout_s=s.media_timeout_s,
            allow_private_networks=s.media_allow_private_networks,
        )

    @cached_property
    def media_reader(self) -> MediaReader:
        return MediaReader(
            links=MediaLinks(self.keyring, self.settings.media_url_ttl_s),
            candidates=self.candidates,
            store=self.media_store,
            encryptor=self.encryptor,
            window_bytes=self.settings.media_window_bytes,
        )

    @cached_property
    def replay(self) -> QuarantineReplay:
        return QuarantineReplay(
            quarantine=self.quarantine,
            vendors=self.vendors,
            events=self.events,
            evidence=self.evidence,
            encryptor=self.encryptor,
            queue=self.ingest_queue,
        )

    @cached_property
    def redriver(self) -> Redriver:
        return Redriver(self.sqs, work_queues(self.settings))

    # -- protection: erasure, adjustments, annotations, consent, self-view, retention ----------
    @cached_property
    def company(self) -> CompanySettings:
        return CompanySettings(self.table)

    @cached_property
    def erasure_guard(self) -> ErasureGuard:
        return ErasureGuard(self.table, self.blind)

    @cached_property
    def eraser(self) -> CandidateEraser:
        return CandidateEraser(
            table=self.table,
            candidates=self.candidates,
            jobs=self.jobs,
            encryptor=self.encryptor,
            evidence=self.evidence,
            audit=self.audit,
        )

    @cached_property
    def adjuster(self) -> ScoreAdjuster:
        return ScoreAdjuster(
            table=self.table,
            candidates=self.candidates,
            encryptor=self.encryptor,
            audit=self.audit,
            score_queue=self.score_queue,
        )

    @cached_property
    def annotations(self) -> Annotations:
        return Annotations(table=self.table, views=self.views, encryptor=self.encryptor, audit=self.audit)

    @cached_property
    def consent(self) -> ConsentService:
        return ConsentService(table=self.table, views=self.views, audit=self.audit)

    @cached_property
    def selfview(self) -> SelfView:
        return SelfView(table=self.table, candidates=self.candidates, company=self.company, encryptor=self.encryptor)

    @cached_property
    def retention(self) -> RetentionSweep:
        return RetentionSweep(
            table=self.table,
            company=self.company,
            eraser=self.eraser,
            quarantine=self.quarantine,
            evidence=self.evidence,
            encryptor=self.encryptor,
        )

    # -- process: review workflow, inbox, reminders, notifications, feedback (docs/workflow.md) --
    @cached_property
    def sfn(self) -> Any:
        return self.session.client("stepfunctions", config=_CONFIG)

    @cached_property
    def ses(self) -> Any:
        return self.session.client("sesv2", config=_CONFIG)

    @cached_property
    def departments(self) -> DepartmentRepository:
        return DepartmentRepository(self.table)

    @cached_property
    def channels(self) -> ChannelRepository:
        return ChannelRepository(self.table, self.kms, self.settings.kms_key_id)

    @cached_property
    def notifier(self) -> Notifier:
        s = self.settings
        return Notifier(
            self.channels,
            ses=lambda: self.ses,
            sender=s.notify_email_from,
            timeout_s=s.notify_timeout_s,
            attempts=s.notify_attempts,
            backoff_s=s.notify_backoff_s,
        )

    @cached_property
    def feedback(self) -> FeedbackService:
        return FeedbackService(table=self.table, candidates=self.candidates, encryptor=self.encryptor, audit=self.audit)

    @cached_property
    def workflow(self) -> ReviewWorkflow:
        return ReviewWorkflow(
            table=self.table,
            candidates=self.candidates,
            jobs=self.jobs,
            departments=self.departments,
            audit=self.audit,
            notifier=self.notifier,
            sfn=lambda: self.sfn,
            state_machine_arn=self.settings.state_machine_arn,
            on_outcome=self.feedback.refresh_outcome,
            population_max=self.settings.highlight_population_max,
        )

    @cached_property
    def inbox(self) -> Inbox:
        return Inbox(self.table, self.departments, self.encryptor)

    @cached_property
    def reminders(self) -> Reminders:
        s = self.settings
        return Reminders(
            table=self.table,
            departments=self.departments,
            candidates=self.candidates,
            notifier=self.notifier,
            expires_at=retention_expiry(self.candidates, self.company.retention),
            after_s=s.reminder_after_s,
            repeat_s=s.reminder_repeat_s,
            warning_s=s.expiry_warning_s,
        )

    # -- batch import (docs/imports.md) ----------------------------------------------------------
    @cached_property
    def imports(self) -> ImportRepository:
        return ImportRepository(self.table)

    @cached_property
    def import_files(self) -> ImportFileStore:
        return ImportFileStore(self.s3, self.settings.evidence_bucket, self.settings.kms_key_id)

    @cached_property
    def import_queue(self) -> QueuePort:
        return QueuePort(self.sqs, self.settings.import_queue_url)

    @cached_property
    def importer(self) -> ImportService:
        s = self.settings
        return ImportService(
            imports=self.imports,
            files=self.import_files,
            vendors=self.vendors,
            queue=self.import_queue,
            sink_factory=lambda: services().processor,  # per worker thread, like every port here
            workers=s.import_workers,
            max_bytes=s.import_max_bytes,
            max_rows=s.import_max_rows,
            chunk_rows=s.import_chunk_rows,
            reserve_ms=s.import_reserve_ms,
            max_errors=s.import_max_errors,
            upload_ttl_s=s.import_upload_ttl_s,
            status_ttl_s=s.import_status_ttl_s,
            max_receive_count=IMPORT_QUEUE.max_receive_count,
        )


# One Services per thread: in AWS a function container handles one event at a time; the
# embedded stack runs each function on its own thread, like its own container.
_local = threading.local()
_generation = 0


def services() -> Services:
    cached = getattr(_local, "services", None)
    if cached is None or cached[0] != _generation:
        cached = (_generation, Services(get_settings()))
        _local.services = cached
    return cached[1]


def reset() -> None:
    """Forget every thread's clients and settings (after the environment changed)."""
    global _generation
    _generation += 1
    get_settings.cache_clear()

"""Batch import on moto: S3 upload → S3 event on the import queue → importer chunks → results.

The importer's Lambda handler is called with real SQS batches taken from the import queue,
exactly as the event source mapping would; continuation messages go through the queue too.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from boto3.dynamodb.conditions import Key

from shared.imports.rows import FIXED
from shared.models.results import CanonicalResult
from shared.storage import keys

HEADER = [*FIXED, "communication", "teamwork", "抗压能力", "Grit"]


@dataclass
class Ctx:
    """A Lambda context whose clock the test controls."""

    remaining_ms: Callable[[], int] = lambda: 100_000
    function_name: str = "importer"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:eu-central-1:123456789012:function:importer"
    aws_request_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms()


def drain(svc: Any, ctx: Ctx | None = None, limit: int = 500, *, until_empty: bool = True) -> int:
    """Feed the import queue to the importer until it is empty (or `limit` invocations); returns
    the invocations made."""
    from functions.ingest.importer import lambda_handler

    url = svc.settings.import_queue_url
    for n in range(limit):
        messages = svc.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, AttributeNames=["All"]).get(
            "Messages", []
        )
        if not messages:
            return n
        m = messages[0]
        event = {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m["Attributes"],
                    "messageAttributes": {},
                    "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:eu-central-1:123456789012:hirelens-import",
                    "awsRegion": "eu-central-1",
                }
            ]
        }
        out = lambda_handler(event, ctx or Ctx())
        if out["batchItemFailures"]:
            svc.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
        else:
            svc.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    if until_empty:
        raise AssertionError("the import queue never emptied")
    return limit


def vendor(svc: Any, fmt: str = "generic") -> str:
    name = f"v{uuid.uuid4().hex[:8]}"
    svc.vendors.create(name, fmt, "whsec_" + "A" * 44, time.time())
    return name


def upload(svc: Any, vendor_name: str, data: bytes, fmt: str = "csv", **kw: Any) -> str:
    """POST /v1/imports's work, then the client's PUT (moto in process: put_object with the same headers)."""
    created = svc.importer.create(vendor=vendor_name, fmt=fmt, created_by="hr-1", **kw)
    key = f"imports/{created['import_id']}/source.{fmt}"
    assert f"/{key}?" in created["upload_url"]
    headers = created["upload_headers"]
    svc.s3.put_object(
        Bucket=svc.settings.evidence_bucket,
        Key=key,
        Body=data,
        ServerSideEncryption=headers["x-amz-server-side-encryption"],
        SSEKMSKeyId=headers["x-amz-server-side-encryption-aws-kms-key-id"],
    )
    return str(created["import_id"])


def good_row(i: int, *, revision: int = 1, job: str = "JOB-IMP") -> list[Any]:
    return [
        f"R-{i}",
        revision,
        f"C-{i}",
        f"候选人{i}",
        f"c{i}@example.com",
        job,
        "风控分析师",
        "risk",
        "2026-11-20T08:20:00+08:00",
        round(1 + (i % 40) / 10, 1),
        1,
        5,
        round(1 + (i % 40) / 10, 1),
        "" if i % 3 else 4,
        3,
        "",
    ]


BROKEN: list[tuple[str, Callable[[list[Any]], None]]] = [
    ("revision", lambda r: r.__setitem__(1, "two")),
    ("completed_at", lambda r: r.__setitem__(8, "yesterday")),
    ("communication", lambda r: r.__setitem__(12, "9")),
    ("candidate_email", lambda r: r.__setitem__(4, "nobody")),
    ("scale_max", lambda r: r.__setitem__(11, 0)),
]


def build_csv(n: int, *, broken_every: int = 0, encoding: str = "utf-8", bom: bool = False) -> tuple[bytes, dict]:
    """n data rows; every `broken_every`-th is broken in one field. Returns the bytes and what to expect."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(HEADER)
    good, bad_rows = [], {}
    for i in range(1, n + 1):
        r = good_row(i)
        if broken_every and i % broken_every == 0:
            name, breaker = BROKEN[(i // broken_every) % len(BROKEN)]
            breaker(r)
            bad_rows[i + 1] = name  # spreadsheet row: the header is row 1
        else:
            good.append(f"R-{i}")
        w.writerow(r)
    data = buf.getvalue().encode(encoding)
    return ((b"\xef\xbb\xbf" if bom else b"") + data), {"good": good, "bad": bad_rows}


class FakeSink:
    """ResultProcessor.apply's contract without DynamoDB: highest revision per vendor result wins.
    Called from the importer's worker threads at once, like the real processor."""

    def __init__(self) -> None:
        self.stored: dict[tuple[str, str], int] = {}
        self.applied = 0
        self._lock = threading.Lock()

    def apply(self, r: CanonicalResult, *, event_ref: str, received_at: str, source: str = "webhook") -> str:
        assert source == "import" and r.candidate is not None and r.job is not None
        key = (r.vendor, r.vendor_result_id)
        with self._lock:
            if self.stored.get(key, -1) >= r.revision:
                return "stale"
            self.stored[key] = r.revision
            self.applied += 1
        return "applied"


def use_sink(svc: Any, sink: Any) -> None:
    svc.importer.sink_factory = lambda: sink


def status(svc: Any, import_id: str) -> dict[str, Any]:
    return dict(svc.importer.status(import_id))


def uploads_left(svc: Any, import_id: str) -> list[Any]:
    out = svc.s3.list_object_versions(Bucket=svc.settings.evidence_bucket, Prefix=f"imports/{import_id}/")
    return [*out.get("Versions", []), *out.get("DeleteMarkers", [])]


def drain_test_event(svc: Any) -> None:
    svc.sqs.purge_queue(QueueUrl=svc.settings.import_queue_url)


# --- the 50,000-row file ----------------------------------------------------------------------


def test_fifty_thousand_rows_in_chunks_with_broken_rows(aws: Any) -> None:
    # Given a 50,000-row CSV, every 97th row broken, chunks of 6,000 rows stored by 8 workers
    svc = aws
    sink = FakeSink()
    use_sink(svc, sink)
    svc.importer.chunk_rows = 6000
    svc.importer.workers = 8
    name = vendor(svc)
    data, expected = build_csv(50_000, broken_every=97)
    assert len(expected["bad"]) == 515
    # When it is uploaded and the import queue drained
    import_id = upload(svc, name, data)
    invocations = drain(svc)
    # Then the counts are exact, every good row was applied once, every bad row reported
    s = status(svc, import_id)
    assert s["status"] == "done"
    assert (s["rows_total"], s["rows_imported"], s["rows_rejected"], s["rows_unchanged"]) == (50_000, 49_485, 515, 0)
    assert invocations == 9  # the upload event, then 8 continuations (50,000 rows / 6,000)
    assert sink.applied == 49_485 and set(k[1] for k in sink.stored) == set(expected["good"])
    assert {e["row"]: e["field"] for e in s["errors"]} == expected["bad"]
    assert not s["errors_truncated"]
    assert uploads_left(svc, import_id) == []  # the file, with its personal data, is gone
    # When the same file is uploaded again as a new import
    again = upload(svc, name, data)
    drain(svc)
    # Then nothing new is applied
    s2 = status(svc, again)
    assert (s2["rows_imported"], s2["rows_rejected"], s2["rows_unchanged"]) == (49_485, 515, 49_485)
    assert sink.applied == 49_485


def test_error_list_is_capped_but_counts_stay_exact(aws: Any) -> None:
    svc = aws
    use_sink(svc, FakeSink())
    svc.importer.max_errors = 50
    svc.importer.workers = 4  # rows settle out of order; the errors are still kept in row order
    data, expected = build_csv(400, broken_every=2)
    import_id = upload(svc, vendor(svc), data)
    drain(svc)
    s = status(svc, import_id)
    assert (s["rows_rejected"], len(s["errors"]), s["errors_truncated"]) == (200, 50, True)
    assert [e["row"] for e in s["errors"]] == sorted(expected["bad"])[:50]


def test_a_chunk_stops_before_the_time_limit_and_continues(aws: Any) -> None:
    # Given a function that always looks close to its time limit after 25 rows
    svc = aws
    use_sink(svc, FakeSink())
    calls = {"n": 0}

    def remaining() -> int:
        calls["n"] += 1
        return 100_000 if calls["n"] % 26 else 1_000

    data, _ = build_csv(100)
    import_id = upload(svc, vendor(svc), data)
    invocations = drain(svc, Ctx(remaining_ms=remaining))
    s = status(svc, import_id)
    assert s["status"] == "done" and s["rows_imported"] == 100
    assert invocations >= 4


def test_a_duplicate_delivery_never_counts_twice(aws: Any) -> None:
    # Given an import whose upload event and a continuation are each delivered twice
    svc = aws
    sink = FakeSink()
    use_sink(svc, sink)
    svc.importer.chunk_rows = 30
    data, _ = build_csv(100, broken_every=10)
    import_id = upload(svc, vendor(svc), data)
    url = svc.settings.import_queue_url
    (event,) = svc.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
    svc.sqs.send_message(QueueUrl=url, MessageBody=event["Body"])
    svc.sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"kind": "import", "import_id": import_id, "chunk": 1}))
    svc.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=event["ReceiptHandle"], VisibilityTimeout=0)
    drain(svc)
    # Then every row is counted once
    s = status(svc, import_id)
    assert (s["rows_total"], s["rows_imported"], s["rows_rejected"]) == (100, 90, 10)
    assert len(s["errors"]) == 10 and sink.applied == 90


def test_a_lost_continuation_is_sent_again_when_the_chunk_is_redelivered(aws: Any) -> None:
    # Given chunk 0 committed but its continuation message lost
    svc = aws
    use_sink(svc, FakeSink())
    svc.importer.chunk_rows = 40
    data, _ = build_csv(100)
    import_id = upload(svc, vendor(svc), data)
    sent = []
    original = svc.importer.queue.send
    svc.importer.queue.send = lambda m: sent.append(m)  # the send "fails" silently once
    drain(svc, limit=1, until_empty=False)
    svc.importer.queue.send = original
    svc.imports.mark_continued(import_id, 0)  # as if the crash came before the marker
    assert status(svc, import_id)["rows_imported"] == 40
    # When SQS redelivers chunk 0's message (the handler had failed)
    svc.sqs.send_message(
        QueueUrl=svc.settings.import_queue_url,
        MessageBody=json.dumps({"kind": "import", "import_id": import_id, "chunk": 0}),
    )
    drain(svc)
    # Then the continuation is sent again and the import finishes with exact counts
    s = status(svc, import_id)
    assert (s["status"], s["rows_imported"]) == ("done", 100)


def test_retries_exhausted_fail_the_import_and_a_redrive_resumes_it(aws: Any, monkeypatch: Any) -> None:
    # Given a sink that fails (the infrastructure, not the data)
    svc = aws
    sink = FakeSink()
    use_sink(svc, sink)
    svc.importer.chunk_rows = 20
    data, _ = build_csv(50)
    import_id = upload(svc, vendor(svc), data)
    drain(svc, limit=1, until_empty=False)  # chunk 0 done, chunk 1 queued
    monkeypatch.setattr(sink, "apply", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("throttled")))
    url = svc.settings.import_queue_url
    (msg,) = svc.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
    # When its last delivery fails too
    from functions.ingest.importer import lambda_handler

    record = {
        "messageId": msg["MessageId"],
        "receiptHandle": msg["ReceiptHandle"],
        "body": msg["Body"],
        "attributes": {"ApproximateReceiveCount": "5"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-central-1:123456789012:hirelens-import",
        "awsRegion": "eu-central-1",
    }
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    with pytest.raises(BatchProcessingError):  # the only record failed: the invocation fails, SQS keeps it
        lambda_handler({"Records": [record]}, Ctx())
    s = status(svc, import_id)
    assert s["status"] == "failed" and s["rows_imported"] == 20
    # When the message is redriven once the cause is gone
    monkeypatch.undo()
    use_sink(svc, sink)
    svc.sqs.delete_message(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"])
    svc.sqs.send_message(QueueUrl=url, MessageBody=msg["Body"])
    drain(svc)
    # Then the import carries on from where it stopped
    s = status(svc, import_id)
    assert (s["status"], s["rows_imported"], s["rows_rejected"]) == ("done", 50, 0)
    assert sink.applied == 50


# --- real processing (moto DynamoDB, KMS, encryption) ----------------------------------------


def results_in_table(svc: Any, vendor_name: str) -> list[dict[str, Any]]:
    """Every stored result of this vendor, found through its RID pointers (test-only scan)."""
    items = svc.table.scan(FilterExpression="begins_with(pk, :p)", ExpressionAttributeValues={":p": "CAND#"})["Items"]
    return [i for i in items if i["sk"].startswith("RES#") and i.get("vendor") == vendor_name]


def test_real_import_stores_encrypted_results_and_reimport_creates_nothing(aws: Any) -> None:
    # Given a 40-row file with 4 broken rows
    svc = aws
    svc.importer.chunk_rows = 15
    name = vendor(svc)
    data, expected = build_csv(40, broken_every=10)
    import_id = upload(svc, name, data)
    drain(svc)
    s = status(svc, import_id)
    assert (s["status"], s["rows_total"], s["rows_imported"], s["rows_rejected"]) == ("done", 40, 36, 4)
    # Then each good row is a result in its candidate's profile, with scores normalised
    stored = results_in_table(svc, name)
    assert sorted(r["vendor_result_id"] for r in stored) == sorted(expected["good"])
    one = next(r for r in stored if r["vendor_result_id"] == "R-3")
    assert one["source"] == "import"
    dims = {d["code"]: float(d["normalized"]) for d in one["dimensions"]}
    assert set(dims) == {"communication", "teamwork", "stress_tolerance"}
    assert dims["stress_tolerance"] == 50.0
    # and personal data is stored only encrypted
    profile = svc.table.get_item(Key=keys.profile(one["candidate_id"]))["Item"]
    flat = json.dumps(profile, default=str, ensure_ascii=False)
    assert "候选人3" not in flat and "c3@example.com" not in flat
    assert svc.encryptor.decrypt_field(f"cand:{one['candidate_id']}", "name", profile["name_enc"]) == "候选人3"
    candidates = {r["candidate_id"] for r in stored}
    # When the same file is imported again
    again = upload(svc, name, data)
    drain(svc)
    s2 = status(svc, again)
    # Then nothing new exists
    assert (s2["rows_imported"], s2["rows_unchanged"], s2["rows_rejected"]) == (36, 36, 4)
    stored_again = results_in_table(svc, name)
    assert len(stored_again) == 36 and {r["candidate_id"] for r in stored_again} == candidates
    assert all(r["revision"] == 1 for r in stored_again)


def test_a_newer_revision_in_a_later_file_updates_the_result(aws: Any) -> None:
    svc = aws
    name = vendor(svc)
    first = upload(svc, name, "\r\n".join([",".join(HEADER), ",".join(map(str, good_row(1)))]).encode())
    drain(svc)
    newer = good_row(1, revision=2)
    newer[12] = 5
    older = good_row(1, revision=1)
    older[12] = 1
    second = upload(
        svc, name, "\r\n".join([",".join(HEADER), *(",".join(map(str, r)) for r in (newer, older))]).encode()
    )
    drain(svc)
    assert status(svc, first)["rows_imported"] == 1
    s = status(svc, second)
    assert (s["rows_imported"], s["rows_unchanged"]) == (2, 1)
    (stored,) = results_in_table(svc, name)
    assert stored["revision"] == 2
    assert {d["code"]: float(d["score"]) for d in stored["dimensions"]}["communication"] == 5.0


def test_unmapped_competency_columns_are_kept_and_counted_for_the_vendor(aws: Any) -> None:
    svc = aws
    name = vendor(svc)
    rows = [good_row(i) for i in (1, 2)]
    for r in rows:
        r[15] = 4  # the Grit column
    upload(svc, name, "\n".join([",".join(HEADER), *(",".join(map(str, r)) for r in rows)]).encode())
    drain(svc)
    stored = results_in_table(svc, name)
    assert all("unmapped:Grit" in {d["code"] for d in r["dimensions"]} for r in stored)
    assert svc.vendors.get(name)["unmapped_labels"] == {"Grit": 2}


# --- encodings and formats -------------------------------------------------------------------


@pytest.mark.parametrize(("encoding", "bom"), [("utf-8", True), ("gb18030", False), ("utf-8", False)])
def test_utf8_with_bom_and_gb18030_files(aws: Any, encoding: str, bom: bool) -> None:
    svc = aws
    name = vendor(svc)
    data, _ = build_csv(12, encoding=encoding, bom=bom)
    assert ("候选人".encode(encoding) in data) and (data.startswith(b"\xef\xbb\xbf") is bom)
    import_id = upload(svc, name, data)
    drain(svc)
    s = status(svc, import_id)
    assert (s["status"], s["rows_imported"], s["rows_rejected"]) == ("done", 12, 0), s["errors"]
    stored = results_in_table(svc, name)
    one = next(r for r in stored if r["vendor_result_id"] == "R-5")
    profile = svc.table.get_item(Key=keys.profile(one["candidate_id"]))["Item"]
    assert svc.encryptor.decrypt_field(f"cand:{one['candidate_id']}", "name", profile["name_enc"]) == "候选人5"


def test_xlsx_file(aws: Any, tmp_path: Path) -> None:
    from datetime import datetime

    from openpyxl import Workbook

    # Given a workbook as Excel writes it: numbers as numbers, a date cell, a blank row, a bad row
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("导出")
    ws.append(HEADER)
    for i in range(1, 21):
        r = good_row(i)
        r[0], r[9], r[10], r[11] = 1000 + i, float(r[9]), 1, 5
        r[8] = datetime(2026, 11, 20, 16, 20)
        ws.append(r)
    ws.append([None] * len(HEADER))
    bad = good_row(99)
    bad[12] = "很好"
    ws.append(bad)
    path = tmp_path / "export.xlsx"
    wb.save(path)
    svc = aws
    svc.importer.workdir = tmp_path / "work"
    svc.importer.chunk_rows = 8
    name = vendor(svc)
    import_id = upload(svc, name, path.read_bytes(), fmt="xlsx", utc_offset="+08:00")
    drain(svc)
    s = status(svc, import_id)
    assert (s["status"], s["rows_total"], s["rows_imported"], s["rows_rejected"]) == ("done", 21, 20, 1)
    assert s["errors"] == [{"row": 23, "field": "communication", "message": "a number is required"}]
    stored = {r["vendor_result_id"]: r for r in results_in_table(svc, name)}
    assert set(stored) == {str(1000 + i) for i in range(1, 21)}
    assert stored["1001"]["completed_at"] == "2026-11-20T08:20:00+00:00"  # +08:00 → UTC
    assert not list((tmp_path / "work").glob("*"))  # the local copy is gone too


@pytest.mark.parametrize(
    ("data", "fmt", "message"),
    [
        (b"", "csv", "empty"),
        (b"result_id,communication\nR-1,4\n", "csv", "required column missing"),
        (b"\x81\xff\xfe,\x00\n", "csv", "neither UTF-8 nor GB18030"),
        (b"result_id,revision\n", "xlsx", "not a readable XLSX"),
    ],
)
def test_an_unreadable_file_fails_the_import_and_is_deleted(aws: Any, data: bytes, fmt: str, message: str) -> None:
    svc = aws
    import_id = upload(svc, vendor(svc), data, fmt=fmt)
    drain(svc)
    s = status(svc, import_id)
    assert s["status"] == "failed" and s["rows_imported"] == 0
    assert any(message in e["message"] for e in s["errors"]), s["errors"]
    assert uploads_left(svc, import_id) == []


def test_a_file_over_the_size_limit_is_refused(aws: Any) -> None:
    svc = aws
    svc.importer.max_bytes = 1000
    data, _ = build_csv(50)
    import_id = upload(svc, vendor(svc), data)
    drain(svc)
    s = status(svc, import_id)
    assert s["status"] == "failed" and "larger than" in s["errors"][0]["message"]


def test_objects_that_are_not_an_import_upload_are_ignored(aws: Any) -> None:
    # Given objects under imports/ that no import created, and S3's test event
    svc = aws
    bucket = svc.settings.evidence_bucket
    svc.s3.put_object(Bucket=bucket, Key=f"imports/{uuid.uuid4().hex}/source.csv", Body=b"a,b\n")
    svc.s3.put_object(Bucket=bucket, Key="imports/stray.csv", Body=b"a,b\n")
    svc.sqs.send_message(
        QueueUrl=svc.settings.import_queue_url,
        MessageBody=json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"}),
    )
    # Then the importer consumes them without failing and without touching the objects
    assert drain(svc) == 3
    listed = svc.s3.list_objects_v2(Bucket=bucket, Prefix="imports/")["KeyCount"]
    assert listed == 2


def test_an_upload_event_for_an_import_already_running_is_ignored(aws: Any) -> None:
    svc = aws
    use_sink(svc, FakeSink())
    data, _ = build_csv(10)
    name = vendor(svc)
    import_id = upload(svc, name, data)
    drain(svc)
    # the client PUTs again to the same URL: a second event for a finished import
    svc.s3.put_object(Bucket=svc.settings.evidence_bucket, Key=f"imports/{import_id}/source.csv", Body=data)
    drain(svc)
    s = status(svc, import_id)
    assert (s["status"], s["rows_imported"]) == ("done", 10)


def test_status_of_an_unknown_import_is_not_found(aws: Any) -> None:
    from shared.errors import NotFound

    with pytest.raises(NotFound):
        aws.importer.status(uuid.uuid4().hex)


def test_import_for_an_unregistered_vendor_is_refused(aws: Any) -> None:
    from shared.errors import Unprocessable

    with pytest.raises(Unprocessable) as exc:
        aws.importer.create(vendor="nobody", fmt="csv", created_by="hr-1")
    assert exc.value.errors == [{"loc": ["body", "vendor"], "msg": "no vendor with this name"}]


def test_status_item_keeps_no_personal_data(aws: Any) -> None:
    svc = aws
    use_sink(svc, FakeSink())
    data, _ = build_csv(20, broken_every=4)
    import_id = upload(svc, vendor(svc), data)
    drain(svc)
    item = svc.table.query(KeyConditionExpression=Key("pk").eq(keys.import_job(import_id)["pk"]))["Items"][0]
    flat = json.dumps(item, default=str, ensure_ascii=False)
    assert "候选人" not in flat and "@example.com" not in flat and "nobody" not in flat

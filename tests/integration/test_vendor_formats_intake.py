"""vidassess and zhiping through the real intake and processor on moto: signed native payloads
become results, unknown labels are counted for the vendor, malformed ones are quarantined."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from shared.errors import Unprocessable
from shared.storage import keys
from shared.storage.candidates import result_id_for
from shared.webhooks.signature import new_secret, signed_headers
from tests.unit.test_vendor_formats import vidassess, zhiping


def deliver(svc: Any, vendor: str, secret: str, doc: dict[str, Any]) -> str:
    """Accept a signed delivery, then run the queued message through the processor."""
    body = json.dumps(doc, ensure_ascii=False).encode()
    headers = signed_headers(secret, f"msg_{uuid.uuid4().hex}", int(time.time()), body)
    svc.intake.accept(vendor, headers, body)
    (message,) = svc.sqs.receive_message(QueueUrl=svc.settings.ingest_queue_url, MaxNumberOfMessages=1)["Messages"]
    svc.sqs.delete_message(QueueUrl=svc.settings.ingest_queue_url, ReceiptHandle=message["ReceiptHandle"])
    return str(svc.processor.handle_event(json.loads(message["Body"])))


def register(svc: Any, fmt: str) -> tuple[str, str]:
    name, secret = f"{fmt[:3]}{uuid.uuid4().hex[:8]}", new_secret()
    svc.vendors.create(name, fmt, secret, time.time())
    return name, secret


def stored(svc: Any, vendor: str, vendor_result_id: str) -> dict[str, Any]:
    return dict(svc.candidates.get_result(result_id_for(vendor, vendor_result_id)))


def test_vidassess_result_lands_normalised_and_unmapped_labels_are_counted(aws: Any) -> None:
    # Given a vidassess vendor
    svc = aws
    name, secret = register(svc, "vidassess")
    # When it posts a scored assessment with one label the taxonomy does not know
    assert deliver(svc, name, secret, vidassess()) == "applied"
    # Then the result is stored with raw and normalised scores, mapped codes and the unknown label kept
    r = stored(svc, name, "VA-77")
    assert (r["revision"], r["job_id"], r["completed_at"]) == (3, "JOB-7", "2026-11-20T00:20:00+00:00")
    dims = {d["code"]: (d["score"], d["normalized"]) for d in r["dimensions"]}
    assert dims == {"communication": (4.5, 87.5), "stress_tolerance": (3, 50), "unmapped:Grit": (1, 0)}
    assert r["overall"]["normalized"] == pytest.approx(77.5)
    assert r["unmapped"] == ["Grit"]
    assert svc.vendors.get(name)["unmapped_labels"] == {"Grit": 1}
    # and the applicant's name is stored only encrypted
    profile = svc.table.get_item(Key=keys.profile(r["candidate_id"]))["Item"]
    assert "Zhang San" not in json.dumps(profile, default=str)
    # When the vendor cancels it (a newer version)
    cancel = {"event": "assessment.cancelled", "event_time": 1763626300, "assessment": {"id": "VA-77", "version": 4}}
    assert deliver(svc, name, secret, cancel) == "withdrawn"
    assert stored(svc, name, "VA-77")["status"] == "withdrawn"


def test_zhiping_rescore_replaces_and_an_older_version_does_not(aws: Any) -> None:
    svc = aws
    name, secret = register(svc, "zhiping")
    assert deliver(svc, name, secret, zhiping()) == "applied"
    r = stored(svc, name, "ZP-5")
    assert r["vendor_extra"] == {"vendor_event": "面试完成", "percentile": 85}
    assert {d["code"]: d["normalized"] for d in r["dimensions"]}["communication"] == 85
    # a 面试更新 with version 2 replaces it; the original version 1 delivered again does not
    update = zhiping(事件="面试更新")
    update["面试"]["版本"] = 2
    update["面试"]["维度得分"][0]["得分"] = 9.5
    assert deliver(svc, name, secret, update) == "applied"
    assert deliver(svc, name, secret, zhiping()) == "stale"
    r = stored(svc, name, "ZP-5")
    assert r["revision"] == 2 and {d["code"]: d["normalized"] for d in r["dimensions"]}["communication"] == 95
    assert svc.vendors.get(name)["unmapped_labels"] == {"钻研精神": 2}


def _bad_rating(d: dict[str, Any]) -> None:
    d["assessment"]["competencies"][0]["rating"] = "great"


@pytest.mark.parametrize(
    ("fmt", "breaks", "loc"),
    [
        ("vidassess", _bad_rating, ["assessment", "competencies", 0, "rating"]),
        ("vidassess", lambda d: d["assessment"].pop("requisition"), ["assessment", "requisition"]),
        ("zhiping", lambda d: d["面试"].update(版本="v1"), ["面试", "版本"]),
        ("zhiping", lambda d: d["面试"]["候选人"].clear(), ["面试", "候选人"]),
    ],
)
def test_a_malformed_native_payload_is_422_and_quarantined(aws: Any, fmt: str, breaks: Any, loc: list[Any]) -> None:
    # Given a signed payload of the vendor's format with one field wrong
    svc = aws
    name, secret = register(svc, fmt)
    doc = vidassess() if fmt == "vidassess" else zhiping()
    breaks(doc)
    body = json.dumps(doc, ensure_ascii=False).encode()
    headers = signed_headers(secret, f"msg_{uuid.uuid4().hex}", int(time.time()), body)
    # Then it is refused with the field's location and a message
    with pytest.raises(Unprocessable) as exc:
        svc.intake.accept(name, headers, body)
    assert exc.value.errors and [e["loc"] for e in exc.value.errors] == [loc]
    assert all(e["msg"] for e in exc.value.errors)
    # and kept in quarantine with the same errors, nothing queued
    items, _ = svc.quarantine.list(50, None)
    (item,) = [i for i in items if i["vendor"] == name]
    assert item["errors"] == exc.value.errors
    assert "Messages" not in svc.sqs.receive_message(QueueUrl=svc.settings.ingest_queue_url)

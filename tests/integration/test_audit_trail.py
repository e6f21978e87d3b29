"""The audit trail: append, verify, tamper (an item edited or removed in DynamoDB) → chain_valid false."""

from __future__ import annotations

import threading

import pytest

from shared.audit.chain import entry_hash
from shared.audit.trail import to_plain
from shared.storage import keys
from tests.integration.protection_kit import api, ingest, result_id, vendor


@pytest.fixture
def trail(aws):
    """A candidate with an ingestion, a view, an annotation and an adjustment on record."""
    v = vendor(aws)
    cid = ingest(aws, v, "R-1", "C-aud", "JOB-AUD", {"communication": 60}, department="risk")
    rid = result_id(v[0], "R-1")
    etag = api("GET", f"/v1/results/{rid}", "hr").headers["etag"]
    assert api("POST", f"/v1/candidates/{cid}/annotations", "hr", body={"text": "note"}).status == 201
    body = {"dimensions": {"communication": 70}, "reason": "复核"}
    assert api("PATCH", f"/v1/results/{rid}", "hr", body=body, headers={"If-Match": etag}).status == 200
    return aws, cid


def _audit(cid: str, role: str = "auditor") -> dict:
    r = api("GET", f"/v1/candidates/{cid}/audit", role)
    assert r.status == 200, r.body
    return r.body


def test_every_change_is_on_record_and_the_chain_holds(trail):
    _, cid = trail
    body = _audit(cid)
    assert body["chain_valid"] is True
    assert [e["action"] for e in body["entries"]] == [
        "result.ingested",
        "result.viewed",
        "annotation.added",
        "result.adjusted",
    ]
    assert [e["seq"] for e in body["entries"]] == [1, 2, 3, 4]
    for e in body["entries"]:
        assert {"at", "actor", "actor_role", "action", "target", "before", "after", "hash", "prev_hash"} <= set(e)
    assert body["entries"][0]["actor"] == "system" and body["entries"][1]["actor"] == "test-hr"


def test_an_entry_edited_in_dynamodb_breaks_the_chain(trail):
    aws, cid = trail
    # When someone with table access rewrites who made the adjustment
    aws.table.update_item(
        Key=keys.audit(cid, 4), UpdateExpression="SET actor = :a", ExpressionAttributeValues={":a": "someone-else"}
    )
    # Then the trail says so
    assert _audit(cid)["chain_valid"] is False


def test_an_edit_with_a_recomputed_hash_still_breaks_the_chain(trail):
    aws, cid = trail
    # When someone edits an entry and fixes up its own hash too
    item = aws.table.get_item(Key=keys.audit(cid, 2))["Item"]
    item["actor"] = "nobody"
    item["hash"] = entry_hash(to_plain({k: v for k, v in item.items() if k not in ("pk", "sk")}))
    aws.table.put_item(Item=item)
    # Then the next entry no longer links to it
    assert _audit(cid)["chain_valid"] is False


def test_a_deleted_middle_entry_breaks_the_chain(trail):
    aws, cid = trail
    aws.table.delete_item(Key=keys.audit(cid, 2))
    body = _audit(cid)
    assert body["chain_valid"] is False and len(body["entries"]) == 3


def test_reordered_entries_break_the_chain(trail):
    aws, cid = trail
    a = aws.table.get_item(Key=keys.audit(cid, 2))["Item"]
    b = aws.table.get_item(Key=keys.audit(cid, 3))["Item"]
    aws.table.put_item(Item={**b, **keys.audit(cid, 2)})
    aws.table.put_item(Item={**a, **keys.audit(cid, 3)})
    assert _audit(cid)["chain_valid"] is False


def test_no_personal_data_in_clear_in_the_trail(trail):
    aws, cid = trail
    raw = aws.audit.entries(cid)
    adjusted = raw[-1]
    assert isinstance(adjusted["before"], str) and adjusted["before"].startswith("e1:")
    assert all(e.get("note_enc") is None or e["note_enc"].startswith("e1:") for e in raw)
    assert "复核" not in str(raw)


def test_concurrent_appends_keep_one_chain(aws):
    # Given many writers appending to one candidate's trail at once
    start = threading.Barrier(6)

    def append(i: int) -> None:
        start.wait()
        for j in range(3):
            aws.audit.append("c_busy", "result.viewed", actor=(f"u{i}", "hr"), target=f"r{j}")

    threads = [threading.Thread(target=append, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then every entry is there, in one valid chain
    out = aws.audit.read("c_busy")
    assert len(out["entries"]) == 18 and out["chain_valid"] is True


def test_who_may_read_a_trail(trail):
    _, cid = trail
    for role in ("hr", "hr_admin", "auditor"):
        assert api("GET", f"/v1/candidates/{cid}/audit", role).status == 200
    assert api("GET", f"/v1/candidates/{cid}/audit", "interviewer", department="risk").status == 403
    assert api("GET", f"/v1/candidates/{cid}/audit", "finance").status == 403
    assert api("GET", f"/v1/candidates/{cid}/audit", "candidate", candidate_id=cid).status == 403
    assert api("GET", "/v1/candidates/c_nobody/audit", "auditor").status == 404

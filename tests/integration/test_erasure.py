"""Erasure that really erases: after DELETE, every read is 404 and what is left in DynamoDB and S3
cannot be decrypted by anyone — proved by reading the raw items and objects directly."""

from __future__ import annotations

import json
import time

import pytest

from shared.crypto.encryptor import KeyDestroyed, candidate_subject, event_subject
from shared.storage import keys
from tests.conftest import generic_payload
from tests.integration.protection_kit import api, drain, ingest, result_id, vendor, webhook

NAME, EMAIL, PHONE = "欧阳娜娜", "c-erase@example.com", "+8613912345678"
TRANSCRIPT = "我们团队一起解决了一个很难的问题"


def _everything(aws) -> tuple[list[dict], dict[str, bytes]]:
    """Every item of the main table and every object version in the bucket (tests may scan)."""
    items, kwargs = [], {}
    while True:
        out = aws.table.scan(**kwargs)
        items += out["Items"]
        if "LastEvaluatedKey" not in out:
            break
        kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]
    objects = {}
    bucket = aws.settings.evidence_bucket
    for v in aws.s3.list_object_versions(Bucket=bucket).get("Versions", []):
        body = aws.s3.get_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"])["Body"].read()
        objects[f"{v['Key']}@{v['VersionId']}"] = body
    return items, objects


@pytest.fixture
def erased(aws):
    """A candidate with two revisions of one result, a second job, an annotation, an adjustment,
    a media copy and an export linked — then erased. Another candidate stays."""
    v = vendor(aws)
    cid = ingest(aws, v, "R-1", "C-erase", "JOB-A", {"communication": 80}, name=NAME, department="risk", phone=PHONE)
    ingest(
        aws, v, "R-1", "C-erase", "JOB-A", {"communication": 82}, revision=2, name=NAME, department="risk", phone=PHONE
    )
    ingest(aws, v, "R-2", "C-erase", "JOB-B", {"teamwork": 70}, name=NAME, department="sales", phone=PHONE)
    other = ingest(aws, v, "R-9", "C-keep", "JOB-A", {"communication": 60}, name="李四", department="risk")
    rid = result_id(v[0], "R-1")
    assert api("POST", f"/v1/candidates/{cid}/annotations", "hr", body={"text": "很有潜力的候选人"}).status == 201
    etag = api("GET", f"/v1/results/{rid}", "hr").headers["etag"]
    r = api(
        "PATCH",
        f"/v1/results/{rid}",
        "hr",
        body={"dimensions": {"communication": 90}, "reason": "复核录像后上调"},
        headers={"If-Match": etag},
    )
    assert r.status == 200, r.body
    drain(aws)
    # a media copy and an export file, as the channels and analysis code link them
    media_key, export_key = f"media/{cid}/{rid}/q1", "exports/job-a.csv"
    aws.evidence.put(media_key, aws.encryptor.encrypt_blob(candidate_subject(cid), "media", b"\x00video"))
    res = aws.candidates.get_result(rid)
    answers = res["answers"]
    answers[0]["media"] = {"s3_key": media_key, "content_type": "video/mp4"}
    aws.table.update_item(
        Key=keys.result(cid, rid), UpdateExpression="SET answers = :a", ExpressionAttributeValues={":a": answers}
    )
    aws.evidence.put(export_key, f"name\n{NAME}\n".encode())
    aws.table.put_item(Item={**keys.candidate_export(cid, "x1"), "s3_key": export_key})
    before = {
        "items": aws.candidates.partition(cid),
        "profile": aws.table.get_item(Key=keys.profile(cid))["Item"],
        "events": [i["event_ref"] for i in aws.candidates.partition(cid, "EVT#")],
        "result": aws.candidates.get_result(rid),
    }
    assert len(before["events"]) == 3
    # When HR admin erases the candidate
    r = api("DELETE", f"/v1/candidates/{cid}", "hr_admin")
    assert r.status == 204 and not r.body
    return {
        "aws": aws,
        "cid": cid,
        "other": other,
        "rid": rid,
        "vendor": v,
        "before": before,
        "media": media_key,
        "export": export_key,
    }


def test_every_read_of_an_erased_candidate_is_404(erased):
    cid, rid = erased["cid"], erased["rid"]
    # Then every read answers 404, for every role that could read before
    for role in ("hr_admin", "hr", "auditor"):
        assert api("GET", f"/v1/candidates/{cid}", role).status == 404
        assert api("GET", f"/v1/results/{rid}", role).status == 404
        assert api("GET", f"/v1/candidates/{cid}/audit", role).status == 404
    assert api("GET", f"/v1/candidates/{cid}/match?job_id=JOB-A", "hr").status == 404
    assert api("GET", "/v1/me", "candidate", candidate_id=cid).status == 404
    assert api("DELETE", f"/v1/candidates/{cid}", "hr_admin").status == 404
    assert api("POST", f"/v1/candidates/{cid}/annotations", "hr", body={"text": "x"}).status == 404
    listed = api("GET", "/v1/candidates?job_id=JOB-A", "hr").body["items"]
    assert [i["candidate_id"] for i in listed] == [erased["other"]]
    # and the other candidate is untouched
    assert api("GET", f"/v1/candidates/{erased['other']}", "hr").body["name"] == "李四"


def test_erased_data_cannot_be_decrypted_from_raw_items_and_objects(erased):
    aws, cid, before = erased["aws"], erased["cid"], erased["before"]
    # Then the candidate's data key and every linked event key are gone from the keys table
    assert "Item" not in aws.keys_table.get_item(Key=keys.data_key(candidate_subject(cid)))
    for ev in before["events"]:
        assert "Item" not in aws.keys_table.get_item(Key=keys.data_key(event_subject(ev)))
    # and a fresh container (no cached keys) cannot open anything captured before the erasure
    aws.encryptor.forget_cached()
    with pytest.raises(KeyDestroyed):
        aws.encryptor.decrypt_field(candidate_subject(cid), "name", before["profile"]["name_enc"])
    answer = before["result"]["answers"][0]
    with pytest.raises(KeyDestroyed):
        aws.encryptor.decrypt_field(candidate_subject(cid), f"{erased['rid']}/transcript/q1", answer["transcript_enc"])
    # and nothing of the candidate is left in the main table but the audit trail
    assert aws.candidates.partition(cid) == []
    items, objects = _everything(aws)
    assert not [i for i in items if i["pk"] == keys.candidate_pk(cid)]
    assert not [i for i in items if i["pk"].startswith("RID#") and i.get("candidate_id") == cid]
    assert not [i for i in items if i["pk"].startswith("IDENT#") and i.get("candidate_id") == cid]
    for ident in before["profile"]["idents"]:
        kind, _, blind = ident.partition("#")
        assert "Item" not in aws.table.get_item(Key=keys.identity(kind, blind))
    # and no object of theirs is left in S3, in any version: raw bodies, media, the export
    gone = {erased["media"], erased["export"], *(f"raw/{erased['vendor'][0]}/{ev}" for ev in before["events"])}
    assert not {k.split("@")[0] for k in objects} & gone
    # and no plaintext of theirs is anywhere, in any item or object
    dump = json.dumps(items, default=str, ensure_ascii=False).encode() + b"".join(objects.values())
    for secret in (NAME, EMAIL, PHONE, TRANSCRIPT, "很有潜力的候选人", "复核录像后上调"):
        assert secret.encode() not in dump
    # and the other candidate's data still decrypts
    assert api("GET", f"/v1/candidates/{erased['other']}", "hr").body["name"] == "李四"


def test_the_audit_trail_keeps_a_tombstone_without_personal_data(erased):
    aws, cid = erased["aws"], erased["cid"]
    # Then the trail is kept, readable by auditors as the record of an erasure
    r = api("GET", f"/v1/erasures/{cid}", "auditor")
    assert r.status == 200
    body = r.body
    assert body["chain_valid"] is True
    actions = [e["action"] for e in body["entries"]]
    assert actions[-1] == "candidate.erased"
    assert {"result.ingested", "annotation.added", "result.adjusted", "result.viewed"} <= set(actions)
    tomb = body["entries"][-1]
    assert tomb["actor"] == "test-hr_admin" and tomb["after"]["reason"] == "request"
    assert tomb["after"]["keys_destroyed"] >= 4 and tomb["after"]["objects_deleted"] >= 5
    # and what the earlier entries said about the person is sealed under the destroyed key
    adjusted = next(e for e in body["entries"] if e["action"] == "result.adjusted")
    assert adjusted["before"] is None and adjusted["after"] is None and adjusted["note"] is None
    raw = aws.audit.entries(cid)
    assert all(isinstance(e.get("after"), str | type(None)) for e in raw[:-1])  # ciphertext tokens
    text = json.dumps(raw, default=str, ensure_ascii=False)
    assert NAME not in text and "复核录像后上调" not in text
    # and the route refuses candidates that exist or never existed, and interviewers
    assert api("GET", f"/v1/erasures/{erased['other']}", "auditor").status == 404
    assert api("GET", "/v1/erasures/c_nobody", "auditor").status == 404
    assert api("GET", f"/v1/erasures/{cid}", "interviewer", department="risk").status == 403


def test_a_message_queued_before_the_erasure_is_dropped(aws):
    # Given a candidate, and a newer revision of their result waiting in the queue
    v = vendor(aws)
    cid = ingest(aws, v, "R-1", "C-q", "JOB-Q", {"communication": 70}, name=NAME)
    payload = generic_payload("R-1", "C-q", "JOB-Q", {"communication": 75}, revision=2, name=NAME)
    assert webhook(*v, payload).status == 202
    # When the candidate is erased before the consumer gets to it
    assert api("DELETE", f"/v1/candidates/{cid}", "hr_admin").status == 204
    drain(aws)
    # Then the message was dropped: nobody was re-created from it, and its raw body is unreadable
    assert aws.candidates.pointer(result_id(v[0], "R-1")) is None
    ident = aws.blind.identities("C-q", None, None)[0]
    assert "Item" not in aws.table.get_item(Key=keys.identity(*ident))
    assert api("GET", "/v1/candidates?job_id=JOB-Q", "hr").body["items"] == []
    raw = aws.s3.list_objects_v2(Bucket=aws.settings.evidence_bucket, Prefix=f"raw/{v[0]}/").get("Contents", [])
    assert len(raw) == 1  # the late one; the erased ones are gone
    ev = raw[0]["Key"].rsplit("/", 1)[1]
    with pytest.raises(KeyDestroyed):
        aws.encryptor.decrypt_blob(event_subject(ev), "raw-body", aws.evidence.get(raw[0]["Key"]))


def test_an_event_received_after_the_erasure_starts_a_new_record(aws):
    # Given an erased candidate
    v = vendor(aws)
    cid = ingest(aws, v, "R-1", "C-back", "JOB-N", {"communication": 70})
    assert api("DELETE", f"/v1/candidates/{cid}", "hr_admin").status == 204
    time.sleep(1.1)  # tombstones hold whole seconds
    # When the same person applies again later
    new = ingest(aws, v, "R-2", "C-back", "JOB-N", {"communication": 72})
    # Then that is new data under a new candidate id, which shares nothing with the erased one
    assert new != cid
    assert api("GET", f"/v1/candidates/{new}", "hr").status == 200
    assert api("GET", f"/v1/candidates/{cid}", "hr").status == 404


def test_erasure_is_hr_admin_only(aws):
    v = vendor(aws)
    cid = ingest(aws, v, "R-1", "C-a", "JOB-Z", {"communication": 70})
    for role in ("hr", "interviewer", "auditor", "finance"):
        assert api("DELETE", f"/v1/candidates/{cid}", role, department="risk").status == 403
    assert api("DELETE", f"/v1/candidates/{cid}", "candidate", candidate_id=cid).status == 403
    assert api("GET", f"/v1/candidates/{cid}", "hr").status == 200


def test_an_export_file_with_the_candidate_in_it_is_erased_with_them(aws):
    # Given two candidates exported to a stored file (large exports go to S3 behind a link)
    v = vendor(aws)
    cid = ingest(aws, v, "R-x1", "C-x1", "JOB-X", {"communication": 70}, name=NAME)
    other = ingest(aws, v, "R-x2", "C-x2", "JOB-X", {"communication": 60}, name="李四")
    aws.exporter.inline_max_bytes = 10
    r = api("GET", "/v1/exports?job_id=JOB-X&format=csv", "hr")
    assert r.status == 303
    (obj,) = aws.s3.list_objects_v2(Bucket=aws.settings.evidence_bucket, Prefix="exports/")["Contents"]
    # and the export is on both candidates' audit trails
    for c in (cid, other):
        entries = [e for e in aws.audit.read(c)["entries"] if e["action"] == "export.included"]
        assert len(entries) == 1 and entries[0]["actor"] == "test-hr" and entries[0]["after"]["job_id"] == "JOB-X"
    # When one of them is erased
    assert api("DELETE", f"/v1/candidates/{cid}", "hr_admin").status == 204
    # Then the file that held their name is gone, every version of it
    versions = aws.s3.list_object_versions(Bucket=aws.settings.evidence_bucket, Prefix=obj["Key"])
    assert not versions.get("Versions")


def test_a_queued_event_of_someone_else_sharing_a_phone_is_kept(aws):
    # Given a candidate with an ATS id and a phone, and another person (another ATS id) with the
    # same phone whose result waits in the queue
    v = vendor(aws)
    cid = ingest(aws, v, "R-a", "C-ats-a", "JOB-P", {"communication": 70}, phone=PHONE)
    payload = generic_payload("R-b", "C-ats-b", "JOB-P", {"communication": 75}, name="李四")
    payload["data"]["candidate"]["phone"] = PHONE
    assert webhook(*v, payload).status == 202
    # When the first is erased before the consumer gets to the second
    assert api("DELETE", f"/v1/candidates/{cid}", "hr_admin").status == 204
    drain(aws)
    # Then the other person's result is stored all the same
    other = aws.candidates.pointer(result_id(v[0], "R-b"))
    assert other and other["candidate_id"] != cid

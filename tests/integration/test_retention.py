"""The retention sweep with an injected clock: candidates erased after their outcome's period,
through the same erasure as DELETE; quarantined payloads destroyed after theirs."""

from __future__ import annotations

import json
import time

import pytest

from embedded.runtime import LocalContext
from shared.crypto.encryptor import KeyDestroyed, candidate_subject, event_subject
from shared.services.intake import iso
from shared.services.retention import RetentionSweep
from shared.storage import keys
from tests.integration.protection_kit import api, ingest, vendor, webhook

DAY = 86400
T0 = time.time()


def _sweep(aws, days_later: float) -> RetentionSweep:
    return RetentionSweep(
        table=aws.table,
        company=aws.company,
        eraser=aws.eraser,
        quarantine=aws.quarantine,
        evidence=aws.evidence,
        encryptor=aws.encryptor,
        clock=lambda: T0 + days_later * DAY,
    )


def _outcome(aws, cid: str, job: str, status: str, at: float = T0) -> None:
    aws.table.update_item(
        Key=keys.application(cid, job),
        UpdateExpression="SET #s = :s, status_changed_at = :t",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": status, ":t": iso(at)},
    )


def _exists(aws, cid: str) -> bool:
    return bool(aws.candidates.partition(cid))


@pytest.fixture
def people(aws):
    v = vendor(aws)
    out = {}
    for name, status in (
        ("rejected", "rejected"),
        ("withdrawn", "withdrawn"),
        ("hired", "hired"),
        ("pool", "rejected"),
        ("busy", "rejected"),
    ):
        cid = ingest(aws, v, f"R-{name}", f"C-{name}", "JOB-RET", {"communication": 70})
        _outcome(aws, cid, "JOB-RET", status)
        out[name] = cid
    # "busy" is still in process for another job
    ingest(aws, v, "R-busy2", "C-busy", "JOB-OTHER", {"communication": 70})
    # "pool" agreed to stay in the talent pool
    assert api("PUT", f"/v1/candidates/{out['pool']}/consent", "hr", body={"talent_pool": True}).status == 200
    return out


def test_candidates_are_erased_once_their_outcome_period_has_passed(aws, people):
    # Given the default policy: rejected 180 days, withdrawn 30, hired kept, talent pool 730
    # When the sweep runs 29 days after the outcomes
    assert _sweep(aws, 29).run().erased == []
    # Then nobody is erased yet; at 31 days the withdrawn candidate is
    assert _sweep(aws, 31).run().erased == [people["withdrawn"]]
    assert _sweep(aws, 179).run().erased == []
    # at 181 days the rejected one, but not the one still in process elsewhere nor the talent pool
    assert _sweep(aws, 181).run().erased == [people["rejected"]]
    for name in ("hired", "pool", "busy"):
        assert _exists(aws, people[name])
    # and at 731 days the talent pool one too; hired candidates are kept
    assert _sweep(aws, 731).run().erased == [people["pool"]]
    assert _exists(aws, people["hired"]) and _exists(aws, people["busy"])


def test_the_sweep_erases_through_the_same_path_as_delete(aws, people):
    cid = people["withdrawn"]
    before = aws.table.get_item(Key=keys.profile(cid))["Item"]
    _sweep(aws, 31).run()
    # Then it is the real erasure: key destroyed, every read 404, a tombstone in the trail
    aws.encryptor.forget_cached()
    with pytest.raises(KeyDestroyed):
        aws.encryptor.decrypt_field(candidate_subject(cid), "name", before["name_enc"])
    assert api("GET", f"/v1/candidates/{cid}", "hr").status == 404
    tomb = api("GET", f"/v1/erasures/{cid}", "auditor").body["entries"][-1]
    assert tomb["action"] == "candidate.erased" and tomb["actor"] == "retention-sweep"
    assert tomb["after"]["reason"] == "retention"


def test_the_policy_is_a_setting_hr_admins_change(aws, people):
    # When HR admin keeps rejected candidates 10 days and withdrawn ones forever
    policy = {"rejected": 10, "withdrawn": None, "hired": None, "talent_pool": 730, "quarantine": 30}
    r = api("PUT", "/v1/settings/retention", "hr_admin", body=policy)
    assert r.status == 200 and r.body == policy
    assert api("GET", "/v1/settings/retention", "hr_admin").body == policy
    # Then the sweep follows it
    assert _sweep(aws, 11).run().erased == [people["rejected"]]
    assert _sweep(aws, 400).run().erased == []
    assert _exists(aws, people["withdrawn"])
    # and nobody else sets it, nor to nonsense
    assert api("PUT", "/v1/settings/retention", "hr", body=policy).status == 403
    assert api("PUT", "/v1/settings/retention", "hr_admin", body={**policy, "rejected": 0}).status == 422


def test_quarantined_payloads_are_destroyed_after_their_period(aws):
    # Given a payload that never parsed, quarantined now
    v = vendor(aws)
    r = webhook(*v, {"type": "interview.result.completed", "data": {"candidate": {"name": "王五"}}})
    assert r.status == 422
    (q,), _ = aws.quarantine.list(10, None)
    blob = aws.evidence.get(q["s3_key"])
    # When the sweep runs within the period nothing happens; after it, the payload is gone
    assert _sweep(aws, 29).run().quarantine_destroyed == 0
    assert _sweep(aws, 31).run().quarantine_destroyed == 1
    assert aws.quarantine.list(10, None)[0] == []
    listed = aws.s3.list_object_versions(Bucket=aws.settings.evidence_bucket, Prefix=q["s3_key"])
    assert not listed.get("Versions")
    with pytest.raises(KeyDestroyed):
        aws.encryptor.decrypt_blob(event_subject(q["event_hash"]), "raw-body", blob)


def test_the_scheduled_function_runs_the_sweep(aws, people):
    from functions.workflow.retention import lambda_handler

    out = lambda_handler({"source": "aws.events", "detail-type": "Scheduled Event"}, LocalContext("retention"))
    # nothing is old enough yet on the real clock
    assert out == {"examined": 5, "erased": 0, "quarantine_destroyed": 0}
    json.dumps(out)

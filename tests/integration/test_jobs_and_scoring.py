"""Talent profiles, counters kept on the job item, and the fanned-out re-score of a job (moto)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.errors import Conflict, Forbidden, NotFound
from shared.models.domain import TalentProfile
from shared.scoring.percentile import histogram_of
from shared.storage import keys
from shared.storage.jobs import counted_marker
from tests.integration.analysis_support import ADMIN, HR, drain, store_result

PROFILE = {
    "title": "风控分析师",
    "department": "risk",
    "competencies": [
        {"code": "logical_thinking", "weight": 0.3, "min": 80, "must_have": True},
        {"code": "stress_tolerance", "weight": 0.2, "min": 70},
        {"code": "communication", "weight": 0.5},
    ],
    "thresholds": {"hire": 80, "second_interview": 65},
}


def profile(**over: Any) -> TalentProfile:
    return TalentProfile.model_validate({**PROFILE, **over})


def test_put_creates_then_replaces_and_keeps_counters(aws):
    # Given a job first seen in a webhook, with one scored candidate
    store_result(aws, "acme", "JOB-7", "C-1", {"communication": 90})
    assert aws.jobs.get("JOB-7").profile_defined is False
    drain(aws)
    # When HR sets its profile
    created, view = aws.analysis.put_job(HR, "JOB-7", profile())
    # Then it counts as created (there was no profile), counters and histogram survive, and a re-score is queued
    assert created is True and view["profile_defined"] is True
    assert view["counts"]["total"] == 1 and view["scored"] == 1
    assert drain(aws) == [{"kind": "job", "job_id": "JOB-7"}]
    # When the same profile is put again: replaced, nothing to re-score
    created, _ = aws.analysis.put_job(HR, "JOB-7", profile())
    assert created is False and drain(aws) == []
    # When a threshold changes: a re-score is queued again
    created, _ = aws.analysis.put_job(HR, "JOB-7", profile(thresholds={"hire": 85, "second_interview": 65}))
    assert created is False and drain(aws) == [{"kind": "job", "job_id": "JOB-7"}]


def test_profile_validation():
    with pytest.raises(ValueError, match="unknown competency"):
        profile(competencies=[{"code": "charisma", "weight": 1}])
    with pytest.raises(ValueError):
        profile(competencies=[{"code": "communication", "weight": 0}])
    with pytest.raises(ValueError, match="must not exceed"):
        profile(thresholds={"hire": 60, "second_interview": 70})
    with pytest.raises(ValueError, match="twice"):
        profile(competencies=[{"code": "communication", "weight": 1}, {"code": "communication", "weight": 2}])


def test_roles_on_jobs(aws):
    from shared.authz.policy import Principal, Role

    aws.analysis.put_job(ADMIN, "JOB-R", profile())
    with pytest.raises(Forbidden):
        aws.analysis.put_job(Principal("i", Role.INTERVIEWER, department="risk"), "JOB-R", profile())
    assert aws.analysis.job(Principal("i", Role.INTERVIEWER, department="risk"), "JOB-R")["job_id"] == "JOB-R"
    with pytest.raises(NotFound):
        aws.analysis.job(Principal("i", Role.INTERVIEWER, department="sales"), "JOB-R")
    listed = aws.analysis.list_jobs(Principal("i", Role.INTERVIEWER, department="sales"), 50, None)
    assert all(j["job_id"] != "JOB-R" for j in listed["items"])
    with pytest.raises(Forbidden):
        aws.analysis.job(Principal("f", Role.FINANCE), "JOB-R")


def test_counts_by_status_and_recommendation_follow_scores_and_status(aws):
    # Given three candidates scored against the profile: hire, second interview (below a min), reject (must-have)
    aws.analysis.put_job(HR, "JOB-C", profile())
    hire = store_result(
        aws, "acme", "JOB-C", "C-h", {"logical_thinking": 90, "stress_tolerance": 85, "communication": 90}, rid="R-h"
    )
    second = store_result(
        aws, "acme", "JOB-C", "C-s", {"logical_thinking": 90, "stress_tolerance": 60, "communication": 90}
    )
    store_result(aws, "acme", "JOB-C", "C-r", {"logical_thinking": 50, "stress_tolerance": 90, "communication": 95})
    counts = aws.analysis.job(HR, "JOB-C")["counts"]
    assert counts["total"] == 3
    assert counts["by_status"]["awaiting_review"] == 3
    assert counts["by_recommendation"] == {"hire": 1, "second_interview": 1, "reject": 1, "unscored": 0}
    # When the workflow moves one application on, through JobRepository.change_status
    aws.jobs.change_status(second, "JOB-C", expected="awaiting_review", new="second_interview")
    counts = aws.analysis.job(HR, "JOB-C")["counts"]
    assert counts["by_status"]["awaiting_review"] == 2 and counts["by_status"]["second_interview"] == 1
    # And a move not allowed from the current status is a conflict that changes nothing
    with pytest.raises(Conflict):
        aws.jobs.change_status(second, "JOB-C", expected="awaiting_review", new="offer")
    # When a new revision lowers the hire candidate below the must-have
    store_result(
        aws,
        "acme",
        "JOB-C",
        "C-h",
        {"logical_thinking": 40, "stress_tolerance": 85, "communication": 90},
        rid="R-h",
        revision=2,
    )
    counts = aws.analysis.job(HR, "JOB-C")["counts"]
    assert counts["by_recommendation"]["hire"] == 0 and counts["by_recommendation"]["reject"] == 2
    app = aws.candidates.get_application(hire, "JOB-C")
    assert app["counted"] == counted_marker("awaiting_review", "reject")


def test_rescoring_an_unchanged_application_writes_nothing(aws):
    cid = store_result(aws, "acme", "JOB-U", "C-u", {"communication": 70})
    before = aws.candidates.get_application(cid, "JOB-U")["score_version"]
    aws.scorer.rescore(cid, "JOB-U")
    assert aws.candidates.get_application(cid, "JOB-U")["score_version"] == before
    job = aws.jobs.get_item("JOB-U")
    assert sum(histogram_of(job).values()) == 1


def test_job_rescore_fans_out_in_bounded_slices(aws):
    # Given a job with 250 applications on its index
    with aws.table.batch_writer() as batch:
        for i in range(250):
            cid = f"c_{i:04d}"
            batch.put_item(
                Item={
                    **keys.application(cid, "JOB-F"),
                    "candidate_id": cid,
                    "job_id": "JOB-F",
                    "gsi1pk": keys.job_candidates_pk("JOB-F"),
                    "gsi1sk": keys.match_sort_key(None, cid),
                }
            )
    fan = type(aws.fanout)(aws.table, aws.sqs, aws.settings.score_queue_url, page_size=100, max_pages=2)
    # When one job message is handled: two pages, then a continuation message with the cursor
    assert fan.run("JOB-F", None, lambda: 60_000) == 200
    msgs = drain(aws)
    apps = [m for m in msgs if m["kind"] == "application"]
    conts = [m for m in msgs if m["kind"] == "job"]
    assert len(apps) == 200 and len(conts) == 1 and conts[0]["cursor"]
    # When the continuation runs with little time left: one page, and it would stop early anyway
    assert fan.run("JOB-F", conts[0]["cursor"], lambda: 1_000) == 50
    rest = drain(aws)
    assert all(m["kind"] == "application" for m in rest)
    # Then every application was queued exactly once
    assert sorted(m["candidate_id"] for m in apps + rest) == [f"c_{i:04d}" for i in range(250)]


def test_low_remaining_time_hands_over_after_one_page(aws):
    with aws.table.batch_writer() as batch:
        for i in range(30):
            cid = f"c_{i:04d}"
            batch.put_item(
                Item={
                    **keys.application(cid, "JOB-T"),
                    "candidate_id": cid,
                    "job_id": "JOB-T",
                    "gsi1pk": keys.job_candidates_pk("JOB-T"),
                    "gsi1sk": keys.match_sort_key(None, cid),
                }
            )
    fan = type(aws.fanout)(aws.table, aws.sqs, aws.settings.score_queue_url, page_size=10, max_pages=10)
    assert fan.run("JOB-T", None, lambda: 100) == 10
    assert [m["kind"] for m in drain(aws)].count("job") == 1


def test_score_handler_routes_both_kinds(aws):
    from embedded.runtime import LocalContext
    from functions.score.handler import lambda_handler

    cid = store_result(aws, "acme", "JOB-H", "C-1", {"communication": 70}, score=False)
    drain(aws)
    records = [
        {
            "messageId": "1",
            "receiptHandle": "x",
            "body": json.dumps({"kind": "application", "candidate_id": cid, "job_id": "JOB-H"}),
            "attributes": {},
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:eu-central-1:123456789012:q",
            "awsRegion": "eu-central-1",
        },
        {
            "messageId": "2",
            "receiptHandle": "y",
            "body": json.dumps({"kind": "job", "job_id": "JOB-H"}),
            "attributes": {},
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:eu-central-1:123456789012:q",
            "awsRegion": "eu-central-1",
        },
    ]
    out = lambda_handler({"Records": records}, LocalContext("score"))
    assert out["batchItemFailures"] == []
    assert aws.candidates.get_application(cid, "JOB-H")["match_score"] == 70.0
    assert drain(aws) == [{"kind": "application", "candidate_id": cid, "job_id": "JOB-H"}]

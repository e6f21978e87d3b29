"""GET /v1/candidates filters against moto: exactly the right candidates, index queries only, never Scan."""

from __future__ import annotations

from typing import Any

import pytest

from shared.authz.policy import Principal, Role
from shared.errors import BadRequest
from shared.services.views import MAX_READ_FACTOR
from tests.integration.analysis_support import HR, store_result

JOB = "JOB-Q"
# (communication, logical_thinking) per candidate, chosen so that filters cut in different places
SCORES = {f"C-{i:02d}": (40 + (i * 37) % 58, 50 + (i * 23) % 48) for i in range(16)}
SCORES.update({"C-top1": (99, 99), "C-top2": (99.5, 98)})


class DynamoCalls:
    """Every DynamoDB call the client makes while attached; a Scan fails the test on the spot."""

    def __init__(self, client: Any) -> None:
        self.client, self.queries = client, []
        client.meta.events.register("before-call.dynamodb.Scan", self._no_scan)
        client.meta.events.register("before-parameter-build.dynamodb.Query", self._ask)
        client.meta.events.register("after-call.dynamodb.Query", self._query)

    def _no_scan(self, **kw: Any) -> None:
        raise AssertionError("a request path issued a Scan")

    def _ask(self, params: dict[str, Any], **kw: Any) -> None:
        self.queries.append({"index": params.get("IndexName"), "read": 0})

    def _query(self, parsed: dict[str, Any], **kw: Any) -> None:
        self.queries[-1]["read"] = parsed.get("ScannedCount", 0)

    def close(self) -> None:
        self.client.meta.events.unregister("before-call.dynamodb.Scan", self._no_scan)
        self.client.meta.events.unregister("before-parameter-build.dynamodb.Query", self._ask)
        self.client.meta.events.unregister("after-call.dynamodb.Query", self._query)


@pytest.fixture
def seeded(aws):
    ids = {}
    for ext, (comm, logic) in SCORES.items():
        ids[ext] = store_result(aws, "acme", JOB, ext, {"communication": comm, "logical_thinking": logic})
    store_result(aws, "acme", "JOB-OTHER", "C-x", {"communication": 99, "logical_thinking": 99})
    calls = DynamoCalls(aws.table.meta.client)
    yield aws, ids, calls
    calls.close()


def everything(aws: Any, principal: Principal = HR, **kw: Any) -> list[dict[str, Any]]:
    out, cursor = [], None
    while True:
        page = aws.views.list_candidates(
            principal,
            job_id=kw.pop("job_id", JOB),
            mins=kw.get("mins", {}),
            recommendation=kw.get("recommendation"),
            status=kw.get("status"),
            sort=kw.get("sort", "-match_score"),
            limit=kw.get("limit", 5),
            cursor=cursor,
        )
        out.extend(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return out


def test_min_filters_combine_and_rank_best_first(seeded):
    aws, ids, calls = seeded
    # When listing communication ≥ 80 and logical_thinking ≥ 75
    got = everything(aws, mins={"communication": 80, "logical_thinking": 75})
    # Then exactly those candidates come back, best match first, and only from this job
    want = {ids[e] for e, (c, lg) in SCORES.items() if c >= 80 and lg >= 75}
    assert want and {i["candidate_id"] for i in got} == want
    assert [i["match_score"] for i in got] == sorted((i["match_score"] for i in got), reverse=True)
    assert all(i["job_id"] == JOB for i in got)
    # And every read went through the job's index
    assert calls.queries and all(q["index"] == "gsi1" for q in calls.queries)


def test_single_min_filter_and_ascending_sort(seeded):
    aws, ids, _ = seeded
    got = everything(aws, mins={"communication": 70}, sort="match_score", limit=4)
    assert {i["candidate_id"] for i in got} == {ids[e] for e, (c, _) in SCORES.items() if c >= 70}
    assert [i["match_score"] for i in got] == sorted(i["match_score"] for i in got)


def test_recommendation_and_status_filters(seeded):
    aws, _, _ = seeded
    everyone = everything(aws, limit=50)
    hires = {i["candidate_id"] for i in everyone if i["recommendation"] == "hire"}
    assert hires and {i["candidate_id"] for i in everything(aws, recommendation="hire")} == hires
    moved = next(iter(hires))
    aws.jobs.change_status(moved, JOB, expected="awaiting_review", new="second_interview")
    assert [i["candidate_id"] for i in everything(aws, status="second_interview")] == [moved]
    assert moved not in {i["candidate_id"] for i in everything(aws, status="awaiting_review")}


def test_a_filtered_page_reads_a_bounded_number_of_index_items(seeded):
    aws, ids, calls = seeded
    # Given a filter only the two best candidates pass, listed worst first, one per page
    limit, pages, cursor, got = 1, 0, None, []
    while True:
        calls.queries.clear()
        page = aws.views.list_candidates(
            HR,
            job_id=JOB,
            mins={"communication": 99},
            recommendation=None,
            status=None,
            sort="match_score",
            limit=limit,
            cursor=cursor,
        )
        pages += 1
        # Then no page reads more than limit × MAX_READ_FACTOR index items, whatever the job's size
        assert sum(q["read"] for q in calls.queries) <= limit * MAX_READ_FACTOR
        got.extend(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    # And following the cursor still yields exactly the matching candidates (short pages are the price)
    assert [i["candidate_id"] for i in got] == [ids["C-top1"], ids["C-top2"]] or [i["candidate_id"] for i in got] == [
        ids["C-top2"],
        ids["C-top1"],
    ]
    assert pages > len(got)


def test_interviewers_see_their_department_only(aws):
    store_result(aws, "acme", "JOB-D", "C-risk", {"communication": 90}, department="risk")
    store_result(aws, "acme", "JOB-D", "C-sales", {"communication": 95}, department="sales")
    risk = Principal("i", Role.INTERVIEWER, department="risk")
    got = everything(aws, principal=risk, job_id="JOB-D")
    assert [i["department"] for i in got] == ["risk"]


def test_bad_filters_are_refused(aws):
    with pytest.raises(BadRequest):
        aws.views.list_candidates(
            HR,
            job_id=JOB,
            mins={"charisma": 1},
            recommendation=None,
            status=None,
            sort="-match_score",
            limit=5,
            cursor=None,
        )
    with pytest.raises(BadRequest):
        aws.views.list_candidates(
            HR,
            job_id=JOB,
            mins={"communication": float("nan")},
            recommendation=None,
            status=None,
            sort="-match_score",
            limit=5,
            cursor=None,
        )

"""API pull against a vendor played by a real HTTP server on 127.0.0.1 (moto for AWS)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from email.utils import formatdate
from typing import Any

import httpx
import pytest

from shared.services.pull import PullPolicy, VendorPuller, retry_after_seconds
from tests.conftest import generic_payload, unique
from tests.loopback_vendor import Answer, LoopbackVendor, page

TOKEN = "tok_SECRET_never_stored_in_dynamodb_123"


class Clock:
    def __init__(self) -> None:
        self.now = 1_790_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def vendor_server() -> Iterator[LoopbackVendor]:
    v = LoopbackVendor()
    yield v
    v.close()


@pytest.fixture
def setup(aws: Any, vendor_server: LoopbackVendor) -> dict[str, Any]:
    name = unique("pv")
    aws.vendors.create(name, "generic", "whsec_" + "A" * 44, time.time())
    secret_name = aws.pull_secrets.put(name, {"type": "bearer", "token": TOKEN})
    aws.pulls.configure(
        name,
        base_url=vendor_server.url,
        auth_type="bearer",
        auth_header=None,
        secret_name=secret_name,
        interval_minutes=60,
        page_size=2,
        enabled=True,
        now=time.time(),
    )
    sleeps: list[float] = []
    clock = Clock()

    def sleep(s: float) -> None:
        sleeps.append(s)
        clock.now += s

    puller = VendorPuller(
        pulls=aws.pulls,
        secrets=aws.pull_secrets,
        vendors=aws.vendors,
        events=aws.events,
        intake=aws.intake,
        http=httpx.Client(trust_env=False),
        policy=PullPolicy(timeout_s=0.3, max_attempts=3, backoff_base_s=0.5, backoff_max_s=20),
        clock=clock,
        sleep=sleep,
        jitter=lambda: 1.0,
    )
    return {"name": name, "puller": puller, "sleeps": sleeps, "clock": clock, "services": aws}


def item(rid: str, candidate: str, job: str, revision: int = 1) -> dict[str, Any]:
    return generic_payload(rid, candidate, job, {"communication": 80, "teamwork": 70}, revision=revision)


def drain_ingest(s: Any) -> list[str]:
    """What the ingest consumer would do with every queued message."""
    outcomes = []
    while True:
        out = s.sqs.receive_message(QueueUrl=s.settings.ingest_queue_url, MaxNumberOfMessages=10)
        msgs = out.get("Messages", [])
        if not msgs:
            return outcomes
        for m in msgs:
            outcomes.append(s.processor.handle_event(json.loads(m["Body"])))
            s.sqs.delete_message(QueueUrl=s.settings.ingest_queue_url, ReceiptHandle=m["ReceiptHandle"])


def queued_messages(s: Any) -> int:
    attrs = s.sqs.get_queue_attributes(
        QueueUrl=s.settings.ingest_queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"])


def test_pages_are_pulled_from_the_cursor_and_land_in_profiles(setup, vendor_server):
    # Given a vendor with three new results over two pages
    job = unique("JOB-")
    vendor_server.script(
        "/results",
        page([item("P-1", "C-1", job), item("P-2", "C-2", job)], "c1", has_more=True),
        page([item("P-3", "C-1", job)], "c2", has_more=False),
    )
    # When the puller runs
    report = setup["puller"].pull(setup["name"])
    # Then both pages were fetched from the saved cursor on, with the bearer credential
    assert (report.status, report.pages, report.queued, report.cursor) == ("ok", 2, 3, "c2")
    reqs = vendor_server.requests_to("/results")
    assert [r["query"] for r in reqs] == [{"limit": "2"}, {"limit": "2", "since": "c1"}]
    assert all(r["headers"]["authorization"] == f"Bearer {TOKEN}" for r in reqs)
    # and the consumer turns them into results in the candidates' profiles
    s = setup["services"]
    assert drain_ingest(s) == ["applied", "applied", "applied"]
    cfg = s.pulls.get(setup["name"])
    assert cfg["cursor"] == "c2" and cfg["last_status"] == "ok" and cfg["pulled_total"] == 3
    from shared.storage.candidates import result_id_for

    r1 = s.candidates.get_result(result_id_for(setup["name"], "P-1"))
    r3 = s.candidates.get_result(result_id_for(setup["name"], "P-3"))
    assert r1["candidate_id"] == r3["candidate_id"]  # C-1 has both of its results
    assert r1["source"] == "pull"


def test_a_result_pulled_again_is_not_queued_again(setup, vendor_server):
    # Given a result already pulled and processed
    job = unique("JOB-")
    vendor_server.script("/results", page([item("P-1", "C-1", job)], "c1", has_more=False))
    setup["puller"].pull(setup["name"])
    assert drain_ingest(setup["services"]) == ["applied"]
    # When the vendor serves it again (same id, same revision) beside a new revision of it
    vendor_server.script(
        "/results", page([item("P-1", "C-1", job), item("P-1", "C-1", job, revision=2)], "c2", has_more=False)
    )
    report = setup["puller"].pull(setup["name"])
    # Then only the new revision is queued
    assert (report.duplicates, report.queued) == (1, 1)
    assert drain_ingest(setup["services"]) == ["applied"]


def test_429_waits_for_retry_after_in_seconds(setup, vendor_server):
    # Given a vendor that is rate limiting for 7 seconds
    vendor_server.script(
        "/results", Answer(429, headers={"Retry-After": "7"}), page([item("P-1", "C-1", unique("J"))], "c1", False)
    )
    # When the puller runs
    report = setup["puller"].pull(setup["name"])
    # Then it waited exactly what the vendor asked (more than its own backoff) and went on
    assert setup["sleeps"] == [7.0]
    assert (report.status, report.queued, report.attempts) == ("ok", 1, ["HTTP 429"])


def test_429_retry_after_as_an_http_date(setup, vendor_server):
    when = formatdate(setup["clock"].now + 4, usegmt=True)
    vendor_server.script("/results", Answer(503, headers={"Retry-After": when}), page([], "c0", False))
    report = setup["puller"].pull(setup["name"])
    assert setup["sleeps"] == [4.0]
    assert report.status == "ok"


def test_a_retry_after_beyond_the_run_ends_it_and_moves_the_next_run(setup, vendor_server):
    # Given a vendor asking to come back in an hour and a half
    vendor_server.script("/results", Answer(429, headers={"Retry-After": "5400"}))
    before = setup["clock"].now
    # When the puller runs
    report = setup["puller"].pull(setup["name"])
    # Then it does not sleep inside the run, keeps the cursor, and is not due before then
    assert setup["sleeps"] == []
    assert report.status == "rate_limited"
    cfg = setup["services"].pulls.get(setup["name"])
    assert cfg.get("cursor") is None
    assert cfg["next_run_at"] >= before + 5400
    assert setup["services"].pulls.due(before + 3600) == []


def test_5xx_is_retried_with_exponential_backoff(setup, vendor_server):
    vendor_server.script("/results", Answer(500), Answer(502), page([item("P-1", "C-1", unique("J"))], "c1", False))
    report = setup["puller"].pull(setup["name"])
    # jitter is pinned to its maximum here: 0.5 s, then 1 s
    assert setup["sleeps"] == [0.5, 1.0]
    assert (report.status, report.queued) == ("ok", 1)


def test_full_jitter_stays_under_the_exponential_ceiling(setup, vendor_server):
    setup["puller"].jitter = lambda: 0.25
    vendor_server.script("/results", Answer(500), Answer(500), page([], None, False))
    setup["puller"].pull(setup["name"])
    assert setup["sleeps"] == [0.125, 0.25]


def test_attempts_are_bounded_and_the_cursor_stays(setup, vendor_server):
    # Given a vendor that only fails
    vendor_server.script("/results", Answer(500))
    # When the puller runs
    report = setup["puller"].pull(setup["name"])
    # Then it gave up after the policy's attempts, and reports why
    assert len(vendor_server.requests_to("/results")) == 3
    assert report.status == "failed" and report.error == "HTTP 500 after 3 attempts"
    cfg = setup["services"].pulls.get(setup["name"])
    assert cfg["last_status"] == "failed" and cfg["last_error"] == "HTTP 500 after 3 attempts"
    assert cfg.get("cursor") is None
    assert queued_messages(setup["services"]) == 0


def test_a_slow_answer_times_out_and_is_retried(setup, vendor_server):
    # Given a vendor whose first answer comes after the client's 0.3 s timeout
    vendor_server.script(
        "/results",
        Answer(200, b'{"items": [], "next_cursor": null}', delay_s=1.0),
        page([item("P-1", "C-1", unique("J"))], "c1", False),
    )
    # When the puller runs
    started = time.monotonic()
    report = setup["puller"].pull(setup["name"])
    # Then the slow answer was abandoned at the timeout and the retry succeeded
    assert report.attempts == ["timeout"]
    assert (report.status, report.queued, report.cursor) == ("ok", 1, "c1")
    assert time.monotonic() - started < 0.9


def test_a_partial_page_then_failure_keeps_the_cursor_at_the_last_full_page(setup, vendor_server):
    # Given page one served whole, then page two cut off mid-body on every attempt
    job = unique("JOB-")
    full = page([item("P-1", "C-1", job), item("P-2", "C-2", job)], "c1", has_more=True)
    cut = page([item("P-3", "C-3", job), item("P-4", "C-4", job)], "c2", has_more=False)
    cut.truncate = True
    vendor_server.script("/results", full, cut)
    # When the puller runs
    report = setup["puller"].pull(setup["name"])
    # Then page one's results are queued and the cursor stops after it
    assert report.status == "failed" and "connection error" in str(report.error)
    assert (report.pages, report.queued) == (1, 2)
    assert setup["services"].pulls.get(setup["name"])["cursor"] == "c1"
    # And the next run asks again from there, and nothing is lost or doubled
    vendor_server.script("/results", page([item("P-3", "C-3", job), item("P-4", "C-4", job)], "c2", False))
    setup["puller"].pull(setup["name"])
    assert vendor_server.requests_to("/results")[-1]["query"]["since"] == "c1"
    assert sorted(drain_ingest(setup["services"])) == ["applied"] * 4


def test_a_failing_second_page_keeps_the_cursor_after_the_first(setup, vendor_server):
    job = unique("JOB-")
    vendor_server.script("/results", page([item("P-1", "C-1", job)], "c1", has_more=True), Answer(503))
    report = setup["puller"].pull(setup["name"])
    assert report.status == "failed" and report.error == "HTTP 503 after 3 attempts"
    assert setup["services"].pulls.get(setup["name"])["cursor"] == "c1"


def test_a_client_error_is_not_retried(setup, vendor_server):
    vendor_server.script("/results", Answer(401))
    report = setup["puller"].pull(setup["name"])
    assert report.status == "failed" and report.error == "the vendor answered HTTP 401"
    assert len(vendor_server.requests_to("/results")) == 1
    assert setup["sleeps"] == []


def test_a_page_that_is_not_a_results_page_fails_without_moving(setup, vendor_server):
    vendor_server.script("/results", Answer(200, b'{"results": []}', {"Content-Type": "application/json"}))
    report = setup["puller"].pull(setup["name"])
    assert report.status == "failed" and report.error == "the page is not a valid results page"
    assert setup["services"].pulls.get(setup["name"]).get("cursor") is None


def test_an_item_not_in_the_vendors_format_is_quarantined_and_the_page_moves_on(setup, vendor_server):
    # Given a page with one good and one broken item
    job = unique("JOB-")
    vendor_server.script("/results", page([item("P-1", "C-1", job), {"type": "nonsense"}], "c1", False))
    # When the puller runs
    report = setup["puller"].pull(setup["name"])
    # Then the broken one is kept in quarantine (nothing is lost) and the cursor moves on
    assert (report.queued, report.quarantined, report.cursor) == (1, 1, "c1")
    s = setup["services"]
    items, _ = s.quarantine.list(50, None)
    mine = [i for i in items if i["vendor"] == setup["name"]]
    assert len(mine) == 1 and mine[0]["source"] == "pull" and mine[0]["event_id"].startswith("pull:sha256:")


def test_the_api_key_credential_goes_in_its_header(setup, vendor_server):
    s = setup["services"]
    s.pull_secrets.put(setup["name"], {"type": "api_key", "header": "X-Api-Key", "value": "k-123"})
    vendor_server.script("/results", page([], None, False))
    setup["puller"].pull(setup["name"])
    headers = vendor_server.requests_to("/results")[0]["headers"]
    assert headers["x-api-key"] == "k-123" and "authorization" not in headers


def test_credentials_are_in_secrets_manager_only_never_in_dynamodb_or_logs(setup, vendor_server, capsys):
    # Given a pull run that fails (the path most likely to log too much)
    vendor_server.script("/results", Answer(500))
    setup["puller"].pull(setup["name"])
    s = setup["services"]
    # Then the token is nowhere in the main table, and only its secret's name is
    dump = json.dumps(s.table.scan()["Items"], default=str)
    assert TOKEN not in dump
    assert s.pulls.get(setup["name"])["secret_name"] == f"hirelens/vendor-pull/{setup['name']}"
    # and the secret is encrypted with the project key
    described = s.secretsmanager.describe_secret(SecretId=f"hirelens/vendor-pull/{setup['name']}")
    assert described["KmsKeyId"] == s.settings.kms_key_id
    # and no log line carries it
    out = capsys.readouterr()
    assert TOKEN not in out.out + out.err


def test_a_secret_outside_the_prefix_is_never_read(aws):
    with pytest.raises(ValueError, match="prefix"):
        aws.pull_secrets.get("prod/database-password")


def test_one_run_at_a_time_per_vendor(setup, vendor_server):
    s = setup["services"]
    assert s.pulls.lease(setup["name"], setup["clock"].now, 300) is not None
    report = setup["puller"].pull(setup["name"])
    assert report.status == "busy"
    assert vendor_server.requests_to("/results") == []


def test_only_due_and_enabled_vendors_are_pulled(setup, vendor_server):
    s, puller = setup["services"], setup["puller"]
    # Given the fixture's vendor due now, a second one disabled
    other = unique("pv")
    s.vendors.create(other, "generic", "whsec_" + "B" * 44, time.time())
    s.pulls.configure(
        other,
        base_url=vendor_server.url,
        auth_type="bearer",
        auth_header=None,
        secret_name=s.pull_secrets.put(other, {"type": "bearer", "token": "x"}),
        interval_minutes=5,
        page_size=10,
        enabled=False,
        now=time.time(),
    )
    vendor_server.script("/results", page([], "c1", False))
    setup["clock"].now = time.time()
    # When the schedule fires twice within the interval
    first = puller.run_due()
    second = puller.run_due()
    # Then the enabled vendor was pulled once, the disabled one never
    assert [r.vendor for r in first] == [setup["name"]]
    assert second == []
    # and once its interval has elapsed it is due again
    setup["clock"].now += 60 * 60 + 1
    assert [r.vendor for r in puller.run_due()] == [setup["name"]]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3", 3.0), ("0", 0.0), (" 12 ", 12.0), ("", None), (None, None), ("soon", None), ("-5", None)],
)
def test_retry_after_seconds(value, expected):
    assert retry_after_seconds(value, 1_000.0) == expected


def test_retry_after_http_date_in_the_past_is_now():
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", 1_790_000_000.0) == 0.0

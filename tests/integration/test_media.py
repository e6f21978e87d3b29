"""Media copies: fetched from a loopback vendor, encrypted per candidate, served by signed links."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from embedded.runtime import LocalContext
from shared.crypto.encryptor import candidate_subject
from shared.crypto.medialinks import LinkInvalid, MediaLinks
from shared.errors import Forbidden, NotFound
from shared.services.media import MediaCopier, byte_range
from shared.storage import keys
from shared.storage.candidates import result_id_for
from shared.vendors.registry import adapter_for
from tests.conftest import generic_payload, unique
from tests.loopback_vendor import Answer, LoopbackVendor

MIB = 1024 * 1024


@pytest.fixture
def vendor_server() -> Iterator[LoopbackVendor]:
    v = LoopbackVendor()
    yield v
    v.close()


@pytest.fixture
def s(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Services whose media copier may reach the loopback vendor (private networks allowed)."""
    from shared import wiring

    monkeypatch.setenv("HIRELENS_MEDIA_ALLOW_PRIVATE_NETWORKS", "true")
    wiring.reset()
    return wiring.services()


def apply_with_media(s: Any, url: str, *, revision: int = 1, rid: str | None = None) -> str:
    vendor = "mv"
    rid = rid or unique("M-")
    payload = generic_payload(rid, "C-" + rid, "JOB-M", {"communication": 80}, revision=revision)
    payload["data"]["answers"][0]["media"] = {"url": url, "content_type": "video/mp4", "duration_s": 12}
    r = adapter_for("generic").parse(vendor, json.dumps(payload).encode())
    assert s.processor.apply(r, event_ref=unique("ev"), received_at="2026-11-20T08:30:00Z") == "applied"
    return result_id_for(vendor, rid)


def receive_media(s: Any) -> list[dict[str, Any]]:
    out = s.sqs.receive_message(QueueUrl=s.settings.media_queue_url, MaxNumberOfMessages=10, AttributeNames=["All"])
    return out.get("Messages", [])


def run_media_function(s: Any, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The media Lambda on one real SQS batch, then what the event source mapping does with its answer."""
    from functions.ingest.media import lambda_handler

    records = [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": m.get("Attributes", {}),
            "messageAttributes": {},
            "md5OfBody": m.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:eu-central-1:123456789012:hirelens-media",
            "awsRegion": "eu-central-1",
        }
        for m in messages
    ]
    answer = lambda_handler({"Records": records}, LocalContext("media"))
    failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
    for m in messages:
        if m["MessageId"] in failed:  # visible again at once, instead of after the visibility timeout
            s.sqs.change_message_visibility(
                QueueUrl=s.settings.media_queue_url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
            )
        else:
            s.sqs.delete_message(QueueUrl=s.settings.media_queue_url, ReceiptHandle=m["ReceiptHandle"])
    return answer


def media_of(s: Any, rid: str) -> dict[str, Any]:
    return s.candidates.get_result(rid)["answers"][0]["media"]


def objects(s: Any, prefix: str = "media/") -> list[str]:
    out = s.s3.list_objects_v2(Bucket=s.settings.evidence_bucket, Prefix=prefix)
    return [o["Key"] for o in out.get("Contents", [])]


def copier(s: Any, **overrides: Any) -> MediaCopier:
    kwargs: dict[str, Any] = {
        "candidates": s.candidates,
        "table": s.table,
        "store": s.media_store,
        "encryptor": s.encryptor,
        "http": httpx.Client(trust_env=False),
        "max_bytes": 200 * MIB,
        "timeout_s": 2.0,
        "allow_private_networks": True,
    }
    kwargs.update(overrides)
    return MediaCopier(**kwargs)


def test_a_result_with_media_queues_one_copy_per_linked_answer(s, vendor_server):
    rid = apply_with_media(s, vendor_server.url + "/m/1.mp4")
    messages = receive_media(s)
    assert len(messages) == 1
    body = json.loads(messages[0]["Body"])
    assert body == {
        "kind": "media",
        "candidate_id": s.candidates.get_result(rid)["candidate_id"],
        "result_id": rid,
        "revision": 1,
        "answer": 0,
        "question_id": "q1",
        "url": vendor_server.url + "/m/1.mp4",
    }


def test_media_is_copied_encrypted_under_the_candidates_key_and_served_back(s, vendor_server):
    # Given a vendor serving a 2.5 MiB video
    video = os.urandom(int(2.5 * MIB))
    vendor_server.script("/m/1.mp4", Answer(200, video, {"Content-Type": "video/mp4"}))
    rid = apply_with_media(s, vendor_server.url + "/m/1.mp4")
    # When the media function runs
    answer = run_media_function(s, receive_media(s))
    # Then the answer's media is copied, with its size and our own key
    assert answer == {"batchItemFailures": []}
    media = media_of(s, rid)
    assert media["status"] == "copied" and media["size"] == len(video)
    assert media["stored_content_type"] == "video/mp4"
    assert media["url"] == vendor_server.url + "/m/1.mp4"
    # And the object in the bucket is ciphertext (moto keeps S3 data in clear: this is ours)
    stored = s.s3.get_object(Bucket=s.settings.evidence_bucket, Key=media["s3_key"])
    data = stored["Body"].read()
    assert video[:4096] not in data and video[-4096:] not in data
    assert stored["ServerSideEncryption"] == "aws:kms"
    # And the signed link gives the plaintext back
    path, expires = s.media_reader.link(rid, "q1")
    assert expires - time.time() <= 900
    served = s.media_reader.open(path.rsplit("/", 1)[1], None)
    assert (served.status, served.body) == (200, video)
    assert served.headers["Content-Type"] == "video/mp4"


def test_ranges_cross_chunk_boundaries_and_a_big_file_is_served_in_windows(s, vendor_server):
    # Given a 10 MiB recording (multipart upload, eleven sealed chunks)
    audio = os.urandom(10 * MIB + 123)
    vendor_server.script("/m/a.mp3", Answer(200, audio, {"Content-Type": "audio/mpeg"}))
    rid = apply_with_media(s, vendor_server.url + "/m/a.mp3")
    run_media_function(s, receive_media(s))
    token = s.media_reader.link(rid, "q1")[0].rsplit("/", 1)[1]
    window = s.settings.media_window_bytes
    # When ranges are asked for
    across = s.media_reader.open(token, f"bytes={MIB - 10}-{MIB + 10}")
    tail = s.media_reader.open(token, "bytes=-100")
    open_ended = s.media_reader.open(token, f"bytes={5 * MIB}-")
    whole = s.media_reader.open(token, None)
    beyond = s.media_reader.open(token, f"bytes={len(audio)}-")
    # Then each is exact, and no answer is longer than one window
    assert (across.status, across.body) == (206, audio[MIB - 10 : MIB + 11])
    assert across.headers["Content-Range"] == f"bytes {MIB - 10}-{MIB + 10}/{len(audio)}"
    assert tail.body == audio[-100:]
    assert open_ended.body == audio[5 * MIB : 5 * MIB + window]
    assert (whole.status, whole.body) == (206, audio[:window])
    assert whole.headers["Content-Range"] == f"bytes 0-{window - 1}/{len(audio)}"
    assert beyond.status == 416 and beyond.headers["Content-Range"] == f"bytes */{len(audio)}"


def test_an_oversized_file_is_rejected_from_its_content_length(s, vendor_server):
    vendor_server.script("/m/big.mp4", Answer(200, b"x" * (2 * MIB), {"Content-Type": "video/mp4"}))
    rid = apply_with_media(s, vendor_server.url + "/m/big.mp4")
    msg = json.loads(receive_media(s)[0]["Body"])
    assert copier(s, max_bytes=MIB).copy(msg) == "rejected"
    media = media_of(s, rid)
    assert media["status"] == "rejected" and media["reason"] == f"larger than {MIB} bytes"
    assert objects(s) == []


def test_an_oversized_stream_without_a_length_is_cut_off_and_leaves_nothing(s, vendor_server):
    # Given a 10 MiB body sent chunked (no Content-Length), over a 9 MiB cap: a part is uploaded first
    vendor_server.script("/m/s.mp4", Answer(200, os.urandom(10 * MIB), {"Content-Type": "video/mp4"}, chunked=True))
    rid = apply_with_media(s, vendor_server.url + "/m/s.mp4")
    msg = json.loads(receive_media(s)[0]["Body"])
    # When it is copied
    outcome = copier(s, max_bytes=9 * MIB).copy(msg)
    # Then it is rejected and neither an object nor an unfinished upload remains
    assert outcome == "rejected" and media_of(s, rid)["status"] == "rejected"
    assert objects(s) == []
    uploads = s.s3.list_multipart_uploads(Bucket=s.settings.evidence_bucket)
    assert uploads.get("Uploads", []) == []


@pytest.mark.parametrize("content_type", ["text/html", "application/octet-stream", "image/svg+xml", ""])
def test_a_file_of_a_type_not_allowed_is_rejected(s, vendor_server, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    vendor_server.script("/m/x", Answer(200, b"<script>alert(1)</script>", headers))
    rid = apply_with_media(s, vendor_server.url + "/m/x")
    assert copier(s).copy(json.loads(receive_media(s)[0]["Body"])) == "rejected"
    media = media_of(s, rid)
    assert media["status"] == "rejected" and "is not allowed" in media["reason"]
    assert objects(s) == []


@pytest.mark.parametrize("content_type", ["video/webm", "audio/wav", "image/png", "application/pdf; charset=x"])
def test_allowed_types_are_copied(s, vendor_server, content_type):
    vendor_server.script("/m/y", Answer(200, b"\x00\x01data", {"Content-Type": content_type}))
    rid = apply_with_media(s, vendor_server.url + "/m/y")
    assert copier(s).copy(json.loads(receive_media(s)[0]["Body"])) == "copied"
    assert media_of(s, rid)["stored_content_type"] == content_type.split(";")[0]


def test_a_500_is_retried_by_sqs_then_the_copy_succeeds(s, vendor_server):
    # Given a vendor whose first answer is a 500
    vendor_server.script("/m/r.mp4", Answer(500), Answer(200, b"video-bytes", {"Content-Type": "video/mp4"}))
    rid = apply_with_media(s, vendor_server.url + "/m/r.mp4")
    # When the media function runs: the record fails and is left for SQS
    first = receive_media(s)
    answer = run_media_function(s, first)
    assert answer["batchItemFailures"] == [{"itemIdentifier": first[0]["MessageId"]}]
    media = media_of(s, rid)
    assert (media["status"], media["reason"], media["attempts"]) == ("pending", "HTTP 500", 1)
    # Then SQS delivers it again and it is copied
    second = receive_media(s)
    assert second[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    assert run_media_function(s, second) == {"batchItemFailures": []}
    assert media_of(s, rid)["status"] == "copied"
    assert receive_media(s) == []


def test_after_the_last_attempt_the_copy_is_marked_failed_and_shown(s, vendor_server):
    # Given a vendor that keeps failing
    vendor_server.script("/m/f.mp4", Answer(503))
    rid = apply_with_media(s, vendor_server.url + "/m/f.mp4")
    # When SQS has delivered it five times
    answers = [run_media_function(s, receive_media(s)) for _ in range(5)]
    # Then the first four went back to the queue and the fifth marked it failed instead of the DLQ
    assert [len(a["batchItemFailures"]) for a in answers] == [1, 1, 1, 1, 0]
    media = media_of(s, rid)
    assert media["status"] == "failed" and media["reason"] == "HTTP 503 (gave up after 5 attempts)"
    # And the result itself is whole, with the status visible to HR
    from shared.authz.policy import Principal, Role

    view, _ = s.views.result(Principal("hr-1", Role.HR), rid, mark_viewed=False)
    assert view["answers"][0]["media_status"] == "failed"
    assert view["answers"][0]["media_reason"] == "HTTP 503 (gave up after 5 attempts)"
    assert view["dimensions"][0]["score"] == 80


def test_a_permanent_vendor_error_is_reported_at_once(s, vendor_server):
    vendor_server.script("/m/gone.mp4", Answer(404))
    rid = apply_with_media(s, vendor_server.url + "/m/gone.mp4")
    assert copier(s).copy(json.loads(receive_media(s)[0]["Body"]), final_attempt=False) == "failed"
    assert media_of(s, rid)["reason"] == "HTTP 404"


def test_redirects_are_followed_a_few_times(s, vendor_server):
    vendor_server.script("/m/old", Answer(302, headers={"Location": "/m/new"}))
    vendor_server.script("/m/new", Answer(200, b"img", {"Content-Type": "image/jpeg"}))
    rid = apply_with_media(s, vendor_server.url + "/m/old")
    assert copier(s).copy(json.loads(receive_media(s)[0]["Body"])) == "copied"
    assert media_of(s, rid)["size"] == 3
    vendor_server.script("/m/loop", Answer(302, headers={"Location": "/m/loop"}))
    rid2 = apply_with_media(s, vendor_server.url + "/m/loop")
    assert copier(s).copy(json.loads(receive_media(s)[0]["Body"])) == "failed"
    assert media_of(s, rid2)["reason"] == "too many redirects"


def test_the_view_links_to_hirelens_not_to_the_bucket(s, vendor_server):
    vendor_server.script("/m/v.mp4", Answer(200, b"v", {"Content-Type": "video/mp4"}))
    rid = apply_with_media(s, vendor_server.url + "/m/v.mp4")
    run_media_function(s, receive_media(s))
    from shared.authz.policy import Principal, Role

    view, _ = s.views.result(Principal("hr-1", Role.HR), rid, mark_viewed=False)
    url = view["answers"][0]["media_url"]
    assert url.startswith("/v1/media/v1.") and "X-Amz" not in url and s.settings.evidence_bucket not in url
    assert view["answers"][0]["media_status"] == "copied"


# --- security: addresses, links, erasure ---------------------------------------------------------


def mock_client(routes: dict[str, httpx.Response]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        return routes.get(str(request.url), httpx.Response(404))

    return httpx.Client(transport=httpx.MockTransport(handler))


def public_resolver(host: str, port: int, **_: Any) -> list[Any]:
    """Names from a fake DNS; IP literals as the system resolves them (no lookup involved)."""
    ips = {"cdn.vendor.test": "93.184.216.34", "intranet.vendor.test": "10.0.0.7"}
    if host not in ips:
        import socket

        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [(2, 1, 6, "", (ips[host], port))]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:9/m.mp4", "only https links are fetched"),
        ("https://127.0.0.1/m.mp4", "the media host is not a public address"),
        ("https://[::1]/m.mp4", "the media host is not a public address"),
        ("https://169.254.169.254/latest/meta-data", "the media host is not a public address"),
        ("https://intranet.vendor.test/m.mp4", "the media host is not a public address"),
        ("file:///etc/passwd", "only http(s) links are fetched"),
    ],
)
def test_private_addresses_and_other_schemes_are_refused_in_the_cloud(s, url, reason):
    rid = apply_with_media(s, url)
    guarded = copier(s, allow_private_networks=False, resolve=public_resolver, http=mock_client({}))
    assert guarded.copy(json.loads(receive_media(s)[0]["Body"])) == "rejected"
    assert media_of(s, rid)["reason"] == reason


def test_a_redirect_to_a_private_address_is_refused(s):
    client = mock_client(
        {"https://cdn.vendor.test/m.mp4": httpx.Response(302, headers={"Location": "https://169.254.169.254/x"})}
    )
    rid = apply_with_media(s, "https://cdn.vendor.test/m.mp4")
    guarded = copier(s, allow_private_networks=False, resolve=public_resolver, http=client)
    assert guarded.copy(json.loads(receive_media(s)[0]["Body"])) == "rejected"
    assert media_of(s, rid)["reason"] == "the media host is not a public address"


def test_a_public_https_host_is_fetched(s):
    client = mock_client(
        {"https://cdn.vendor.test/m.mp4": httpx.Response(200, content=b"ok", headers={"Content-Type": "video/mp4"})}
    )
    rid = apply_with_media(s, "https://cdn.vendor.test/m.mp4")
    guarded = copier(s, allow_private_networks=False, resolve=public_resolver, http=client)
    assert guarded.copy(json.loads(receive_media(s)[0]["Body"])) == "copied"
    assert media_of(s, rid)["size"] == 2


@pytest.fixture
def copied(s: Any, vendor_server: LoopbackVendor) -> str:
    vendor_server.script("/m/c.mp4", Answer(200, b"secret interview video", {"Content-Type": "video/mp4"}))
    rid = apply_with_media(s, vendor_server.url + "/m/c.mp4")
    run_media_function(s, receive_media(s))
    return rid


def test_a_link_expires_after_fifteen_minutes_checked_by_our_code(s, copied):
    # Given a link signed now
    now = [time.time()]
    links = MediaLinks(s.keyring, 900, clock=lambda: now[0])
    token, expires = links.sign(copied, "q1")
    assert expires == int(now[0]) + 900
    reader = s.media_reader
    reader.links = links
    assert reader.open(token, None).body == b"secret interview video"
    # When fifteen minutes have passed
    now[0] += 900
    # Then it is refused
    with pytest.raises(Forbidden, match="expired"):
        reader.open(token, None)


def test_a_link_never_lives_longer_than_fifteen_minutes(s):
    assert MediaLinks(s.keyring, 3600).ttl_s == 900
    # a token claiming a later expiry than 15 minutes from now is refused, even well signed
    future = MediaLinks(s.keyring, 900, clock=lambda: time.time() + 1000)
    token, _ = future.sign("r_x", "q1")
    with pytest.raises(LinkInvalid):
        MediaLinks(s.keyring, 900).verify(token)


@pytest.mark.parametrize("mangle", ["payload", "mac", "prefix", "garbage", "long"])
def test_a_tampered_link_is_refused(s, copied, mangle):
    token = s.media_reader.link(copied, "q1")[0].rsplit("/", 1)[1]
    prefix, payload, mac = token.split(".", 2)[0], token.split(".")[1], token.split(".")[2]
    import base64

    if mangle == "payload":  # point the link at another answer, keep the signature
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["q"] = "q2"
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        bad = f"{prefix}.{forged}.{mac}"
    elif mangle == "mac":
        bad = f"{prefix}.{payload}.{mac[:-2]}{'AA' if not mac.endswith('AA') else 'BB'}"
    elif mangle == "prefix":
        bad = f"v2.{payload}.{mac}"
    elif mangle == "garbage":
        bad = "v1.!!!.???"
    else:
        bad = "v1." + "A" * 2000 + ".x"
    with pytest.raises(Forbidden, match="not valid"):
        s.media_reader.open(bad, None)


def test_an_erased_candidates_media_is_unreadable_and_never_recopied(s, copied, vendor_server):
    cid = s.candidates.get_result(copied)["candidate_id"]
    token = s.media_reader.link(copied, "q1")[0].rsplit("/", 1)[1]
    # When the candidate's data key is destroyed (erasure)
    s.encryptor.destroy(candidate_subject(cid))
    s.encryptor.forget_cached()
    # Then the copy cannot be served any more
    with pytest.raises(NotFound):
        s.media_reader.open(token, None)
    # And a copy request still in the queue does not bring a key back to life
    msg = {
        "kind": "media",
        "candidate_id": cid,
        "result_id": copied,
        "revision": 1,
        "answer": 0,
        "question_id": "q1",
        "url": vendor_server.url + "/m/c.mp4",
    }
    s.table.update_item(
        Key=keys.result(cid, copied),
        UpdateExpression="REMOVE answers[0].media.#s",
        ExpressionAttributeNames={"#s": "status"},
    )
    assert copier(s).copy(msg) == "dropped"
    assert s.keys_table.get_item(Key=keys.data_key(candidate_subject(cid))).get("Item") is None


def test_a_copy_for_a_replaced_revision_is_dropped(s, vendor_server):
    vendor_server.script("/m/1.mp4", Answer(200, b"old", {"Content-Type": "video/mp4"}))
    rid_ext = unique("M-")
    rid = apply_with_media(s, vendor_server.url + "/m/1.mp4", rid=rid_ext)
    old = json.loads(receive_media(s)[0]["Body"])
    apply_with_media(s, vendor_server.url + "/m/1.mp4", rid=rid_ext, revision=2)
    assert copier(s).copy(old) == "stale"
    assert media_of(s, rid).get("status") is None  # revision 2's own copy request decides
    assert objects(s) == []


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        (None, 10, None),
        ("bytes=0-4", 10, (0, 4)),
        ("bytes=5-", 10, (5, 9)),
        ("bytes=-3", 10, (7, 9)),
        ("bytes=-30", 10, (0, 4)),  # the whole file, cut to the window of 5
        ("bytes=2-100", 10, (2, 6)),
        ("bytes=0-9", 100, (0, 4)),  # window of 5
        ("bytes=0-1,4-5", 10, None),  # multi-range: ignored, whole file
        ("items=0-1", 10, None),
    ],
)
def test_byte_range(header, size, expected):
    assert byte_range(header, size, 5) == expected


@pytest.mark.parametrize("header", ["bytes=10-", "bytes=5-2"])
def test_byte_range_not_satisfiable(header):
    with pytest.raises(ValueError):
        byte_range(header, 10, 5)

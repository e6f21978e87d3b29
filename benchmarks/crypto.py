"""Crypto benchmark: KMS requests per 1,000 results stored and read, and the time field
encryption adds per result beside storing the very same item unencrypted (the baseline).

Runs in-process on moto (no network). KMS requests are counted on the wire (botocore's
before-call event), so whatever code calls KMS is counted. "Containers" are fresh `Services`
(new clients, empty caches), as a new Lambda container would start.

    .venv/bin/python benchmarks/crypto.py [--results 1000] [--per-container 100]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
for k, v in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "eu-central-1",
    "AWS_REGION": "eu-central-1",
}.items():
    os.environ[k] = v
os.environ.pop("AWS_ENDPOINT_URL", None)


class KmsCounter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, **_: Any) -> None:
        self.calls += 1

    def attach(self, services: Any) -> Any:
        services.kms.meta.events.register("before-call.kms.*", self)
        return services


class Plain:
    """Stands in for the Encryptor: every "encrypted" field is the plaintext itself."""

    def encrypt_field(self, subject: str, field: str, value: str | None) -> str | None:
        return value


def payload(i: int) -> bytes:
    from tests.conftest import generic_payload

    p = generic_payload(
        f"R-{i}",
        f"C-{i}",
        f"JOB-{i % 20}",
        {"communication": 60 + i % 40, "teamwork": 50 + i % 50, "logical_thinking": 70},
        name=f"候选人{i}",
    )
    p["data"]["candidate"]["phone"] = f"+86139{i:08d}"
    p["data"]["dimensions"][0]["comment"] = "表达清晰，逻辑性强" * 3
    p["data"]["answers"] *= 3
    for n, a in enumerate(p["data"]["answers"]):
        a["question_id"] = f"q{n}"
    return json.dumps(p, ensure_ascii=False).encode()


class NoQueue:
    """Queues are not what is measured (and moto's SQS slows as a queue fills): sends go nowhere."""

    def send(self, message: dict[str, Any]) -> None:
        return None


def fresh(counter: KmsCounter) -> Any:
    from shared import wiring

    wiring.reset()
    s = wiring.services()
    s.__dict__["score_queue"] = s.__dict__["media_queue"] = NoQueue()  # before the processor is built
    return counter.attach(s)


def store(s: Any, r: Any, i: int) -> str:
    """What the consumer does to store a result, less its transaction (moto's transactions copy
    the whole table, which would measure moto): identities, personal fields, the encrypted
    result item, its pointer, the audit entry. Every encryption and KMS path is the real one."""
    from shared.services.processing import build_result_item
    from shared.storage import keys
    from shared.storage.candidates import result_id_for
    from shared.storage.ddb import to_ddb

    rid = result_id_for(r.vendor, r.vendor_result_id)
    cid = s.candidates.resolve(r.candidate, "2026-11-20T08:30:00Z")
    s.candidates.set_personal(cid, r.candidate)
    item = build_result_item(
        r, rid=rid, cid=cid, enc=s.encryptor, received_at="2026-11-20T08:30:00Z", event_ref=f"e{i}", source="bench"
    )
    s.table.put_item(Item=to_ddb({**keys.result(cid, rid), **item}))
    s.table.put_item(Item={**keys.result_pointer(rid), "candidate_id": cid, "job_id": item["job_id"], "revision": 1})
    s.audit.append(cid, "result.ingested", target=rid, after={"scores": {d.code: d.normalized for d in r.dimensions}})
    return rid


def empty_main_table(s: Any) -> None:
    """moto's Query walks the whole table, so each batch gets a fresh main table (the keys table,
    where the data and branch keys live, is kept): the time stays moto's, the counts are ours."""
    from shared.resources import MAIN_TABLE

    client, name = s.ddb.meta.client, s.settings.table_name
    client.delete_table(TableName=name)
    client.create_table(**MAIN_TABLE.create_table_kwargs(name))


def store_and_read(n: int, per_container: int) -> dict[str, int]:
    """n results in batches of `per_container`: each batch stored by one fresh container (the
    consumer) and read by another (the API), as Lambda would run them."""
    from shared.authz.policy import Principal, Role
    from shared.vendors.registry import adapter_for

    counter = KmsCounter()
    hr = Principal("bench", Role.HR)
    parsed = [adapter_for("generic").parse("bench", payload(i)) for i in range(n)]
    stored = read = containers = 0
    for start in range(0, n, per_container):
        empty_main_table(fresh(counter))
        counter.calls = 0
        s = fresh(counter)
        rids = [store(s, r, start + i) for i, r in enumerate(parsed[start : start + per_container])]
        stored, counter.calls = stored + counter.calls, 0
        s = fresh(counter)
        for rid in rids:
            view, _ = s.views.result(hr, rid, mark_viewed=False)
            assert view["answers"][0]["transcript"]
        read, counter.calls = read + counter.calls, 0
        containers += 1
    return {"stored": stored, "read": read, "containers": containers}


def field_encryption(n: int) -> dict[str, float]:
    """Per result: building + storing the item encrypted, against the same item in clear."""
    from shared import wiring
    from shared.services.processing import build_result_item
    from shared.storage import keys
    from shared.storage.ddb import to_ddb
    from shared.vendors.registry import adapter_for

    wiring.reset()
    s = wiring.services()
    parsed = [adapter_for("generic").parse("bench", payload(i)) for i in range(n)]

    def run(enc: Any, tag: str) -> tuple[float, float]:
        build = put = 0.0
        for i, r in enumerate(parsed):
            cid = f"c_{tag}{i}"
            t0 = time.perf_counter()
            item = build_result_item(
                r, rid=f"r{i}", cid=cid, enc=enc, received_at="2026-11-20T08:30:00Z", event_ref="e", source="bench"
            )
            t1 = time.perf_counter()
            s.table.put_item(Item=to_ddb({**keys.result(cid, f"r{i}"), **item}))
            put += time.perf_counter() - t1
            build += t1 - t0
        return build / n, (build + put) / n

    run(Plain(), "warm")  # warm both paths (imports, connection pools)
    run(s.encryptor, "warm-enc")
    plain, enc, again = [], [], []
    for k in range(3):  # interleaved, so drift in moto's speed hits all three alike
        plain.append(run(Plain(), f"p{k}"))
        enc.append(run(s.encryptor, f"e{k}"))
        again.append(run(s.encryptor, f"e{k}"))  # the same candidates again: their keys are cached
    return {
        "cached_build_us": statistics.median(a[0] for a in again) * 1e6,
        "cached_total_us": statistics.median(a[1] for a in again) * 1e6,
        "plain_build_us": statistics.median(p[0] for p in plain) * 1e6,
        "plain_total_us": statistics.median(p[1] for p in plain) * 1e6,
        "enc_build_us": statistics.median(e[0] for e in enc) * 1e6,
        "enc_total_us": statistics.median(e[1] for e in enc) * 1e6,
    }


def main(argv: list[str] | None = None) -> None:
    from moto import mock_aws

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=1000)
    parser.add_argument("--per-container", type=int, default=100)
    args = parser.parse_args(argv)
    import boto3

    from embedded.aws import REGION, create_resources

    with mock_aws():
        settings = create_resources(boto3.session.Session(region_name=REGION))
        os.environ.update(settings.to_env())
        kms = store_and_read(args.results, args.per_container)
        timing = field_encryption(min(args.results, 200))
    n = args.results
    print(f"KMS requests for {n} results stored (consumer path) and read (GET /v1/results/{{id}}),")
    print(f"{kms['containers']} containers each way, {args.per_container} requests per container; baseline: one KMS")
    print("request per result (a data key per result from KMS, no keyring)")
    per_result = (kms["stored"] + kms["read"]) / (2 * n)
    print(f"{'':10} {'requests':>9} {'per container':>14} {'per 1,000 results':>18}")
    for what in ("stored", "read"):
        print(f"{what:10} {kms[what]:9d} {kms[what] / kms['containers']:14.1f} {kms[what] * 1000 / n:18.1f}")
    print(f"per result: {per_result:.4f} KMS requests = {per_result:.4f}x the baseline")
    print()
    print("time per result, building the item and storing it in DynamoDB (moto, in-process);")
    print("baseline: the same item stored unencrypted")
    added = timing["enc_total_us"] - timing["plain_total_us"]
    print(f"{'':34} {'build us':>10} {'build+put us':>13}")
    print(f"{'unencrypted (baseline)':34} {timing['plain_build_us']:10.1f} {timing['plain_total_us']:13.1f}")
    print(f"{'field-encrypted (AES-256-GCM)':34} {timing['enc_build_us']:10.1f} {timing['enc_total_us']:13.1f}")
    print(f"{'field-encrypted, key cached':34} {timing['cached_build_us']:10.1f} {timing['cached_total_us']:13.1f}")
    print(
        f"a new candidate: encryption adds {added:.0f} us per result (its data key is created and stored), "
        f"ratio {timing['enc_total_us'] / timing['plain_total_us']:.2f}x"
    )
    # for a known candidate the difference is below moto's noise: count the encryption work itself
    cpu = timing["cached_build_us"] - timing["plain_build_us"]
    print(
        f"a known candidate: encryption adds {cpu:.0f} us of work per result, "
        f"ratio {(timing['plain_total_us'] + cpu) / timing['plain_total_us']:.3f}x "
        f"(measured end to end: {timing['cached_total_us'] / timing['plain_total_us']:.2f}x)"
    )


if __name__ == "__main__":
    main()

"""Fixtures every test layer shares.

- `aws`: a fresh in-process moto (mock_aws) with every hirelens resource created from the
  same specs CDK deploys; `shared.wiring.services()` points at it.
- `stack`: the embedded stack (moto server + front door + pollers) on loopback ports, once
  per test session; `http` is an httpx client for it. Tests on it use unique names.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")


@pytest.fixture
def _background_held() -> Iterator[None]:
    """A session stack's pollers and timers wait while an in-process test runs: mock_aws patches
    every thread, so they would reach the test's AWS (embedded/gate.py). Set up before, and torn
    down after, `monkeypatch`: the stack's threads see its own settings again when they resume."""
    from embedded.gate import GATE
    from shared import wiring

    with GATE.closed():
        yield
        wiring.reset()


@pytest.fixture
def aws(_background_held: None, monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[Any]:
    import boto3
    from moto import mock_aws

    from embedded.aws import REGION, create_resources
    from shared import wiring

    for k in ("AWS_ENDPOINT_URL", "MOTO_PORT"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    with mock_aws():
        settings = create_resources(boto3.session.Session(region_name=REGION))
        for k, v in settings.to_env().items():
            monkeypatch.setenv(k, v)
        wiring.reset()
        yield wiring.services()
        wiring.reset()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from embedded.stack import EmbeddedStack

    os.environ.setdefault("HIRELENS_HOME", str(tmp_path_factory.mktemp("hirelens-home")))
    s = EmbeddedStack(port=0).start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def http(stack: Any) -> Iterator[Any]:
    import httpx

    with httpx.Client(base_url=stack.url, timeout=30) as c:
        yield c


def bearer(role: str, **claims: Any) -> dict[str, str]:
    from embedded.tokens import mint

    return {"Authorization": f"Bearer {mint(role, **claims)}"}


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def post_signed(
    http: Any,
    vendor: str,
    secret: str,
    payload: Any,
    *,
    msg_id: str | None = None,
    ts: int | None = None,
    body: bytes | None = None,
) -> Any:
    from shared.webhooks.signature import signed_headers

    raw = body if body is not None else json.dumps(payload, ensure_ascii=False).encode()
    headers = signed_headers(secret, msg_id or f"msg_{uuid.uuid4().hex}", int(time.time()) if ts is None else ts, raw)
    return http.post(f"/v1/webhooks/{vendor}", content=raw, headers={**headers, "content-type": "application/json"})


def wait_until(fn: Any, timeout: float = 15.0, every: float = 0.1) -> Any:
    end = time.time() + timeout
    last = None
    while time.time() < end:
        last = fn()
        if last:
            return last
        time.sleep(every)
    return last


def generic_payload(
    result_id: str,
    candidate: str,
    job: str,
    dims: dict[str, float],
    *,
    revision: int = 1,
    kind: str = "interview.result.completed",
    department: str = "risk",
    name: str = "张三",
    **data: Any,
) -> dict[str, Any]:
    return {
        "type": kind,
        "occurred_at": "2026-11-20T08:30:00Z",
        "data": {
            "result_id": result_id,
            "revision": revision,
            "candidate": {
                "external_id": candidate,
                "name": name,
                "email": f"{candidate.lower()}@example.com",
                "phone": "+8613800000000",
            },
            "job": {"external_id": job, "title": "风控分析师", "department": department},
            "completed_at": "2026-11-20T08:20:00Z",
            "dimensions": [
                {"code": c, "label": c, "score": s, "scale_min": 0, "scale_max": 100} for c, s in dims.items()
            ],
            "answers": [
                {
                    "question_id": "q1",
                    "question": "请介绍一次团队合作的经历",
                    "transcript": "我们团队一起解决了一个很难的问题",
                }
            ],
            **data,
        },
    }

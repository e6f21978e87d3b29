"""A demo company, entered the way real data enters: a vendor registered over the API and
results posted as signed webhooks."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx

from embedded.tokens import mint
from shared.webhooks.signature import signed_headers

CANDIDATES = [
    (
        "C-1001",
        "张伟",
        "zhangwei@example.com",
        {
            "communication": 88,
            "logical_thinking": 92,
            "stress_tolerance": 75,
            "teamwork": 81,
            "professional_knowledge": 86,
        },
    ),
    (
        "C-1002",
        "李娜",
        "lina@example.com",
        {
            "communication": 91,
            "logical_thinking": 78,
            "stress_tolerance": 62,
            "teamwork": 88,
            "professional_knowledge": 74,
        },
    ),
    (
        "C-1003",
        "王芳",
        "wangfang@example.com",
        {
            "communication": 70,
            "logical_thinking": 85,
            "stress_tolerance": 83,
            "teamwork": 69,
            "professional_knowledge": 90,
        },
    ),
    (
        "C-1004",
        "刘洋",
        "liuyang@example.com",
        {
            "communication": 64,
            "logical_thinking": 58,
            "stress_tolerance": 71,
            "teamwork": 73,
            "professional_knowledge": 61,
        },
    ),
    (
        "C-1005",
        "陈静",
        "chenjing@example.com",
        {
            "communication": 83,
            "logical_thinking": 88,
            "stress_tolerance": 90,
            "teamwork": 84,
            "professional_knowledge": 82,
        },
    ),
]
JOB = {"external_id": "JOB-7", "title": "风控分析师", "department": "risk"}
PROFILE = {
    "title": "风控分析师",
    "department": "risk",
    "competencies": [
        {"code": "logical_thinking", "weight": 0.3, "min": 80, "must_have": True},
        {"code": "stress_tolerance", "weight": 0.2, "min": 70, "must_have": False},
        {"code": "communication", "weight": 0.2, "min": None, "must_have": False},
        {"code": "teamwork", "weight": 0.15, "min": None, "must_have": False},
        {"code": "professional_knowledge", "weight": 0.15, "min": 75, "must_have": False},
    ],
    "thresholds": {"hire": 80, "second_interview": 65},
}


def _payload(i: int, ext: str, name: str, email: str, dims: dict[str, int]) -> dict[str, Any]:
    return {
        "type": "interview.result.completed",
        "occurred_at": "2026-11-20T08:30:00Z",
        "data": {
            "result_id": f"DEMO-{i}",
            "revision": 1,
            "candidate": {"external_id": ext, "name": name, "email": email},
            "job": JOB,
            "completed_at": "2026-11-20T08:20:00Z",
            "overall": {
                "score": round(1 + 4 * sum(dims.values()) / len(dims) / 100, 1),
                "scale_min": 1,
                "scale_max": 5,
            },
            "dimensions": [
                {"code": c, "label": c, "score": s, "scale_min": 0, "scale_max": 100} for c, s in dims.items()
            ],
            "answers": [
                {
                    "question_id": "q1",
                    "question": "请介绍一次团队合作的经历",
                    "transcript": "我们团队在季度风控复盘中分工合作，我负责数据分析并推动问题解决。",
                }
            ],
            "consent": {"biometric_analysis": False},
        },
    }


def seed(base_url: str) -> str:
    admin = {"Authorization": f"Bearer {mint('hr_admin', sub='demo-admin')}"}
    with httpx.Client(base_url=base_url, timeout=30) as c:
        r = c.post("/v1/vendors", json={"name": "acme", "format": "generic"}, headers=admin)
        r.raise_for_status()
        secret = r.json()["signing_secret"]
        c.put(f"/v1/jobs/{JOB['external_id']}", json=PROFILE, headers=admin)  # talent profile, when available
        for i, (ext, name, email, dims) in enumerate(CANDIDATES, start=1):
            body = json.dumps(_payload(i, ext, name, email, dims), ensure_ascii=False).encode()
            headers = signed_headers(secret, f"msg_{uuid.uuid4().hex}", int(time.time()), body)
            c.post(
                "/v1/webhooks/acme", content=body, headers={**headers, "content-type": "application/json"}
            ).raise_for_status()
    return f"vendor acme, job {JOB['external_id']}, {len(CANDIDATES)} candidates"

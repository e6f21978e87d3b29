"""Channel formats (pure): each robot's message shape and signature, and the interview briefing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import ValidationError

from shared.notify.briefing import brief
from shared.notify.formats import accepted, render
from shared.notify.models import Channel, ChannelIn, Notice
from shared.webhooks.signature import new_secret, verify

N = Notice("second_interview", "risk", "interviewers", "复试", ("逻辑思维 90",), "/v1/candidates/c_1", {"x": 1})
NOW = 1_764_000_000.0


def ch(kind: str, url: str = "https://hooks.example/robot?key=K", secret: str | None = None) -> Channel:
    return Channel(f"{kind}-1", kind, kind, ("hr", "interviewers"), True, url, secret)


def test_webhook_is_signed_per_standard_webhooks() -> None:
    secret = new_secret()
    req = render(ch("webhook", secret=secret), N, now=NOW, msg_id="msg_1")
    assert verify(req.headers, req.body, [secret], now=NOW) == "msg_1"
    body = json.loads(req.body)
    assert body["type"] == "hirelens.second_interview" and body["data"]["x"] == 1
    with pytest.raises(Exception):  # noqa: B017 - any tampering fails verification
        verify(req.headers, req.body + b" ", [secret], now=NOW)


def test_dingtalk_signs_timestamp_and_secret_into_the_url() -> None:
    req = render(ch("dingtalk", secret="SECxyz"), N, now=NOW)
    q = parse_qs(urlsplit(req.url).query)
    ts = q["timestamp"][0]
    assert ts == str(int(NOW * 1000)) and q["key"] == ["K"]
    mac = hmac.new(b"SECxyz", f"{ts}\nSECxyz".encode(), hashlib.sha256).digest()
    assert q["sign"][0] == base64.b64encode(mac).decode()
    body = json.loads(req.body)
    assert body["msgtype"] == "markdown" and "逻辑思维 90" in body["markdown"]["text"]


def test_feishu_signs_in_the_body_and_wecom_slack_shapes() -> None:
    body = json.loads(render(ch("feishu", secret="S"), N, now=NOW).body)
    mac = hmac.new(f"{int(NOW)}\nS".encode(), b"", hashlib.sha256).digest()
    assert body["sign"] == base64.b64encode(mac).decode() and body["msg_type"] == "text"
    assert "逻辑思维 90" in body["content"]["text"]
    wecom = json.loads(render(ch("wecom"), N, now=NOW).body)
    assert wecom["msgtype"] == "markdown" and wecom["markdown"]["content"].startswith("**复试**")
    assert json.loads(render(ch("slack"), N, now=NOW).body) == {"text": "复试\n逻辑思维 90\n/v1/candidates/c_1"}


def test_accepted_reads_robots_error_codes() -> None:
    assert accepted("wecom", 200, b'{"errcode":0}') is None
    assert accepted("feishu", 200, b'{"code":19021,"msg":"sign match fail"}') == "error code 19021: sign match fail"
    assert accepted("slack", 404, b"no_team") == "HTTP 404"


def test_channel_input_rules() -> None:
    with pytest.raises(ValidationError):
        ChannelIn(kind="slack", url="http://hooks.example/x")  # plain http only to loopback
    with pytest.raises(ValidationError):
        ChannelIn(kind="email", to=["not-an-address"])
    with pytest.raises(ValidationError):
        ChannelIn(kind="wecom")  # needs a url
    assert ChannelIn(kind="slack", url="http://127.0.0.1:9/x").url


def test_briefing_strengths_with_standing_and_what_to_check() -> None:
    match = {
        "radar": [{"code": "logical_thinking"}, {"code": "stress_tolerance"}, {"code": "communication"}],
        "reasons": [{"kind": "below_min", "code": "stress_tolerance"}, {"kind": "meets", "code": "logical_thinking"}],
    }
    scores = {"logical_thinking": 90, "stress_tolerance": 62, "communication": 75}
    # the job's candidates, ours included: 90 is above 60, 70 and 80 and below 95
    population = {"logical_thinking": [60, 70, 80, 95, 90], "communication": [75]}
    b = brief(scores, match, population)
    assert [s["code"] for s in b.strengths] == ["logical_thinking", "communication"]
    assert b.strengths[0]["percentile"] == 75.0  # 3 of the 4 others score lower
    assert b.strengths[1]["percentile"] is None  # nobody to compare with
    assert b.to_check == ("stress_tolerance",)
    lines = b.lines()
    assert lines[0] == "逻辑思维 90，超过 75% 的候选人 · Logical thinking 90, above 75% of candidates"
    assert lines[-1].startswith("抗压能力 需复试核实")

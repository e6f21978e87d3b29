"""Each channel's message format (pure): the request to send for one notice.

- webhook: hirelens' own JSON event, signed per Standard Webhooks (shared/webhooks/signature.py),
  so receivers verify it exactly as hirelens verifies vendors;
- WeCom (企业微信) and DingTalk (钉钉) group robots: markdown messages; DingTalk's optional
  "加签" signs timestamp + secret into the URL;
- Feishu (飞书) custom bot: a text message, signed in the body when the bot has a secret;
- Slack incoming webhook: `{"text": ...}`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote_plus

from shared.notify.models import Channel, Notice
from shared.webhooks.signature import signed_headers


@dataclass(frozen=True)
class Request:
    url: str
    body: bytes
    headers: dict[str, str]


def _json(payload: object) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _markdown(n: Notice) -> str:
    lines = [f"**{n.title}**", *(f"- {line}" for line in n.lines)]
    if n.link:
        lines.append(f"[hirelens]({n.link})")
    return "\n".join(lines)


def event_payload(n: Notice, now: float, msg_id: str) -> dict[str, object]:
    return {
        "id": msg_id,
        "type": f"hirelens.{n.event}",
        "timestamp": datetime.fromtimestamp(now, UTC).isoformat().replace("+00:00", "Z"),
        "data": {"department": n.department, "title": n.title, "lines": list(n.lines), "link": n.link, **n.data},
    }


def render(channel: Channel, n: Notice, *, now: float, msg_id: str | None = None) -> Request:
    """The HTTP request for a chat or webhook channel (e-mail goes through SES instead)."""
    assert channel.url, "chat and webhook channels have a url"
    json_headers = {"content-type": "application/json; charset=utf-8"}
    if channel.kind == "webhook":
        msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
        body = _json(event_payload(n, now, msg_id))
        assert channel.secret, "webhook channels always have a signing secret"
        return Request(channel.url, body, {**json_headers, **signed_headers(channel.secret, msg_id, int(now), body)})
    if channel.kind == "wecom":
        return Request(channel.url, _json({"msgtype": "markdown", "markdown": {"content": _markdown(n)}}), json_headers)
    if channel.kind == "dingtalk":
        url = channel.url
        if channel.secret:
            ms = int(now * 1000)
            mac = hmac.new(channel.secret.encode(), f"{ms}\n{channel.secret}".encode(), hashlib.sha256).digest()
            sign = quote_plus(base64.b64encode(mac).decode())
            url += ("&" if "?" in url else "?") + f"timestamp={ms}&sign={sign}"
        payload = {"msgtype": "markdown", "markdown": {"title": n.title, "text": _markdown(n)}}
        return Request(url, _json(payload), json_headers)
    if channel.kind == "feishu":
        feishu: dict[str, object] = {"msg_type": "text", "content": {"text": n.text}}
        if channel.secret:
            ts = int(now)
            mac = hmac.new(f"{ts}\n{channel.secret}".encode(), b"", hashlib.sha256).digest()
            feishu = {"timestamp": str(ts), "sign": base64.b64encode(mac).decode(), **feishu}
        return Request(channel.url, _json(feishu), json_headers)
    if channel.kind == "slack":
        return Request(channel.url, _json({"text": n.text}), json_headers)
    raise ValueError(f"no HTTP format for {channel.kind!r}")


def accepted(kind: str, status: int, body: bytes) -> str | None:
    """None when the receiver took the message, else why not (never echoing secrets)."""
    if not 200 <= status < 300:
        return f"HTTP {status}"
    if kind in ("wecom", "dingtalk", "feishu"):  # these answer 200 with an error code in the body
        try:
            doc = json.loads(body or b"{}")
        except ValueError:
            return None
        code = doc.get("errcode", doc.get("code", doc.get("StatusCode", 0))) if isinstance(doc, dict) else 0
        if code not in (0, None):
            msg = str(doc.get("errmsg") or doc.get("msg") or "")[:120]
            return f"error code {code}: {msg}".strip()
    return None

"""Loopback HTTP receivers for outbound notifications (127.0.0.1 only): one that verifies the
Standard Webhooks signature, one that answers too slowly, one that answers 500."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from shared.webhooks.signature import SignatureError, verify


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool | None

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    mode: str = "ok"  # ok | slow | error
    secret: str | None = None  # verify Standard Webhooks signatures with it
    delay_s: float = 2.0
    reply: bytes = b'{"errcode":0,"errmsg":"ok"}'  # what chat robots answer when they take a message
    received: list[Received] = field(default_factory=list)

    def __enter__(self) -> Receiver:
        rx = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                ok = None
                if rx.secret is not None:
                    try:
                        verify(headers, body, [rx.secret], now=time.time())
                        ok = True
                    except SignatureError:
                        ok = False
                rx.received.append(Received(self.path, headers, body, ok))
                if rx.mode == "slow":
                    time.sleep(rx.delay_s)
                status = 500 if rx.mode == "error" or ok is False else 200
                payload = rx.reply
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the sender gave up waiting
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

"""A vendor played by a real HTTP server on 127.0.0.1, scripted per path.

Each path has a list of answers served in order; the last one repeats. An answer can be
slow (to trip the client's timeout), cut short (Content-Length promised, connection closed),
streamed without a length (chunked), or any status, headers and body.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    truncate: bool = False  # promise the full length, send half, close
    chunked: bool = False  # no Content-Length: Transfer-Encoding chunked


def page(items: list[dict[str, Any]], next_cursor: str | None, has_more: bool | None = None) -> Answer:
    doc: dict[str, Any] = {"items": items, "next_cursor": next_cursor}
    if has_more is not None:
        doc["has_more"] = has_more
    return Answer(200, json.dumps(doc, ensure_ascii=False).encode(), {"Content-Type": "application/json"})


class LoopbackVendor:
    def __init__(self) -> None:
        self.routes: dict[str, deque[Answer]] = {}
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        vendor = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                with vendor._lock:
                    vendor.requests.append(
                        {
                            "path": parts.path,
                            "query": {k: v[0] for k, v in parse_qs(parts.query).items()},
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                        }
                    )
                    queue = vendor.routes.get(parts.path)
                    answer = (queue.popleft() if len(queue) > 1 else queue[0]) if queue else Answer(404)
                if answer.delay_s:
                    time.sleep(answer.delay_s)
                try:
                    self.send_response(answer.status)
                    for k, v in answer.headers.items():
                        self.send_header(k, v)
                    if answer.chunked:
                        self.send_header("Transfer-Encoding", "chunked")
                        self.end_headers()
                        step = 256 * 1024
                        for i in range(0, len(answer.body), step):
                            piece = answer.body[i : i + step]
                            self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                        self.wfile.write(b"0\r\n\r\n")
                        return
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    if answer.truncate:
                        self.wfile.write(answer.body[: len(answer.body) // 2])
                        self.wfile.flush()
                        self.close_connection = True
                        return
                    self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def script(self, path: str, *answers: Answer) -> None:
        with self._lock:
            self.routes[path] = deque(answers)

    def requests_to(self, path: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"] == path]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

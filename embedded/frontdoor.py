"""The local API Gateway: HTTP in, an HTTP API (payload v2) event to the same handler, HTTP out.

It plays the JWT authorizer too: routes other than the webhook, health and the OpenAPI
document need a valid bearer token, checked before the function is called.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jwt

from embedded.runtime import LocalFunction
from embedded.tokens import TokenVerifier
from shared.http.problems import SECURITY_HEADERS
from shared.observability import logger

MAX_BODY = 10 * 1024 * 1024  # API Gateway's own payload limit
PUBLIC = {("GET", "/v1/health"), ("GET", "/v1/openapi.json")}
WEBHOOK_PREFIX = "/v1/webhooks/"
MEDIA_PREFIX = "/v1/media/"  # signed media links: the token is checked by the API function itself


def _problem(status: int, title: str, detail: str) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps(
        {
            "type": "https://hirelens.dev/problems/" + title.lower().replace(" ", "-"),
            "title": title,
            "status": status,
            "detail": detail,
        }
    ).encode()
    return status, {"Content-Type": "application/problem+json", **SECURITY_HEADERS}, body


def build_event(
    method: str,
    target: str,
    headers: dict[str, str],
    body: bytes,
    source_ip: str,
    claims: dict[str, Any] | None,
) -> dict[str, Any]:
    parts = urlsplit(target)
    query: dict[str, str] = {}
    for k, v in parse_qsl(parts.query, keep_blank_values=True):
        query[k] = f"{query[k]},{v}" if k in query else v  # HTTP API joins repeated keys with commas
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": parts.path,
        "rawQueryString": parts.query,
        "headers": headers,
        "queryStringParameters": query or None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "127.0.0.1",
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": parts.path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "timeEpoch": int(time.time() * 1000),
        },
        "body": base64.b64encode(body).decode() if body else None,
        "isBase64Encoded": bool(body),
    }
    if claims is not None:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    return event


class FrontDoor:
    def __init__(self, api: LocalFunction, webhook: LocalFunction, host: str, port: int) -> None:
        self.api, self.webhook = api, webhook
        self.verifier = TokenVerifier()
        door = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "hirelens"
            sys_version = ""

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _handle(self) -> None:
                status, headers, body = door.dispatch(self)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle
            do_TRACE = _handle  # the API answers 405 with the methods the path takes

            def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
                if code != 501:  # malformed requests: http.server's own answer
                    super().send_error(code, message, explain)
                    return
                # a method nobody implements: a problem answer like every other, not an HTML page
                status, headers, body = _problem(405, "Method not allowed", "this method is not supported")
                self.send_response(status)
                for k, v in {**headers, "Allow": "GET, POST, PUT, PATCH, DELETE"}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="frontdoor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def dispatch(self, req: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        method = req.command
        path = urlsplit(req.path).path
        headers = {k.lower(): v for k, v in req.headers.items()}
        try:
            length = int(headers.get("content-length") or 0)
        except ValueError:
            return _problem(400, "Bad request", "invalid Content-Length")
        if length > MAX_BODY:
            req.close_connection = True
            return _problem(413, "Payload too large", "the request body exceeds 10 MiB")
        body = req.rfile.read(length) if length else b""
        source_ip = req.client_address[0]
        if method == "POST" and path.startswith(WEBHOOK_PREFIX):
            fn, claims = self.webhook, None
        elif (method, path) in PUBLIC or (method == "GET" and path.startswith(MEDIA_PREFIX)):
            fn, claims = self.api, None
        elif path.startswith("/v1/"):
            auth = headers.get("authorization", "")
            scheme, _, token = auth.partition(" ")
            if scheme.lower() != "bearer" or not token:
                return _problem(401, "Unauthorized", "a bearer token is required")
            try:
                claims = self.verifier.claims(token.strip())
            except jwt.InvalidTokenError:
                return _problem(401, "Unauthorized", "the bearer token is invalid or expired")
            fn = self.api
        else:
            return _problem(404, "Not found", "no such resource")
        event = build_event(method, req.path, headers, body, source_ip, claims)
        try:
            out = fn.invoke(event)
        except Exception:  # the function crashed: API Gateway answers 500 without details
            logger.exception("function invocation failed", extra={"function": fn.name})
            return _problem(500, "Internal error", "something went wrong on our side")
        resp_headers = dict(out.get("headers") or {})
        payload = out.get("body") or ""
        if not isinstance(payload, str):
            payload = json.dumps(payload)
        data = base64.b64decode(payload) if out.get("isBase64Encoded") else payload.encode()
        return int(out.get("statusCode", 200)), resp_headers, data

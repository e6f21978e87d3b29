"""Media copies: a vendor's video, audio, image or PDF links fetched into hirelens' own storage,
and served back through short-lived signed links (docs/media.md).

Copying never blocks a result: the result is stored first, then one media message per
linked answer is queued; the copy updates the answer's `media` in place (status `copied`,
`rejected` or `failed`, with the reason).
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from botocore.exceptions import ClientError

from shared.crypto.encryptor import Encryptor, KeyDestroyed, candidate_subject
from shared.crypto.medialinks import LinkExpired, LinkInvalid, MediaLinks
from shared.errors import Forbidden, NotFound
from shared.observability import logger
from shared.resources import MEDIA_PREFIX
from shared.services.intake import iso
from shared.storage import keys
from shared.storage.candidates import CandidateRepository
from shared.storage.ddb import is_conditional_failure, to_ddb
from shared.storage.media import CHUNK_SIZE, MediaStore

ALLOWED_TYPES = ("video/", "audio/", "image/", "application/pdf")
REFUSED_TYPES = frozenset({"image/svg+xml"})  # scriptable: never served from the API's origin
RETRYABLE = frozenset({408, 425, 429})
MAX_REDIRECTS = 3
READ_PIECE = 64 * 1024


class MediaRetry(Exception):
    """A transient failure (timeout, connection, 429, 5xx): SQS delivers the message again."""


class MediaFailed(Exception):
    """A permanent failure (e.g. 404 at the vendor): reported, not retried."""


class MediaRejected(Exception):
    """The vendor's file is not acceptable (type, size, address): reported, not retried."""


def allowed_type(content_type: str) -> bool:
    return content_type not in REFUSED_TYPES and (
        content_type == "application/pdf" or content_type.startswith(ALLOWED_TYPES[:3])
    )


def media_key(cid: str, rid: str, revision: int, index: int) -> str:
    return f"{MEDIA_PREFIX}{cid}/{rid}/{revision}/{index}"


def chunk_purpose(s3_key: str, index: int, last: bool) -> str:
    return f"media|{s3_key}|{index}|{'last' if last else 'more'}"


def media_messages(cid: str, rid: str, revision: int, answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One copy request per answer that links a media file."""
    return [
        {
            "kind": "media",
            "candidate_id": cid,
            "result_id": rid,
            "revision": revision,
            "answer": i,
            "question_id": a["question_id"],
            "url": a["media"]["url"],
        }
        for i, a in enumerate(answers)
        if a.get("media") and a["media"].get("url")
    ]


class MediaCopier:
    def __init__(
        self,
        *,
        candidates: CandidateRepository,
        table: Any,
        store: MediaStore,
        encryptor: Encryptor,
        http: httpx.Client,
        max_bytes: int,
        timeout_s: float,
        allow_private_networks: bool = False,
        resolve: Callable[..., Any] = socket.getaddrinfo,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.candidates, self._table, self.store, self.enc, self.http = candidates, table, store, encryptor, http
        self.max_bytes, self.timeout_s, self.allow_private = max_bytes, timeout_s, allow_private_networks
        self._resolve, self.clock = resolve, clock

    # -- one message -------------------------------------------------------------------------
    def copy(self, msg: dict[str, Any], *, attempt: int = 1, final_attempt: bool = True) -> str:
        cid, rid, rev, idx = msg["candidate_id"], msg["result_id"], int(msg["revision"]), int(msg["answer"])
        try:
            result = self.candidates.get_result(rid)
        except NotFound:
            return "dropped"  # erased, or never stored
        answers = result.get("answers") or []
        answer = answers[idx] if idx < len(answers) else {}
        media = answer.get("media") or {}
        if (
            result["candidate_id"] != cid
            or int(result["revision"]) != rev
            or answer.get("question_id") != msg["question_id"]
            or media.get("url") != msg["url"]
        ):
            return "stale"  # a newer revision replaced the answer and queued its own copy
        if media.get("status") in ("copied", "rejected", "failed"):
            return "duplicate"
        subject = candidate_subject(cid)
        try:
            self.enc.data_key(subject)  # never create a key for an erased candidate
        except KeyDestroyed:
            return "dropped"
        key = media_key(cid, rid, rev, idx)
        base = {k: media.get(k) for k in ("url", "content_type", "duration_s") if media.get(k) is not None}
        try:
            size, ctype = self._fetch(msg["url"], key, subject)
        except MediaRejected as exc:
            return self._report(cid, rid, rev, idx, msg, {**base, "status": "rejected", "reason": str(exc)})
        except MediaFailed as exc:
            return self._report(cid, rid, rev, idx, msg, {**base, "status": "failed", "reason": str(exc)})
        except MediaRetry as exc:
            if final_attempt:
                reason = f"{exc} (gave up after {attempt} attempts)"
                return self._report(cid, rid, rev, idx, msg, {**base, "status": "failed", "reason": reason})
            self._update(
                cid, rid, rev, idx, msg, {**base, "status": "pending", "reason": str(exc), "attempts": attempt}
            )
            raise
        copied = {
            **base,
            "status": "copied",
            "s3_key": key,
            "size": size,
            "chunk_size": CHUNK_SIZE,
            "stored_content_type": ctype,
            "copied_at": iso(self.clock()),
        }
        if not self._update(cid, rid, rev, idx, msg, copied):
            self.store.delete(key)  # the result moved on (or was erased) while we copied
            return "stale"
        logger.info("media copied", extra={"result_id": rid, "answer": idx, "bytes": size})
        return "copied"

    def _report(self, cid: str, rid: str, rev: int, idx: int, msg: dict[str, Any], media: dict[str, Any]) -> str:
        self._update(cid, rid, rev, idx, msg, media)
        logger.warning(
            "media not copied",
            extra={"result_id": rid, "answer": idx, "status": media["status"], "reason": media["reason"]},
        )
        return str(media["status"])

    def _update(self, cid: str, rid: str, rev: int, idx: int, msg: dict[str, Any], media: dict[str, Any]) -> bool:
        try:
            self._table.update_item(
                Key=keys.result(cid, rid),
                UpdateExpression=f"SET answers[{idx}].media = :m",
                ConditionExpression=f"revision = :r AND answers[{idx}].question_id = :q",
                ExpressionAttributeValues=to_ddb({":m": media, ":r": rev, ":q": msg["question_id"]}),
            )
        except ClientError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    # -- the fetch -----------------------------------------------------------------------------
    def _check_url(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise MediaRejected("only http(s) links are fetched")
        if parts.scheme == "http" and not self.allow_private:
            raise MediaRejected("only https links are fetched")
        if self.allow_private:
            return
        try:
            infos = self._resolve(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise MediaRetry("the media host does not resolve") from exc
        for info in infos:
            ip = ipaddress.ip_address(info[4][0])
            if not ip.is_global:
                raise MediaRejected("the media host is not a public address")

    def _fetch(self, url: str, key: str, subject: str) -> tuple[int, str]:
        def seal(index: int, last: bool, chunk: bytes) -> bytes:
            return self.enc.encrypt_blob(subject, chunk_purpose(key, index, last), chunk)

        current = url
        for _ in range(MAX_REDIRECTS + 1):
            self._check_url(current)
            try:
                with self.http.stream("GET", current, timeout=self.timeout_s, follow_redirects=False) as resp:
                    if resp.is_redirect and resp.headers.get("location"):
                        current = urljoin(current, resp.headers["location"])
                        continue
                    code = resp.status_code
                    if code in RETRYABLE or code >= 500:
                        raise MediaRetry(f"HTTP {code}")
                    if code != 200:
                        raise MediaFailed(f"HTTP {code}")
                    ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
                    if not allowed_type(ctype):
                        raise MediaRejected(f"content type {ctype or '(none)'} is not allowed")
                    declared = resp.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > self.max_bytes:
                        raise MediaRejected(f"larger than {self.max_bytes} bytes")
                    upload = self.store.upload(key, seal)
                    try:
                        for piece in resp.iter_bytes(READ_PIECE):
                            if upload.size + len(piece) > self.max_bytes:
                                raise MediaRejected(f"larger than {self.max_bytes} bytes")
                            upload.write(piece)
                        size = upload.finish()
                    except BaseException:
                        upload.abort()
                        raise
                    return size, ctype
            except httpx.TimeoutException as exc:
                raise MediaRetry("timeout") from exc
            except httpx.TransportError as exc:
                raise MediaRetry(f"connection error ({type(exc).__name__})") from exc
        raise MediaFailed("too many redirects")


# -- serving ------------------------------------------------------------------------------------

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass(frozen=True)
class MediaBody:
    status: int
    headers: dict[str, str]
    body: bytes


def byte_range(header: str | None, size: int, window: int) -> tuple[int, int] | None:
    """(start, end) inclusive for a single `Range: bytes=` request, at most `window` long;
    None to send the whole file. Raises ValueError when the range cannot be satisfied."""
    m = _RANGE.match((header or "").strip())
    if not m or (not m.group(1) and not m.group(2)):
        return None  # absent, multi-range or malformed: RFC 9110 lets us ignore it
    if m.group(1):
        start = int(m.group(1))
        end = int(m.group(2)) if m.group(2) else size - 1
    else:  # suffix: the last N bytes
        start, end = max(0, size - int(m.group(2))), size - 1
    if start >= size or end < start:
        raise ValueError("range not satisfiable")
    return start, min(end, size - 1, start + window - 1)


class MediaReader:
    def __init__(
        self,
        *,
        links: MediaLinks,
        candidates: CandidateRepository,
        store: MediaStore,
        encryptor: Encryptor,
        window_bytes: int,
    ) -> None:
        self.links, self.candidates, self.store, self.enc, self.window = (
            links,
            candidates,
            store,
            encryptor,
            window_bytes,
        )

    def link(self, result_id: str, question_id: str) -> tuple[str, int]:
        """The API path of a signed link and its expiry (epoch seconds)."""
        token, expires = self.links.sign(result_id, question_id)
        return f"/v1/media/{token}", expires

    def open(self, token: str, range_header: str | None) -> MediaBody:
        try:
            rid, qid = self.links.verify(token)
        except LinkExpired:
            raise Forbidden("the media link has expired") from None
        except LinkInvalid:
            raise Forbidden("the media link is not valid") from None
        r = self.candidates.get_result(rid)
        media = next(
            ((a.get("media") or {}) for a in r.get("answers", []) if a.get("question_id") == qid),
            {},
        )
        if media.get("status") != "copied" or not media.get("s3_key"):
            raise NotFound("media not found")
        key, size = media["s3_key"], int(media["size"])
        chunk = int(media.get("chunk_size") or CHUNK_SIZE)
        subject = candidate_subject(r["candidate_id"])
        headers = {
            "Content-Type": media.get("stored_content_type") or "application/octet-stream",
            "Accept-Ranges": "bytes",
            "Content-Disposition": "inline",
            "Cache-Control": "private, no-store",
        }
        try:
            rng = byte_range(range_header, size, self.window)
        except ValueError:
            return MediaBody(416, {**headers, "Content-Range": f"bytes */{size}"}, b"")
        if rng is None and size <= self.window:
            start, end, status = 0, size - 1, 200
        else:  # a big file without a Range still answers with its first window (docs/media.md)
            start, end = rng or (0, self.window - 1)
            status = 206
        if size == 0:
            return MediaBody(200, headers, b"")

        def open_(index: int, last: bool, piece: bytes) -> bytes:
            return self.enc.decrypt_blob(subject, chunk_purpose(key, index, last), piece)

        try:
            body = self.store.read_range(key, size, start, end, open_, chunk)
        except KeyDestroyed:
            raise NotFound("media not found") from None
        if status == 206:
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        return MediaBody(status, headers, body)

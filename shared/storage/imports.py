"""Batch imports: the status item in the main table and the uploaded file in the evidence bucket.

The status item (keys.import_job) holds the counters, at most `max_errors` row errors, and
the resume cursor. Progress is committed once per chunk with a condition on the chunk
number, so two deliveries of the same chunk message can never both count their rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from shared.errors import NotFound
from shared.resources import IMPORTS_PREFIX
from shared.storage import keys
from shared.storage.ddb import from_ddb, is_conditional_failure, to_ddb

PENDING, PROCESSING, DONE, FAILED = "pending", "processing", "done", "failed"
RETRIES_EXHAUSTED = "retries_exhausted"
READ_CHUNK = 256 * 1024
# DynamoDB reserved words among the item's attribute names
_NAMES = {"#st": "status", "#cur": "cursor", "#scan": "scan", "#errs": "errors"}


def source_key(import_id: str, fmt: str) -> str:
    return f"{IMPORTS_PREFIX}{import_id}/source.{fmt}"


def import_id_from_key(key: str) -> str | None:
    """`imports/<id>/source.<fmt>` → `<id>`; anything else under the prefix → None."""
    if not key.startswith(IMPORTS_PREFIX):
        return None
    import_id, _, name = key[len(IMPORTS_PREFIX) :].partition("/")
    if not import_id or name not in ("source.csv", "source.xlsx"):
        return None
    return import_id


class ImportRepository:
    def __init__(self, table: Any) -> None:
        self._table = table

    def create(self, item: dict[str, Any]) -> None:
        self._table.put_item(
            Item=to_ddb({**keys.import_job(item["import_id"]), **item}), ConditionExpression="attribute_not_exists(pk)"
        )

    def get(self, import_id: str) -> dict[str, Any]:
        item = self._table.get_item(Key=keys.import_job(import_id), ConsistentRead=True).get("Item")
        if item is None:
            raise NotFound("import not found")
        return from_ddb(item)

    def _update(self, import_id: str, expression: str, values: dict[str, Any], condition: str) -> bool:
        names = {n: v for n, v in _NAMES.items() if n in expression or n in condition}
        try:
            self._table.update_item(
                Key=keys.import_job(import_id),
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_ddb(values),
            )
        except ClientError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    def start(self, import_id: str, *, scan: dict[str, Any], size: int, now: str) -> bool:
        """pending → processing with what the scan learned; False when another delivery got there first."""
        return self._update(
            import_id,
            "SET #st = :p, #scan = :scan, size_bytes = :size, rows_total = :total, #cur = :cur, chunk = :zero, "
            "started_at = :now, updated_at = :now",
            {
                ":p": PROCESSING,
                ":scan": scan,
                ":size": size,
                ":total": scan["rows_total"],
                ":cur": scan["cursor"],
                ":zero": 0,
                ":now": now,
                ":pending": PENDING,
            },
            "#st = :pending",
        )

    def commit(
        self,
        import_id: str,
        *,
        chunk: int,
        cursor: dict[str, int],
        imported: int,
        rejected: int,
        unchanged: int,
        errors: list[dict[str, Any]],
        dropped_errors: int,
        done: bool,
        now: str,
    ) -> bool:
        """Count one chunk's rows and move the cursor, only if this chunk is still the current one."""
        sets = [
            "#cur = :cur",
            "chunk = :next",
            "rows_imported = rows_imported + :imp",
            "rows_rejected = rows_rejected + :rej",
            "rows_unchanged = rows_unchanged + :unc",
            "errors_dropped = errors_dropped + :drop",
            "updated_at = :now",
        ]
        values: dict[str, Any] = {
            ":cur": cursor,
            ":next": chunk + 1,
            ":imp": imported,
            ":rej": rejected,
            ":unc": unchanged,
            ":drop": dropped_errors,
            ":now": now,
            ":chunk": chunk,
            ":p": PROCESSING,
        }
        if errors:
            sets.append("#errs = list_append(#errs, :errs)")
            values[":errs"] = errors
        if done:
            sets += ["#st = :done", "finished_at = :now"]
            values[":done"] = DONE
        try:
            self._table.update_item(
                Key=keys.import_job(import_id),
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression="chunk = :chunk AND #st = :p",
                ExpressionAttributeNames={n: v for n, v in _NAMES.items() if n in "".join(sets) or n == "#st"},
                ExpressionAttributeValues=to_ddb(values),
            )
        except ClientError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    def mark_continued(self, import_id: str, chunk: int) -> None:
        """The continuation message for `chunk` is on the queue."""
        self._table.update_item(
            Key=keys.import_job(import_id),
            UpdateExpression="SET continued = :c",
            ExpressionAttributeValues={":c": chunk},
        )

    def fail(self, import_id: str, *, errors: list[dict[str, Any]], reason: str, now: str) -> bool:
        """→ failed with the reason and its errors, unless it already finished."""
        return self._update(
            import_id,
            "SET #st = :f, failure = :r, #errs = list_append(#errs, :e), finished_at = :now, updated_at = :now",
            {":f": FAILED, ":r": reason, ":e": errors, ":now": now, ":d": DONE},
            "#st <> :f AND #st <> :d",
        )

    def resume(self, import_id: str, now: str) -> str | None:
        """failed because its retries ran out → back where it was (e.g. its message was redriven from
        the DLQ); returns the status it resumed in, or None when it was not failed that way."""
        for status, condition in ((PENDING, "chunk < :zero"), (PROCESSING, "chunk >= :zero")):
            if self._update(
                import_id,
                "SET #st = :s, updated_at = :now REMOVE failure, finished_at",
                {":s": status, ":now": now, ":f": FAILED, ":r": RETRIES_EXHAUSTED, ":zero": 0},
                f"#st = :f AND failure = :r AND {condition}",
            ):
                return status
        return None


class ImportFileStore:
    """Uploaded import files in the evidence bucket: presigned upload, ranged reads, purge."""

    def __init__(self, s3: Any, bucket: str, kms_key_id: str) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._kms_key_id = kms_key_id

    def presign_put(self, key: str, ttl_s: int) -> tuple[str, dict[str, str]]:
        """A PUT URL and the headers the client must send with it (they are part of the signature)."""
        url = self._s3.generate_presigned_url(
            "put_object",
            Params={
                "Bucket": self._bucket,
                "Key": key,
                "ServerSideEncryption": "aws:kms",
                "SSEKMSKeyId": self._kms_key_id,
            },
            ExpiresIn=ttl_s,
        )
        headers = {
            "x-amz-server-side-encryption": "aws:kms",
            "x-amz-server-side-encryption-aws-kms-key-id": self._kms_key_id,
        }
        return url, headers

    def size(self, key: str) -> int:
        return int(self._s3.head_object(Bucket=self._bucket, Key=key)["ContentLength"])

    def read_from(self, key: str, offset: int, size: int) -> Iterator[bytes]:
        """The object's bytes from `offset` to its end, streamed."""
        if offset >= size:
            return
        body = self._s3.get_object(Bucket=self._bucket, Key=key, Range=f"bytes={offset}-")["Body"]
        try:
            yield from body.iter_chunks(READ_CHUNK)
        finally:
            body.close()

    def download(self, key: str, path: Path) -> None:
        body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"]
        tmp = path.with_suffix(path.suffix + ".part")
        try:
            with tmp.open("wb") as f:
                for chunk in body.iter_chunks(READ_CHUNK):
                    f.write(chunk)
        finally:
            body.close()
        tmp.replace(path)

    def purge(self, import_id: str) -> int:
        """Delete every version of everything uploaded for this import (the bucket is versioned)."""
        prefix = f"{IMPORTS_PREFIX}{import_id}/"
        gone = 0
        paginator = self._s3.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix):
            for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                self._s3.delete_object(Bucket=self._bucket, Key=v["Key"], VersionId=v["VersionId"])
                gone += 1
        return gone

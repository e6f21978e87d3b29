"""MediaStore: media copies in the evidence bucket, written as a stream of sealed chunks.

A media object is the plaintext cut into chunks of `chunk_size` bytes, each sealed on its
own by the Encryptor (AES-GCM, per-candidate data key) with its index and a last-chunk flag
in the associated data, so chunks can be neither reordered nor cut off. Fixed-size chunks
make a byte range of the plaintext a computable byte range of the object: a range request
decrypts only the chunks it touches. Large objects go up as S3 multipart uploads, so a
200 MiB video never sits in memory whole; the bucket adds SSE-KMS on top.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

CHUNK_SIZE = 1024 * 1024
SEAL_OVERHEAD = 4 + 12 + 16  # Encryptor blob: magic, nonce, GCM tag
PART_SIZE = 8 * 1024 * 1024  # S3 multipart parts (the minimum is 5 MiB, but for the last)

Seal = Callable[[int, bool, bytes], bytes]
Open = Callable[[int, bool, bytes], bytes]


def chunk_count(size: int, chunk_size: int = CHUNK_SIZE) -> int:
    return max(1, math.ceil(size / chunk_size))


class SealedUpload:
    """Feed plaintext in any pieces; `finish()` stores it, `abort()` leaves nothing behind."""

    def __init__(self, store: MediaStore, key: str, seal: Seal, chunk_size: int) -> None:
        self._store, self.key, self._seal, self.chunk_size = store, key, seal, chunk_size
        self._plain = bytearray()
        self._sealed = bytearray()
        self._index = 0
        self._parts: list[dict[str, Any]] = []
        self._upload_id: str | None = None
        self.size = 0

    def write(self, data: bytes) -> None:
        self._plain += data
        self.size += len(data)
        # hold the last full chunk back until more arrives: only then is it known not to be the last
        while len(self._plain) > self.chunk_size:
            self._emit(bytes(self._plain[: self.chunk_size]), last=False)
            del self._plain[: self.chunk_size]

    def _emit(self, chunk: bytes, *, last: bool) -> None:
        self._sealed += self._seal(self._index, last, chunk)
        self._index += 1
        if len(self._sealed) >= PART_SIZE and not last:
            self._upload_part(bytes(self._sealed[:PART_SIZE]))
            del self._sealed[:PART_SIZE]

    def _upload_part(self, data: bytes) -> None:
        s3, bucket = self._store.s3, self._store.bucket
        if self._upload_id is None:
            self._upload_id = s3.create_multipart_upload(
                Bucket=bucket,
                Key=self.key,
                ContentType="application/octet-stream",
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=self._store.kms_key_id,
                BucketKeyEnabled=True,
            )["UploadId"]
        number = len(self._parts) + 1
        etag = s3.upload_part(Bucket=bucket, Key=self.key, UploadId=self._upload_id, PartNumber=number, Body=data)[
            "ETag"
        ]
        self._parts.append({"PartNumber": number, "ETag": etag})

    def finish(self) -> int:
        """Seal the last chunk and store the object; returns the plaintext size."""
        self._emit(bytes(self._plain), last=True)
        self._plain.clear()
        if self._upload_id is None:
            self._store.put(self.key, bytes(self._sealed))
        else:
            if self._sealed:
                self._upload_part(bytes(self._sealed))
            self._store.s3.complete_multipart_upload(
                Bucket=self._store.bucket,
                Key=self.key,
                UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts},
            )
        self._sealed.clear()
        return self.size

    def abort(self) -> None:
        if self._upload_id is not None:
            self._store.s3.abort_multipart_upload(Bucket=self._store.bucket, Key=self.key, UploadId=self._upload_id)
            self._upload_id = None
        self._plain.clear()
        self._sealed.clear()


class MediaStore:
    def __init__(self, s3: Any, bucket: str, kms_key_id: str) -> None:
        self.s3, self.bucket, self.kms_key_id = s3, bucket, kms_key_id

    def put(self, key: str, data: bytes) -> None:
        self.s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=data,
            ContentType="application/octet-stream",
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=self.kms_key_id,
            BucketKeyEnabled=True,
        )

    def upload(self, key: str, seal: Seal, chunk_size: int = CHUNK_SIZE) -> SealedUpload:
        return SealedUpload(self, key, seal, chunk_size)

    def delete(self, key: str) -> None:
        self.s3.delete_object(Bucket=self.bucket, Key=key)

    def read_range(self, key: str, size: int, start: int, end: int, open_: Open, chunk_size: int = CHUNK_SIZE) -> bytes:
        """Plaintext bytes [start, end] (inclusive) of an object of `size` plaintext bytes."""
        n = chunk_count(size, chunk_size)
        first, last = start // chunk_size, end // chunk_size
        sealed_chunk = chunk_size + SEAL_OVERHEAD
        lo = first * sealed_chunk
        hi = (last + 1) * sealed_chunk - 1
        body = self.s3.get_object(Bucket=self.bucket, Key=key, Range=f"bytes={lo}-{hi}")["Body"].read()
        out = bytearray()
        for i in range(first, last + 1):
            piece = body[(i - first) * sealed_chunk : (i - first + 1) * sealed_chunk]
            out += open_(i, i == n - 1, piece)
        offset = start - first * chunk_size
        return bytes(out[offset : offset + (end - start + 1)])

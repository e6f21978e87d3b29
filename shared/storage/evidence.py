"""EvidenceStore: the S3 bucket for raw bodies, quarantined bodies, media and exports.

Objects are already encrypted by the Encryptor before they arrive here; the bucket adds
SSE-KMS with the project's key on top.
"""

from __future__ import annotations

from typing import Any


class EvidenceStore:
    def __init__(self, s3: Any, bucket: str, kms_key_id: str) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._kms_key_id = kms_key_id

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self._s3.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=self._kms_key_id,
            BucketKeyEnabled=True,
        )

    def get(self, key: str) -> bytes:
        return self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()

    def delete(self, key: str) -> None:
        self._s3.delete_object(Bucket=self._bucket, Key=key)

    def purge(self, key: str) -> int:
        """Delete an object with every version of it (the bucket is versioned); returns how many went."""
        gone = 0
        out = self._s3.list_object_versions(Bucket=self._bucket, Prefix=key)
        for v in [*out.get("Versions", []), *out.get("DeleteMarkers", [])]:
            if v["Key"] == key:
                self._s3.delete_object(Bucket=self._bucket, Key=key, VersionId=v["VersionId"])
                gone += 1
        if not gone:
            self._s3.delete_object(Bucket=self._bucket, Key=key)
        return gone

    def presign_get(self, key: str, ttl_s: int, filename: str | None = None) -> str:
        params: dict[str, Any] = {"Bucket": self._bucket, "Key": key}
        if filename:
            params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
        return self._s3.generate_presigned_url("get_object", Params=params, ExpiresIn=min(ttl_s, 900))

"""The S3 bucket: staged uploads, staged batch inputs, materialized results.

Key layout: ``uploads/<file id>``, ``inputs/<batch id>.jsonl``, ``results/<batch id>.jsonl``.
"""

from __future__ import annotations

from collections.abc import Iterator

from botocore.exceptions import ClientError

from handlers import aws
from handlers.config import settings

PART_BYTES = 8 * 1024 * 1024  # S3 multipart parts must be ≥ 5 MiB except the last


def upload_key(file_id: str) -> str:
    return f"uploads/{file_id}"


def input_key(batch_id: str) -> str:
    return f"inputs/{batch_id}.jsonl"


def results_key(batch_id: str) -> str:
    return f"results/{batch_id}.jsonl"


def _bucket() -> str:
    return settings().bucket


def put_bytes(key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
    aws.s3().put_object(Bucket=_bucket(), Key=key, Body=data, ContentType=content_type)


def get_bytes(key: str) -> bytes | None:
    try:
        return aws.s3().get_object(Bucket=_bucket(), Key=key)["Body"].read()
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return None
        raise


def iter_lines(key: str) -> Iterator[bytes]:
    """The lines of a stored JSONL object, streamed."""
    body = aws.s3().get_object(Bucket=_bucket(), Key=key)["Body"]
    for line in body.iter_lines(chunk_size=1024 * 1024):
        if line:
            yield line


def iter_chunks(key: str, chunk_bytes: int = 1024 * 1024) -> Iterator[bytes]:
    body = aws.s3().get_object(Bucket=_bucket(), Key=key)["Body"]
    yield from body.iter_chunks(chunk_size=chunk_bytes)


def size_of(key: str) -> int | None:
    try:
        return aws.s3().head_object(Bucket=_bucket(), Key=key)["ContentLength"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404", "NotFound"):
            return None
        raise


def presigned_get(key: str, expires_seconds: int = 300) -> str:
    return aws.s3().generate_presigned_url(
        "get_object", Params={"Bucket": _bucket(), "Key": key}, ExpiresIn=expires_seconds
    )


def delete(*keys: str) -> None:
    objects = [{"Key": k} for k in keys]
    if objects:
        aws.s3().delete_objects(Bucket=_bucket(), Delete={"Objects": objects, "Quiet": True})


class StreamingUpload:
    """Write a large object part by part (bounded memory); nothing is visible until ``complete``."""

    def __init__(self, key: str, content_type: str = "application/x-jsonl") -> None:
        self.key = key
        self._s3 = aws.s3()
        self._upload_id = self._s3.create_multipart_upload(
            Bucket=_bucket(), Key=key, ContentType=content_type
        )["UploadId"]
        self._parts: list[dict] = []
        self._buffer: list[bytes] = []
        self._buffered = 0
        self.size = 0

    def write(self, data: bytes) -> None:
        self._buffer.append(data)
        self._buffered += len(data)
        self.size += len(data)
        if self._buffered >= PART_BYTES:
            self._flush()

    def _flush(self) -> None:
        body = b"".join(self._buffer)
        self._buffer, self._buffered = [], 0
        number = len(self._parts) + 1
        etag = self._s3.upload_part(
            Bucket=_bucket(), Key=self.key, UploadId=self._upload_id, PartNumber=number, Body=body
        )["ETag"]
        self._parts.append({"ETag": etag, "PartNumber": number})

    def complete(self) -> int:
        if self._buffered or not self._parts:
            self._flush()
        self._s3.complete_multipart_upload(
            Bucket=_bucket(), Key=self.key, UploadId=self._upload_id, MultipartUpload={"Parts": self._parts}
        )
        return self.size

    def abort(self) -> None:
        self._s3.abort_multipart_upload(Bucket=_bucket(), Key=self.key, UploadId=self._upload_id)

"""The S3 bucket: staged uploads, staged batch inputs, materialized results.

Key layout: ``uploads/<file id>``, ``inputs/<batch id>.jsonl`` (the requests as sent),
``inputs/<batch id>.index.jsonl`` (custom_id → shard, what materialization reads), ``results/<batch id>.jsonl``,
``results/downloads/<provider>/<provider file id>`` (large raw provider files, for a presigned download).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from botocore.exceptions import ClientError

from handlers import aws
from handlers.config import settings

PART_BYTES = 8 * 1024 * 1024  # S3 multipart parts must be ≥ 5 MiB except the last
PARALLEL_PARTS = 4


def upload_key(file_id: str) -> str:
    return f"uploads/{file_id}"


def input_key(batch_id: str) -> str:
    return f"inputs/{batch_id}.jsonl"


def index_key(batch_id: str) -> str:
    return f"inputs/{batch_id}.index.jsonl"


def results_key(batch_id: str) -> str:
    return f"results/{batch_id}.jsonl"


def raw_download_key(provider: str, provider_file_id: str) -> str:
    """Where a large raw provider file is staged for a presigned download (kept as long as results)."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in provider_file_id)
    return f"results/downloads/{provider}/{safe}"


def _bucket() -> str:
    return settings().bucket


# The tag the bucket's lifecycle rule removes objects by (files uploaded with expires_in_seconds).
EXPIRING_TAG = "batchbridge-expiring=true"


def put_bytes(
    key: str, data: bytes, content_type: str = "application/octet-stream", *, expiring: bool = False
) -> None:
    extra = {"Tagging": EXPIRING_TAG} if expiring else {}
    aws.s3().put_object(Bucket=_bucket(), Key=key, Body=data, ContentType=content_type, **extra)


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


def open_chunks(key: str, chunk_bytes: int = 1024 * 1024) -> Iterator[bytes] | None:
    """The object's bytes in chunks, or None if it does not exist (checked before any byte is sent)."""
    try:
        body = aws.s3().get_object(Bucket=_bucket(), Key=key)["Body"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return None
        raise
    return body.iter_chunks(chunk_size=chunk_bytes)


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
    """Write a large object part by part (bounded memory); nothing is visible until ``complete``.

    Up to ``PARALLEL_PARTS`` parts upload in background threads while the caller fills the next one, so JSON
    work and S3 I/O overlap (as S3's own transfer manager does); at most that many parts plus the one being
    filled are held at once.
    """

    def __init__(self, key: str, content_type: str = "application/x-jsonl") -> None:
        self.key = key
        self._s3 = aws.s3()
        # CRC32 per part: S3 checks every part on arrival and keeps a composite checksum of the whole, so a
        # corrupted results file cannot go unnoticed, and no full-object checksum pass is left for the end.
        created = self._s3.create_multipart_upload(
            Bucket=_bucket(), Key=key, ContentType=content_type, ChecksumAlgorithm="CRC32"
        )
        self._upload_id = created["UploadId"]
        self._uploads: list[Future] = []
        # One growing buffer the lines are copied into: holding the callers' bytes objects instead would cost
        # far more than their length (orjson's over-allocated results are ~16 KB each, whatever they hold).
        self._buffer = bytearray()
        self._pool = ThreadPoolExecutor(max_workers=PARALLEL_PARTS, thread_name_prefix="s3-part")
        self.size = 0

    def write_line(self, line: bytes) -> None:
        """Append ``line`` and a ``\n`` (copied straight into the part, no joined intermediate)."""
        self._buffer += line
        self._buffer += b"\n"
        self.size += len(line) + 1
        if len(self._buffer) >= PART_BYTES:
            self._flush()

    def _upload_part(self, number: int, body: bytearray) -> dict:
        uploaded = self._s3.upload_part(
            Bucket=_bucket(),
            Key=self.key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=body,
            ChecksumAlgorithm="CRC32",
        )
        # An upload created with a checksum algorithm must name every part's checksum when it completes.
        return {"ETag": uploaded["ETag"], "ChecksumCRC32": uploaded["ChecksumCRC32"], "PartNumber": number}

    def _flush(self) -> None:
        body, self._buffer = self._buffer, bytearray()  # handed over whole: no copy of the part
        in_flight = [f for f in self._uploads if not f.done()]
        if len(in_flight) >= PARALLEL_PARTS:
            in_flight[0].result()  # bounded memory, and an upload error surfaces early
        self._uploads.append(self._pool.submit(self._upload_part, len(self._uploads) + 1, body))

    def complete(self) -> int:
        if self._buffer or not self._uploads:
            self._flush()
        parts = [f.result() for f in self._uploads]
        self._pool.shutdown()
        self._s3.complete_multipart_upload(
            Bucket=_bucket(), Key=self.key, UploadId=self._upload_id, MultipartUpload={"Parts": parts}
        )
        return self.size

    def abort(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        # If this fails too, the bucket's lifecycle rule removes the parts after a day; keep the original error.
        with contextlib.suppress(ClientError):
            self._s3.abort_multipart_upload(Bucket=_bucket(), Key=self.key, UploadId=self._upload_id)

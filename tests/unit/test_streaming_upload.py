"""The multipart writer behind results files: what lands in S3, and what a failure leaves."""

from __future__ import annotations

import base64
import zlib

import pytest

from handlers import aws as aws_clients
from handlers.storage import bucket


def lines_of(total_bytes: int) -> list[bytes]:
    line = b'{"custom_id":"req-%06d","result":{"type":"succeeded"}}' + b"x" * 900
    return [line % i for i in range(total_bytes // (len(line) + 1))]


def composite_crc32(lines: list[bytes]) -> str:
    """S3's composite CRC32 of the parts the writer makes: each closes at the first line end past PART_BYTES."""
    parts, part = [], bytearray()
    for line in lines:
        part += line + b"\n"
        if len(part) >= bucket.PART_BYTES:
            parts, part = [*parts, bytes(part)], bytearray()
    parts += [bytes(part)] if part else []
    digests = b"".join(zlib.crc32(part).to_bytes(4, "big") for part in parts)
    return base64.b64encode(zlib.crc32(digests).to_bytes(4, "big")).decode()


def test_a_results_object_of_several_parts_holds_every_line_in_order_with_a_crc32_checksum(aws):
    lines = lines_of(3 * bucket.PART_BYTES + 12345)  # three full parts and a short last one
    upload = bucket.StreamingUpload("results/several-parts.jsonl")
    for line in lines:
        upload.write_line(line)
    size = upload.complete()

    expected = b"".join(line + b"\n" for line in lines)
    assert size == len(expected)
    assert bucket.get_bytes("results/several-parts.jsonl") == expected
    head = aws_clients.s3().head_object(
        Bucket=aws["GatewayBucket"], Key="results/several-parts.jsonl", ChecksumMode="ENABLED"
    )
    # S3's composite checksum: the CRC32 of the parts' CRC32s (real S3 appends "-<part count>").
    assert head["ChecksumCRC32"].split("-")[0] == composite_crc32(lines)


def test_a_small_results_object_is_one_part(aws):
    upload = bucket.StreamingUpload("results/small.jsonl")
    upload.write_line(b'{"custom_id":"a","result":{"type":"canceled"}}')
    assert upload.complete() == 47
    assert bucket.get_bytes("results/small.jsonl") == b'{"custom_id":"a","result":{"type":"canceled"}}\n'


def test_an_aborted_upload_leaves_no_object_and_no_pending_parts(aws):
    upload = bucket.StreamingUpload("results/aborted.jsonl")
    for line in lines_of(bucket.PART_BYTES + 100):
        upload.write_line(line)
    upload.abort()

    assert bucket.size_of("results/aborted.jsonl") is None
    pending = aws_clients.s3().list_multipart_uploads(Bucket=aws["GatewayBucket"])
    assert pending.get("Uploads", []) == []


def test_a_failed_part_surfaces_at_complete_and_nothing_becomes_visible(aws, monkeypatch):
    upload = bucket.StreamingUpload("results/failing.jsonl")

    def broken_part(number, body):
        raise ConnectionError("S3 went away")

    monkeypatch.setattr(upload, "_upload_part", broken_part)
    for line in lines_of(bucket.PART_BYTES + 100):
        upload.write_line(line)
    with pytest.raises(ConnectionError):
        upload.complete()
    upload.abort()
    assert bucket.size_of("results/failing.jsonl") is None

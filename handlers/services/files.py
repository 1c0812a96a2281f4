"""The file lifecycle: stage in S3, forward to the provider, keep the mapping; owner-scoped reads."""

from __future__ import annotations

import mimetypes
from datetime import timedelta

from handlers.errors import ApiError, invalid_request, not_found
from handlers.ids import is_gateway_file_id, iso, new_file_id, utcnow
from handlers.log import log_event
from handlers.providers import get_provider
from handlers.providers.base import UpstreamFile
from handlers.storage import bucket, table
from handlers.storage.records import FileRecord

_MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_EXTENSIONS = {"text/plain": ".txt", "application/jsonl": ".jsonl", "application/x-jsonl": ".jsonl"}


def sniff_mime_type(content: bytes, filename: str | None) -> str:
    for magic, mime in _MAGIC:
        if content.startswith(magic):
            return mime
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    if filename:
        guessed, _ = mimetypes.guess_type(filename)
        if guessed:
            return guessed
        if filename.endswith(".jsonl"):
            return "application/jsonl"
    head = content[:4096]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    # Valid UTF-8 is not yet text: control bytes other than whitespace mean binary data.
    if any(byte < 0x20 and byte not in b"\t\n\r\f" for byte in head):
        return "application/octet-stream"
    return "text/plain"


def effective_filename(filename: str | None, mime_type: str) -> str:
    """The final path component of the part's filename, as Anthropic keeps it; 2.x SDKs send no filename for
    raw bytes: name it ``unnamed`` plus the mime type's extension."""
    filename = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    if len(filename) > 500:
        raise invalid_request("file: the filename must be at most 500 characters")
    if filename:
        return filename
    ext = _EXTENSIONS.get(mime_type) or mimetypes.guess_extension(mime_type) or ""
    return f"unnamed{ext}"


# Anthropic's bounds for expires_in_seconds: one hour to ninety days.
EXPIRES_IN_SECONDS = (3600, 7_776_000)


def parse_expires_in(value: str | None) -> int | None:
    if value is None:
        return None
    low, high = EXPIRES_IN_SECONDS
    digits = value.strip()
    if not (digits.isascii() and digits.isdecimal()) or not low <= int(digits) <= high:
        raise invalid_request(
            f"expires_in_seconds: must be an integer between {low} and {high}, got {value!r}"
        )
    return int(value)


def upload_file(
    owner: str,
    provider_name: str,
    filename: str | None,
    part_type: str | None,
    content: bytes,
    expires_in_seconds: int | None = None,
):
    part_type = (part_type or "").split(";", 1)[0].strip().lower()  # "text/plain; charset=utf-8" → text/plain
    mime_type = part_type if part_type and part_type != "application/octet-stream" else None
    mime_type = mime_type or sniff_mime_type(content, filename)
    name = effective_filename(filename, mime_type)
    provider = get_provider(provider_name)
    file_id = new_file_id()
    key = bucket.upload_key(file_id)
    # Staged first: the user's bytes are never lost. An expiring file's copy is tagged for the bucket's
    # lifecycle rule; the gateway stops serving it at expires_at.
    bucket.put_bytes(key, content, mime_type, expiring=expires_in_seconds is not None)
    try:
        upstream = provider.upload_file(name, mime_type, content, expires_in_seconds)
    except Exception:
        bucket.delete(key)
        raise
    record = FileRecord(
        id=file_id,
        owner=owner,
        provider=provider_name,
        filename=name,
        mime_type=mime_type,
        size_bytes=len(content),
        created_at=iso(upstream.created_at) if upstream.created_at else iso(utcnow()),
        provider_file_id=upstream.provider_file_id,
        downloadable=True,  # the staged copy can always be downloaded back
        uri=upstream.uri,
        expires_at=iso(utcnow() + timedelta(seconds=expires_in_seconds)) if expires_in_seconds else None,
    )
    table.put_file(record)
    log_event("file_uploaded", file_id=file_id, provider=provider_name, size_bytes=len(content))
    return record


def get_owned_file(owner: str, file_id: str) -> FileRecord:
    record = table.get_file(file_id) if is_gateway_file_id(file_id) else None
    if record is None or record.owner != owner or record.expired(utcnow()):
        raise not_found(f"file {file_id!r} not found")
    return record


def provider_configured(provider_name: str) -> bool:
    try:
        get_provider(provider_name)
    except ApiError:
        return False
    return True


def raw_upstream_file(provider_name: str, provider_file_id: str) -> UpstreamFile:
    return get_provider(provider_name).get_file(provider_file_id)


def delete_file(owner: str, file_id: str) -> None:
    record = get_owned_file(owner, file_id)
    try:
        get_provider(record.provider).delete_file(record.provider_file_id)
    except ApiError as exc:
        if exc.status != 404:  # already gone upstream (e.g. Gemini's 48 h expiry) is fine
            raise
    bucket.delete(bucket.upload_key(file_id))
    table.delete_file(file_id)
    log_event("file_deleted", file_id=file_id, provider=record.provider)


def download_file(record: FileRecord) -> tuple[bytes, str]:
    """An owned file's bytes from the staged copy (works whatever the provider serves)."""
    content = bucket.get_bytes(bucket.upload_key(record.id))
    if content is None:
        content = get_provider(record.provider).download_file(record.provider_file_id)
    if content is None:
        raise ApiError(404, f"the content of file {record.id!r} is no longer available")
    return content, record.mime_type


def list_files(owner, limit, after_id, before_id, provider):
    items, has_more = table.list_owned(
        owner,
        "file",
        limit,
        after_id=after_id,
        before_id=before_id,
        provider=provider,
    )
    return [table.file_from_item(i) for i in items], has_more


def files_by_ids(owner: str, ids: list[str], provider: str | None) -> list[FileRecord]:
    """The owner's files among ``ids``, newest first (unknown and foreign ids are simply absent)."""
    wanted = [i for i in dict.fromkeys(ids) if is_gateway_file_id(i)]
    found = table.get_files(wanted).values()
    now = utcnow()
    mine = [
        f
        for f in found
        if f.owner == owner and (provider is None or f.provider == provider) and not f.expired(now)
    ]
    return sorted(mine, key=lambda f: f.id, reverse=True)


def raw_download(provider_name: str, provider_file_id: str) -> bytes:
    content = get_provider(provider_name).download_file(provider_file_id)
    if content is None:
        raise ApiError(400, f"{provider_name} does not serve the content of file {provider_file_id!r}")
    return content


def raw_delete(provider_name: str, provider_file_id: str) -> None:
    get_provider(provider_name).delete_file(provider_file_id)

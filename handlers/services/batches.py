"""The batch lifecycle shared by every provider: create, refresh, cancel, delete, list.

Materializing results lives in ``services.materialize``; the poller and the retrieve route both call it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

import orjson

from handlers.errors import ApiError, invalid_request, not_found
from handlers.ids import iso, new_batch_id, parse_iso, utcnow
from handlers.log import log_event
from handlers.providers import get_provider
from handlers.providers.base import FileRef, PreparedShard
from handlers.storage import bucket, table
from handlers.storage.records import (
    ENDED,
    EXPIRED,
    IN_PROGRESS,
    OVERDUE_SINCE,
    SUBMITTING,
    BatchRecord,
    FileRecord,
)

REFRESH_AFTER_SECONDS = 3.0
UPSTREAM_WORKERS = 8
BATCH_WINDOW = timedelta(hours=24)  # expires_at, as on Anthropic
# How long past expires_at a provider may still report before unfinished requests are expired.
OVERDUE_GRACE = timedelta(hours=1)
# How long a shard cancelled at the batch's expiry may take to report its end (with its partial output).
OVERDUE_CANCEL_WAIT_SECONDS = 15 * 60
_OVERDUE_WAIT_SINCE = "overdue_wait_since"  # ShardRef.data: when the gateway began waiting for its end


def referenced_file_ids(requests: Iterable[dict]) -> list[str]:
    """Every ``source: {"type": "file", "file_id": …}`` in the requests' message content."""
    found: list[str] = []

    def walk(blocks) -> None:
        if not isinstance(blocks, list):
            return
        for block in blocks:
            if not isinstance(block, dict):
                continue
            source = block.get("source")
            if (
                isinstance(source, dict)
                and source.get("type") == "file"
                and isinstance(source.get("file_id"), str)
            ):
                found.append(source["file_id"])
            if block.get("type") == "container_upload" and isinstance(block.get("file_id"), str):
                found.append(block["file_id"])
            walk(block.get("content"))  # tool_result content may carry documents/images

    for request in requests:
        for message in request["params"].get("messages", []):
            if isinstance(message, dict):
                walk(message.get("content"))
    return found


def _file_refs(owner: str, requests: list[dict]) -> dict[str, FileRef]:
    ids = referenced_file_ids(requests)
    if not ids:
        return {}
    records = table.get_files(ids)
    refs: dict[str, FileRef] = {}
    for file_id in ids:
        rec = records.get(file_id)
        if rec is None or rec.owner != owner or rec.expired(utcnow()):
            raise invalid_request(f"file {file_id!r} referenced in the batch does not exist")
        refs[file_id] = _file_ref(rec)
    return refs


def _with_inline_content(files: dict[str, FileRef], provider) -> dict[str, FileRef]:
    """The refs with the staged bytes of the files the provider takes inline (e.g. images on OpenAI)."""
    inlined = {}
    for file_id, ref in files.items():
        if provider.inline_file_types and ref.mime_type.startswith(provider.inline_file_types):
            content = bucket.get_bytes(bucket.upload_key(file_id))
            if content is None:
                raise invalid_request(f"file {file_id!r} is no longer available")
            ref = replace(ref, content=content)
        inlined[file_id] = ref
    return inlined


def _needs_copy(ref: FileRef, provider_name: str, provider) -> bool:
    """A file held by another provider, or one its provider will have deleted before the batch can end."""
    if ref.content is not None:
        return False  # sent inline from the staged copy
    if ref.provider != provider_name:
        return True
    lifetime = provider.file_lifetime
    if lifetime is None or ref.created_at is None:
        return False
    batch_ends_by = utcnow() + BATCH_WINDOW + OVERDUE_GRACE + timedelta(seconds=OVERDUE_CANCEL_WAIT_SECONDS)
    return parse_iso(ref.created_at) + lifetime < batch_ends_by


def _copy_files(files: dict[str, FileRef], provider_name: str, provider) -> dict[str, FileRef]:
    """Fresh copies (from the staged S3 copy) of the files this batch's provider does not hold for long
    enough: uploads through another provider, so a file can be used by a batch on any provider, and files
    the provider itself will have expired. Returns the refs to use instead."""
    copies: dict[str, FileRef] = {}
    for file_id, ref in files.items():
        if not _needs_copy(ref, provider_name, provider):
            continue
        content = bucket.get_bytes(bucket.upload_key(file_id))
        if content is None:
            raise invalid_request(f"file {file_id!r} is no longer available to copy to {provider_name}")
        try:
            up = provider.upload_file(ref.filename, ref.mime_type, content)
        except Exception:
            _delete_copies(copies, provider)
            raise
        copies[file_id] = FileRef(
            id=file_id,
            provider=provider_name,
            provider_file_id=up.provider_file_id,
            filename=ref.filename,
            mime_type=ref.mime_type,
            uri=up.uri,
            created_at=iso(up.created_at),
        )
    return copies


def _delete_copies(copies: dict[str, FileRef], provider) -> None:
    for ref in copies.values():
        try:
            provider.delete_file(ref.provider_file_id)
        except Exception as exc:  # best effort: Gemini removes files itself after 48 h
            log_event("file_copy_cleanup_failed", file_id=ref.id, error=type(exc).__name__)


def _file_ref(rec: FileRecord) -> FileRef:
    return FileRef(
        id=rec.id,
        provider=rec.provider,
        provider_file_id=rec.provider_file_id,
        filename=rec.filename,
        mime_type=rec.mime_type,
        uri=rec.uri,
        created_at=rec.created_at,
    )


def _staged_index(requests: list[dict], shards: list[PreparedShard]) -> bytes:
    """custom_id → shard (and what translating results back needs), in input order: all that materialization
    reads, so it never re-parses the full requests."""
    shard_of = {cid: index for index, shard in enumerate(shards) for cid in shard.custom_ids}
    lines = []
    for r in requests:
        entry = {"custom_id": r["custom_id"], "shard": shard_of[r["custom_id"]]}
        if r["params"].get("stop_sequences"):
            entry["stop_sequences"] = r["params"]["stop_sequences"]
        lines.append(orjson.dumps(entry))
    return b"\n".join(lines) + b"\n"


def create_batch(
    owner: str,
    provider_name: str,
    base_url: str,
    requests: list[dict],
    fingerprint: str | None = None,
    betas: Sequence[str] = (),
) -> BatchRecord:
    """Stage, record, then submit a new batch. ``fingerprint`` (a digest of the request) lets a retried
    create find this batch instead of making a second one (see ``batch_created_by``); ``betas`` are the
    client's ``anthropic-beta`` values, for the provider to honour."""
    provider = get_provider(provider_name)
    files = _with_inline_content(_file_refs(owner, requests), provider)
    copies = _copy_files(files, provider_name, provider)
    try:
        # Refuses untranslatable input before anything is written.
        prepared = provider.prepare_shards(requests, {**files, **copies})
    except Exception:
        _delete_copies(copies, provider)
        raise

    now = utcnow()
    batch = BatchRecord(
        id=new_batch_id(),
        owner=owner,
        provider=provider_name,
        created_at=iso(now),
        expires_at=iso(now + BATCH_WINDOW),
        request_count=len(requests),
        base_url=base_url,
        state=SUBMITTING,
    )
    # The original requests are staged first: nothing the user sent is lost whatever happens upstream.
    bucket.put_bytes(bucket.input_key(batch.id), orjson.dumps(requests), "application/json")
    bucket.put_bytes(bucket.index_key(batch.id), _staged_index(requests, prepared), "application/x-jsonl")
    table.put_new_batch(batch)
    if fingerprint:
        table.remember_create(owner, fingerprint, batch.id)
    try:
        for index, shard in enumerate(prepared):
            batch.shards.append(provider.submit_shard(shard, batch_id=batch.id, index=index, betas=betas))
            table.update_progress(batch)  # each shard is recorded at once: nothing upstream is ever orphaned
    except Exception as exc:
        _abandon(batch, provider)
        _delete_copies(copies, provider)
        if fingerprint:
            table.forget_create(owner, fingerprint)  # a retry of a failed create must really try again
        log_event("batch_submit_failed", batch_id=batch.id, provider=provider_name, error=type(exc).__name__)
        raise
    batch.state = IN_PROGRESS
    batch.refreshed_at = time.time()
    table.update_progress(batch, state=IN_PROGRESS)
    log_event(
        "batch_created",
        batch_id=batch.id,
        provider=provider_name,
        requests=len(requests),
        shards=len(prepared),
    )
    return batch


def batch_created_by(owner: str, fingerprint: str) -> BatchRecord | None:
    """The batch an earlier attempt of this very create made, if it still exists."""
    batch_id = table.created_by(owner, fingerprint)
    batch = table.get_batch(batch_id) if batch_id else None
    return batch if batch is not None and batch.owner == owner else None


def _abandon(batch: BatchRecord, provider) -> None:
    """Undo a half-submitted batch so no record is left looking alive."""
    _cancel_and_clean_up(batch, provider)
    table.delete_batch(batch.id)
    bucket.delete(bucket.input_key(batch.id), bucket.index_key(batch.id))


def _cancel_and_clean_up(batch: BatchRecord, provider) -> None:
    """Best effort: stop every submitted shard and remove its upstream objects (e.g. uploaded input files)."""
    for shard in batch.shards:
        for step in (provider.cancel_shard, provider.delete_shard):
            try:
                step(shard)
            except Exception as exc:  # the gateway record is going away or ending either way
                log_event(
                    "shard_cleanup_failed", batch_id=batch.id, shard=shard.index, error=type(exc).__name__
                )


def get_owned_batch(owner: str, batch_id: str) -> BatchRecord:
    batch = table.get_batch(batch_id)
    if batch is None or batch.owner != owner:
        # Another owner's batch answers exactly like a missing one.
        raise not_found(f"message batch {batch_id!r} not found")
    return batch


def refresh(batch: BatchRecord, *, force: bool = False) -> BatchRecord:
    """Ask the provider about every unfinished shard (concurrently) and store what changed."""
    if batch.state == ENDED or batch.state == SUBMITTING:
        return batch
    if not force and time.time() - batch.refreshed_at < REFRESH_AFTER_SECONDS:
        return batch
    provider = get_provider(batch.provider)
    pending = [s for s in batch.shards if s.phase != "ended"]
    if not pending:
        return batch
    if len(pending) == 1:
        updates = [provider.refresh_shard(pending[0])]
    else:
        with ThreadPoolExecutor(max_workers=min(UPSTREAM_WORKERS, len(pending))) as pool:
            updates = list(pool.map(provider.refresh_shard, pending))
    for shard, update in zip(pending, updates, strict=True):
        shard.phase = update.phase
        shard.ending = update.ending
        shard.data.update(update.data)
        shard.fallback = update.fallback
        if update.phase == "ended" and OVERDUE_SINCE in shard.data:
            # Cancelled by the gateway at the batch's expiry: what has no result expired, as on Anthropic.
            shard.ending, shard.fallback = "expired", dict(EXPIRED)
    batch.refreshed_at = time.time()
    table.update_progress(batch)
    return batch


def all_shards_ended(batch: BatchRecord) -> bool:
    return bool(batch.shards) and all(s.phase == "ended" for s in batch.shards)


def cancel_batch(owner: str, batch_id: str) -> BatchRecord:
    batch = get_owned_batch(owner, batch_id)
    if batch.state == ENDED:
        return batch
    provider = get_provider(batch.provider)
    for shard in batch.shards:
        if shard.phase == "ended" or shard.data.get("cancel_requested") == "1":
            continue
        try:
            provider.cancel_shard(shard)
        except ApiError as exc:
            # A shard that finished meanwhile cannot be cancelled (OpenAI answers 409); the next refresh sees it.
            if exc.status not in (400, 409):
                raise
        shard.data["cancel_requested"] = "1"
        shard.phase = "canceling"
    stored = table.record_cancel(batch, iso(utcnow()))
    if stored is None:
        return get_owned_batch(owner, batch_id)  # it ended meanwhile
    batch = stored
    log_event("batch_cancel_requested", batch_id=batch.id, provider=batch.provider)
    return batch


def delete_batch(owner: str, batch_id: str) -> None:
    batch = get_owned_batch(owner, batch_id)
    if batch.state != ENDED:
        raise invalid_request(
            f"message batch {batch_id!r} is still processing; cancel it first, then delete it once it has ended"
        )
    provider = get_provider(batch.provider)
    for shard in batch.shards:
        try:
            provider.delete_shard(shard)
        except ApiError as exc:  # upstream cleanup is best effort; the gateway copy is what the user sees
            log_event("shard_delete_failed", batch_id=batch.id, shard=shard.index, status=exc.status)
    bucket.delete(bucket.input_key(batch.id), bucket.index_key(batch.id), bucket.results_key(batch.id))
    table.delete_batch(batch.id)
    log_event("batch_deleted", batch_id=batch.id, provider=batch.provider)


def list_batches(
    owner: str, limit: int, after_id: str | None, before_id: str | None, provider: str | None
) -> tuple[list[BatchRecord], bool]:
    items, has_more = table.list_owned(
        owner, "batch", limit, after_id=after_id, before_id=before_id, provider=provider
    )
    return [table.batch_from_item(i) for i in items], has_more


STALE_SUBMISSION_SECONDS = 15 * 60


def advance(batch: BatchRecord, *, force: bool = False, materialize_up_to: int | None = None) -> BatchRecord:
    """Refresh a batch and, once every shard has ended, materialize its results.

    ``materialize_up_to`` lets an API call finish small batches itself; larger ones are left to the poller,
    which has minutes where an API call has seconds.
    """
    from handlers.services.materialize import materialize  # the poller path; kept off the API's import path

    if batch.state == SUBMITTING:
        if _submission_is_stale(batch):
            # The creating call died (e.g. a Lambda timeout) before it finished submitting: stop what it did
            # submit and end the batch with every request errored rather than leave it looking alive forever.
            _cancel_and_clean_up(batch, get_provider(batch.provider))
            batch.shards = []
            return materialize(batch) or batch
        return batch
    batch = _wind_down_overdue(batch) if _overdue(batch) else refresh(batch, force=force)
    small_enough = materialize_up_to is None or batch.request_count <= materialize_up_to
    if batch.state != ENDED and all_shards_ended(batch) and small_enough:
        return materialize(batch) or table.get_batch(batch.id) or batch
    return batch


def _submission_is_stale(batch: BatchRecord) -> bool:
    return (utcnow() - parse_iso(batch.created_at)).total_seconds() > STALE_SUBMISSION_SECONDS


def _overdue(batch: BatchRecord) -> bool:
    return utcnow() > parse_iso(batch.expires_at) + OVERDUE_GRACE and not all_shards_ended(batch)


def _wind_down_overdue(batch: BatchRecord) -> BatchRecord:
    """Past its 24 h window (plus grace) a batch ends as on Anthropic: what has no result yet is expired.

    The provider is asked first, so a shard that has ended keeps its results. Shards still running are
    cancelled upstream, since a cancelled batch still delivers the requests it finished (on every provider);
    they end when the provider says so, or after ``OVERDUE_CANCEL_WAIT_SECONDS`` without their output.
    """
    try:
        batch = refresh(batch, force=True)
    except Exception as exc:  # the provider being down must not keep the batch alive forever
        log_event("overdue_refresh_failed", batch_id=batch.id, error=type(exc).__name__)
    provider = get_provider(batch.provider)
    now = time.time()
    for shard in batch.shards:
        if shard.phase == "ended":
            continue
        waiting_since = shard.data.get(_OVERDUE_WAIT_SINCE)
        if waiting_since is None:
            shard.data[_OVERDUE_WAIT_SINCE] = str(int(now))
            if shard.data.get("cancel_requested") != "1":  # a shard the user cancelled keeps "canceled"
                try:
                    provider.cancel_shard(shard)
                except Exception as exc:
                    log_event(
                        "shard_cancel_failed", batch_id=batch.id, shard=shard.index, error=type(exc).__name__
                    )
                shard.data[OVERDUE_SINCE] = str(int(now))
                shard.data["cancel_requested"] = "1"
                shard.phase = "canceling"
        elif now - float(waiting_since) > OVERDUE_CANCEL_WAIT_SECONDS:
            expired = (
                OVERDUE_SINCE in shard.data
            )  # else the user had cancelled it: what never ran is canceled
            shard.phase, shard.ending = "ended", "expired" if expired else "cancelled"
            shard.fallback = dict(EXPIRED) if expired else {"type": "canceled"}
            shard.data["forced_end"] = (
                "1"  # its output, if any, is not read: the provider never said it ended
            )
    batch.refreshed_at = now
    table.update_progress(batch)
    log_event("batch_overdue", batch_id=batch.id, provider=batch.provider)
    return batch

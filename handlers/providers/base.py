"""The one small interface every provider implements, in the gateway's own neutral terms.

A provider does upstream I/O and nothing else: it never sees FastAPI, DynamoDB or S3, and it speaks in
shards, shard states, files and per-custom_id outcomes. Request/response translation lives in
``handlers.translate`` as pure functions that the provider calls.

Outcome ``result`` dicts are plain data in the shape of an Anthropic batch result's ``result`` member
(``{"type":"succeeded","message":{...}}``, ``{"type":"errored","error":{"type":"error","error":{...}}}``,
``{"type":"canceled"}``, ``{"type":"expired"}``); the batch service writes them out unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple, Protocol

ShardPhase = Literal["running", "canceling", "ended"]
# How an ended shard ended, in neutral words (OpenAI completed/failed/expired/cancelled, Gemini SUCCEEDED/...).
ShardEnding = Literal["completed", "failed", "expired", "cancelled"]


@dataclass(frozen=True)
class FileRef:
    """A gateway file as a provider needs it to resolve ``source: {"type": "file", "file_id": ...}``."""

    id: str  # gateway id, file_...
    provider: str  # which provider holds the upstream copy
    provider_file_id: str  # e.g. OpenAI "file-abc", Gemini "files/abc", Anthropic "file_011..."
    filename: str
    mime_type: str
    uri: str | None = None  # Gemini file URI, when the provider has one
    # When the upstream copy was made (RFC 3339), for providers that expire files.
    created_at: str | None = None
    # The staged bytes, for the types the provider takes inline (Provider.inline_file_types).
    content: bytes | None = None


@dataclass(frozen=True)
class PreparedShard:
    """One provider batch to submit: requests already translated into the provider's payload."""

    model: str | None  # None when the provider takes mixed models in one batch (Anthropic)
    custom_ids: list[str]
    payload: Any  # provider-specific (e.g. list of JSONL line dicts, or Anthropic request dicts)
    size_bytes: int = 0  # encoded size of the payload, for size-based decisions (Gemini inline vs file)


@dataclass
class ShardRef:
    """A submitted shard as persisted in the batch record (plain strings so it stores as a DynamoDB map)."""

    index: int
    provider_batch_id: str
    model: str | None
    request_count: int
    data: dict[str, str] = field(default_factory=dict)  # provider extras: input_file_id, output_file_id, ...
    phase: ShardPhase = "running"
    ending: ShardEnding | None = None
    # Result for custom_ids of this shard that the provider output never mentions, once the shard has ended
    # (e.g. {"type": "canceled"}, {"type": "expired"}, or errored with a file validation message).
    fallback: dict | None = None


@dataclass
class ShardUpdate:
    """What a refresh learned about a shard."""

    phase: ShardPhase
    ending: ShardEnding | None = None
    data: dict[str, str] = field(default_factory=dict)  # merged into ShardRef.data
    fallback: dict | None = None


@dataclass(frozen=True)
class UpstreamFile:
    provider_file_id: str
    filename: str
    mime_type: str
    size_bytes: int
    created_at: datetime
    downloadable: bool = False
    uri: str | None = None


class Outcome(NamedTuple):
    """One result of an ended shard (a tuple: millions are made while materializing)."""

    custom_id: str
    result: dict
    # The result's Anthropic JSONL line exactly as upstream sent it, when it already is one (Anthropic
    # pass-through): written out as it is instead of being encoded again.
    line: bytes | None = None


class Provider(Protocol):
    name: str
    # How long the provider keeps an uploaded file (None: until deleted). A batch gets a fresh copy of a file
    # that would be gone before the batch can end.
    file_lifetime: timedelta | None
    # Media type prefixes of files the provider takes inline rather than by its own file id (their staged bytes
    # are read into FileRef.content for the translation).
    inline_file_types: tuple[str, ...]

    # --- batches -------------------------------------------------------------------------------------
    def prepare_shards(self, requests: list[dict], files: Mapping[str, FileRef]) -> list[PreparedShard]:
        """Translate and group Anthropic batch requests ({custom_id, params}) into shards. Pure: no I/O.

        Raises ``ApiError(400)`` naming the custom_id and field for anything the provider cannot take.
        ``files`` maps every gateway file id referenced by the requests to its record.
        """

    def submit_shard(
        self, shard: PreparedShard, *, batch_id: str, index: int, betas: Sequence[str] = ()
    ) -> ShardRef:
        """Create the provider batch. ``betas`` are the client's ``anthropic-beta`` values: the only way a batch
        turns on a beta feature for its requests; providers that have no such switch ignore them."""

    def refresh_shard(self, shard: ShardRef) -> ShardUpdate: ...

    def cancel_shard(self, shard: ShardRef) -> None: ...

    def delete_shard(self, shard: ShardRef) -> None:
        """Remove upstream objects of an ended shard where the provider supports it (best effort)."""

    def iter_outcomes(
        self, shard: ShardRef, hints: Mapping[str, dict], custom_ids: Sequence[str] = ()
    ) -> Iterator[Outcome]:
        """Stream an ended shard's outputs as Anthropic results, one per custom_id the output mentions.

        ``hints`` maps custom_id → what translating back needs of the original request (``stop_sequences``);
        it may be empty. ``custom_ids`` are the shard's requests in input order, for providers whose output
        may not name them. A line that cannot be read is skipped (the shard's fallback then covers it),
        never allowed to stop the stream.
        """

    # --- files ---------------------------------------------------------------------------------------
    def upload_file(
        self, filename: str, mime_type: str, content: bytes, expires_in_seconds: int | None = None
    ) -> UpstreamFile:
        """``expires_in_seconds``: the client asked for the file to go after that long; providers that can
        expire a file pass it on, so no copy outlives the gateway's record."""

    def get_file(self, provider_file_id: str) -> UpstreamFile: ...

    def delete_file(self, provider_file_id: str) -> None: ...

    def download_file(self, provider_file_id: str) -> bytes | None:
        """The file's bytes, or None when the provider does not serve this file's content."""

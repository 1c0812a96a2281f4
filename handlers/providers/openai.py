"""OpenAI as an upstream: Anthropic batches run as OpenAI Batch API jobs over Chat Completions.

OpenAI batches take one model per input file and at most 50,000 lines / 200 MB, so a gateway batch becomes
one shard per model, split further by size. Each shard is an uploaded JSONL file (purpose ``batch``) plus a
batch over it. Translation both ways is ``handlers.translate.openai``; this module only does the HTTP.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime

from handlers.errors import UpstreamError
from handlers.log import log_event
from handlers.providers.base import FileRef, Outcome, PreparedShard, ShardRef, ShardUpdate, UpstreamFile
from handlers.providers.http import UpstreamClient
from handlers.translate.errors import errored_result
from handlers.translate.openai import ENDPOINT, encode_line, request_line, result_from_line

_PHASES = {
    "validating": ("running", None),
    "in_progress": ("running", None),
    "finalizing": ("running", None),
    "cancelling": ("canceling", None),
    "completed": ("ended", "completed"),
    "failed": ("ended", "failed"),
    "expired": ("ended", "expired"),
    "cancelled": ("ended", "cancelled"),
}
# OpenAI answers 400 "Not allowed to download files of purpose: assistants"; it serves the others.
_UNDOWNLOADABLE_PURPOSES = frozenset({"assistants"})
_OUTPUT_FILES = ("output_file_id", "error_file_id")


MAX_FILE_EXPIRY_SECONDS = 30 * 24 * 3600  # OpenAI's limit on expires_after.seconds


class OpenAIProvider:
    name = "openai"
    file_lifetime = None  # user_data files stay until deleted
    # Chat Completions reads images only inline, and text documents only as text.
    inline_file_types = ("image/", "text/")
    # OpenAI's per-batch input limits (class attributes so tests can lower them).
    max_lines_per_shard = 50_000
    max_bytes_per_shard = 200_000_000  # "200 MB"; decimal, to stay under it whichever MB OpenAI means

    def __init__(self, client: UpstreamClient) -> None:
        self.client = client

    # --- batches -------------------------------------------------------------------------------------
    def prepare_shards(self, requests: list[dict], files: Mapping[str, FileRef]) -> list[PreparedShard]:
        """Translate every request first (any 400 before anything is sent), then group by model and size."""
        by_model: dict[str, list[tuple[str, bytes]]] = {}
        for request in requests:
            line = request_line(request, files)
            by_model.setdefault(line["body"]["model"], []).append((request["custom_id"], encode_line(line)))

        shards = []
        for model, lines in by_model.items():
            custom_ids: list[str] = []
            payload: list[bytes] = []
            size = 0
            for custom_id, encoded in lines:
                line_size = len(encoded) + 1  # the newline
                if payload and (
                    len(payload) >= self.max_lines_per_shard or size + line_size > self.max_bytes_per_shard
                ):
                    shards.append(PreparedShard(model, custom_ids, payload, size))
                    custom_ids, payload, size = [], [], 0
                custom_ids.append(custom_id)
                payload.append(encoded)
                size += line_size
            shards.append(PreparedShard(model, custom_ids, payload, size))
        return shards

    def submit_shard(
        self, shard: PreparedShard, *, batch_id: str, index: int, betas: Sequence[str] = ()
    ) -> ShardRef:
        content = b"".join(line + b"\n" for line in _as_bytes(shard.payload))
        uploaded = self.client.json(
            "POST",
            "/files",
            data={"purpose": "batch"},
            files={"file": (f"{batch_id}-{index}.jsonl", content, "application/jsonl")},
        )
        input_file_id = uploaded["id"]
        try:
            batch = self.client.json(
                "POST",
                "/batches",
                json={
                    "input_file_id": input_file_id,
                    "endpoint": ENDPOINT,
                    "completion_window": "24h",
                    "metadata": {"batchbridge_batch_id": batch_id, "batchbridge_shard": str(index)},
                },
            )
        except UpstreamError:
            self._delete_quietly(input_file_id)  # no batch will ever use it
            raise
        return ShardRef(
            index=index,
            provider_batch_id=batch["id"],
            model=shard.model,
            request_count=len(shard.custom_ids),
            data={"input_file_id": input_file_id},
        )

    def refresh_shard(self, shard: ShardRef) -> ShardUpdate:
        batch = self.client.json("GET", f"/batches/{shard.provider_batch_id}")
        status = batch.get("status")
        phase, ending = _PHASES.get(status, ("running", None))
        data = {key: batch[key] for key in _OUTPUT_FILES if batch.get(key)}
        if phase != "ended":
            return ShardUpdate(phase=phase, data=data)
        return ShardUpdate(phase="ended", ending=ending, data=data, fallback=_fallback(ending, batch))

    def cancel_shard(self, shard: ShardRef) -> None:
        self.client.request("POST", f"/batches/{shard.provider_batch_id}/cancel")

    def delete_shard(self, shard: ShardRef) -> None:
        # OpenAI has no batch delete; the files are what holds the data.
        for key in ("input_file_id", *_OUTPUT_FILES):
            file_id = shard.data.get(key)
            if file_id:
                self._delete_quietly(file_id)

    def iter_outcomes(
        self, shard: ShardRef, hints: Mapping[str, dict], custom_ids: Sequence[str] = ()
    ) -> Iterator[Outcome]:
        loads = json.loads
        for key in _OUTPUT_FILES:
            file_id = shard.data.get(key)
            if not file_id:
                continue
            for text in self.client.stream_lines(f"/files/{file_id}/content"):
                try:
                    custom_id, result = result_from_line(loads(text), hints)
                except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
                    # One unreadable line must not block the batch: its request gets the shard's fallback.
                    log_event(
                        "unreadable_output_line", provider="openai", shard=shard.index, error=repr(exc)[:200]
                    )
                    continue
                yield Outcome(custom_id, result)

    # --- files ---------------------------------------------------------------------------------------
    def upload_file(
        self, filename: str, mime_type: str, content: bytes, expires_in_seconds: int | None = None
    ) -> UpstreamFile:
        data = {"purpose": upload_purpose(filename)}
        if expires_in_seconds and expires_in_seconds <= MAX_FILE_EXPIRY_SECONDS:
            # Past OpenAI's 30-day maximum the copy stays: it must not go before the gateway's record does.
            data |= {"expires_after[anchor]": "created_at", "expires_after[seconds]": str(expires_in_seconds)}
        uploaded = self.client.json(
            "POST", "/files", data=data, files={"file": (filename, content, mime_type)}
        )
        return _upstream_file(uploaded, mime_type)

    def get_file(self, provider_file_id: str) -> UpstreamFile:
        return _upstream_file(self.client.json("GET", f"/files/{provider_file_id}"))

    def delete_file(self, provider_file_id: str) -> None:
        self.client.request("DELETE", f"/files/{provider_file_id}")

    def download_file(self, provider_file_id: str) -> bytes | None:
        try:
            return self.client.request("GET", f"/files/{provider_file_id}/content").content
        except UpstreamError as exc:
            if exc.status == 400:  # "Not allowed to download files of purpose: ..."
                return None
            raise

    def _delete_quietly(self, file_id: str) -> None:
        try:
            self.client.request("DELETE", f"/files/{file_id}")
        except UpstreamError as exc:
            if exc.status != 404:
                raise


def upload_purpose(filename: str) -> str:
    """``batch`` for JSONL (OpenAI refuses other formats for it); ``user_data`` for files models read.

    ``user_data`` is the purpose OpenAI documents for file inputs such as PDFs referenced by ``file_id``.
    """
    return "batch" if filename.lower().endswith(".jsonl") else "user_data"


def _as_bytes(payload: list) -> Iterator[bytes]:
    for line in payload:
        yield line if isinstance(line, bytes) else line.encode()


def _fallback(ending: str | None, batch: dict) -> dict:
    """The result for custom_ids of an ended batch that neither output file mentions."""
    if ending == "failed":
        errors = (batch.get("errors") or {}).get("data") or []
        if any(error.get("code") == "token_limit_exceeded" for error in errors):
            # OpenAI's queue for the model was full: the same batch later will go through. Its message names the
            # gateway's OpenAI organization, so it is not passed on.
            return errored_result(
                429,
                "OpenAI's enqueued-token limit for this model was reached; submit these requests again later",
            )
        messages = [_validation_message(error) for error in errors if error.get("message")]
        detail = "; ".join(messages) if messages else "no reason given"
        return errored_result(400, f"OpenAI rejected the batch input: {detail}")
    if ending == "expired":
        return {"type": "expired"}
    if ending == "cancelled":
        return {"type": "canceled"}
    return errored_result(500, "OpenAI finished the batch without an output for this request")


def _validation_message(error: dict) -> str:
    line = error.get("line")
    return f"line {line}: {error['message']}" if line is not None else str(error["message"])


def _upstream_file(obj: dict, mime_type: str | None = None) -> UpstreamFile:
    filename = obj.get("filename") or obj["id"]
    return UpstreamFile(
        provider_file_id=obj["id"],
        filename=filename,
        mime_type=mime_type or _guess_mime_type(filename),
        size_bytes=int(obj.get("bytes") or 0),
        created_at=datetime.fromtimestamp(obj["created_at"], tz=UTC),
        downloadable=obj.get("purpose") not in _UNDOWNLOADABLE_PURPOSES,
    )


def _guess_mime_type(filename: str) -> str:
    # OpenAI keeps no content type; the name is all there is.
    if filename.endswith(".jsonl"):
        return "application/jsonl"
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def build(api_key: str, base_url: str, *, transport=None) -> OpenAIProvider:
    """``base_url`` includes the version path, e.g. https://api.openai.com/v1."""
    return OpenAIProvider(
        UpstreamClient("openai", base_url, {"Authorization": f"Bearer {api_key}"}, transport=transport)
    )

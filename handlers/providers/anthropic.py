"""Anthropic as an upstream: batches and files pass through almost unchanged.

Anthropic takes mixed models in one batch and already speaks the client's shapes, so the only translation is
rewriting gateway file ids in content sources to the Anthropic file ids they were uploaded as.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime

import orjson

from handlers.errors import UpstreamError, invalid_request
from handlers.log import log_event
from handlers.providers.base import FileRef, Outcome, PreparedShard, ShardRef, ShardUpdate, UpstreamFile
from handlers.providers.http import UpstreamClient

API_VERSION = "2023-06-01"
BETAS = "message-batches-2024-09-24,files-api-2025-04-14"

_PHASES = {"in_progress": "running", "canceling": "canceling", "ended": "ended"}


class AnthropicProvider:
    name = "anthropic"
    file_lifetime = None
    inline_file_types = ()
    # Anthropic's own per-batch request limit; larger gateway batches are split into several shards.
    max_requests_per_shard = 100_000

    def __init__(self, client: UpstreamClient) -> None:
        self.client = client

    # --- batches -------------------------------------------------------------------------------------
    def prepare_shards(self, requests: list[dict], files: Mapping[str, FileRef]) -> list[PreparedShard]:
        payload = [
            {"custom_id": r["custom_id"], "params": rewrite_file_ids(r["params"], r["custom_id"], files)}
            for r in requests
        ]
        shards = []
        for start in range(0, len(payload), self.max_requests_per_shard):
            chunk = payload[start : start + self.max_requests_per_shard]
            shards.append(
                PreparedShard(
                    model=None,
                    custom_ids=[r["custom_id"] for r in chunk],
                    payload=chunk,
                    size_bytes=len(json.dumps({"requests": chunk}, separators=(",", ":")).encode()),
                )
            )
        return shards

    def submit_shard(
        self, shard: PreparedShard, *, batch_id: str, index: int, betas: Sequence[str] = ()
    ) -> ShardRef:
        # The client's betas (e.g. context-1m, code execution) apply to every request of the batch upstream.
        headers = {"anthropic-beta": ",".join(dict.fromkeys([*BETAS.split(","), *betas]))} if betas else None
        batch = self.client.json(
            "POST", "/v1/messages/batches", json={"requests": shard.payload}, headers=headers
        )
        return ShardRef(
            index=index,
            provider_batch_id=batch["id"],
            model=None,
            request_count=len(shard.custom_ids),
            data={},
        )

    def refresh_shard(self, shard: ShardRef) -> ShardUpdate:
        batch = self.client.json("GET", f"/v1/messages/batches/{shard.provider_batch_id}")
        phase = _PHASES.get(batch.get("processing_status"), "running")
        if phase != "ended":
            return ShardUpdate(phase=phase)
        cancelled = bool(batch.get("cancel_initiated_at"))
        data = {"results_url": batch["results_url"]} if batch.get("results_url") else {}
        return ShardUpdate(
            phase="ended",
            ending="cancelled" if cancelled else "completed",
            data=data,
            # Anthropic lists every request in its results; this only covers a custom_id it ever leaves out.
            fallback={"type": "canceled"} if cancelled else {"type": "expired"},
        )

    def cancel_shard(self, shard: ShardRef) -> None:
        self.client.request("POST", f"/v1/messages/batches/{shard.provider_batch_id}/cancel")

    def delete_shard(self, shard: ShardRef) -> None:
        try:
            self.client.request("DELETE", f"/v1/messages/batches/{shard.provider_batch_id}")
        except UpstreamError as exc:
            # Already gone, or not ended upstream yet: nothing the gateway's own delete should fail on.
            if exc.status not in (400, 404):
                raise

    def iter_outcomes(
        self, shard: ShardRef, hints: Mapping[str, dict], custom_ids: Sequence[str] = ()
    ) -> Iterator[Outcome]:
        url = shard.data.get("results_url") or f"/v1/messages/batches/{shard.provider_batch_id}/results"
        for line in self.client.stream_lines(url, raw=True):
            try:
                item = orjson.loads(line)
                outcome = Outcome(item["custom_id"], item["result"], line.rstrip())
            except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
                # One unreadable line must not block the batch: its request gets the shard's fallback.
                log_event(
                    "unreadable_output_line", provider="anthropic", shard=shard.index, error=repr(exc)[:200]
                )
                continue
            yield outcome

    # --- files ---------------------------------------------------------------------------------------
    def upload_file(
        self, filename: str, mime_type: str, content: bytes, expires_in_seconds: int | None = None
    ) -> UpstreamFile:
        data = {"expires_in_seconds": str(expires_in_seconds)} if expires_in_seconds else None
        body = self.client.json(
            "POST", "/v1/files", data=data, files={"file": (filename, content, mime_type)}
        )
        return upstream_file(body)

    def get_file(self, provider_file_id: str) -> UpstreamFile:
        return upstream_file(self.client.json("GET", f"/v1/files/{provider_file_id}"))

    def delete_file(self, provider_file_id: str) -> None:
        self.client.request("DELETE", f"/v1/files/{provider_file_id}")

    def download_file(self, provider_file_id: str) -> bytes | None:
        try:
            return self.client.request("GET", f"/v1/files/{provider_file_id}/content").content
        except UpstreamError as exc:
            # Anthropic serves only tool-generated files; user uploads answer 400 "not downloadable".
            if exc.status == 400 and "downloadable" in exc.message:
                return None
            raise


def rewrite_file_ids(params: dict, custom_id: str, files: Mapping[str, FileRef]) -> dict:
    """``params`` with every gateway file reference replaced by its Anthropic file id (input left untouched)."""
    messages = params.get("messages")
    if not isinstance(messages, list):
        return params
    new_messages = [_rewrite_message(m, custom_id, files) for m in messages]
    if all(new is old for new, old in zip(new_messages, messages, strict=True)):
        return params
    return {**params, "messages": new_messages}


def _rewrite_message(message: dict, custom_id: str, files: Mapping[str, FileRef]) -> dict:
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, list):
        return message
    new_content = _rewrite_blocks(content, custom_id, files)
    return message if new_content is content else {**message, "content": new_content}


def _rewrite_blocks(blocks: list, custom_id: str, files: Mapping[str, FileRef]) -> list:
    new_blocks = [_rewrite_block(b, custom_id, files) for b in blocks]
    return blocks if all(n is o for n, o in zip(new_blocks, blocks, strict=True)) else new_blocks


def _rewrite_block(block: object, custom_id: str, files: Mapping[str, FileRef]) -> object:
    if not isinstance(block, dict):
        return block
    source = block.get("source")
    if isinstance(source, dict) and source.get("type") == "file" and "file_id" in source:
        provider_id = _anthropic_file_id(source["file_id"], custom_id, files)
        return {**block, "source": {**source, "file_id": provider_id}}
    if block.get("type") == "container_upload" and "file_id" in block:
        return {**block, "file_id": _anthropic_file_id(block["file_id"], custom_id, files)}
    nested = block.get("content")
    if block.get("type") == "tool_result" and isinstance(nested, list):
        new_nested = _rewrite_blocks(nested, custom_id, files)
        return block if new_nested is nested else {**block, "content": new_nested}
    return block


def _anthropic_file_id(file_id: str, custom_id: str, files: Mapping[str, FileRef]) -> str:
    ref = files.get(file_id)
    if ref is None:
        raise invalid_request(f"requests[{custom_id}]: file {file_id} was not found")
    if ref.provider != "anthropic":
        raise invalid_request(
            f"requests[{custom_id}]: file {file_id} was uploaded with the {ref.provider} provider; "
            "upload it with the anthropic provider (x-model-provider: anthropic) to use it in this batch"
        )
    return ref.provider_file_id


def upstream_file(body: dict) -> UpstreamFile:
    return UpstreamFile(
        provider_file_id=body["id"],
        filename=body["filename"],
        mime_type=body["mime_type"],
        size_bytes=int(body["size_bytes"]),
        created_at=datetime.fromisoformat(body["created_at"]),
        downloadable=bool(body.get("downloadable", False)),
    )


def build(api_key: str, base_url: str) -> AnthropicProvider:
    headers = {"x-api-key": api_key, "anthropic-version": API_VERSION, "anthropic-beta": BETAS}
    return AnthropicProvider(UpstreamClient("anthropic", base_url, headers))

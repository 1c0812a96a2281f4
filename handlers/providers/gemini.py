"""Gemini Developer API provider: batches and files over REST, API version pinned to v1beta (contracts.md C).

One shard per model (Gemini puts the model in the batch URL). A shard goes inline while its create body
stays under the inline limit, otherwise as a JSONL file uploaded through the resumable Files protocol.

A shard is ``canceling`` once the batch service has recorded a cancel: it passes shard refs whose ``data``
carries ``"cancel_requested": "1"``, and refresh reports PENDING/RUNNING shards with that flag as canceling.

Gemini sometimes reports SUCCEEDED before the output is attached to the operation, so such a shard stays
running (for at most ``OUTPUT_GRACE_SECONDS``) until the output appears.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta

import httpx

from handlers.errors import NO_RETRY, UpstreamError
from handlers.providers.base import FileRef, Outcome, PreparedShard, ShardRef, ShardUpdate, UpstreamFile
from handlers.providers.http import UpstreamClient, upstream_message
from handlers.translate import gemini as translate
from handlers.translate.errors import errored_result

API_VERSION = "v1beta"
BATCH_INPUT_MIME = "application/jsonl"

_ENDINGS = {"SUCCEEDED": "completed", "FAILED": "failed", "CANCELLED": "cancelled", "EXPIRED": "expired"}

# ShardRef.data key: epoch seconds at which the shard was first seen SUCCEEDED with no output attached.
NO_OUTPUT_SINCE = "succeeded_without_output_since"
# The start of a responses-file line that is not valid JSON as a whole, to still name its request.
_LEADING_KEY = re.compile(r'\s*\{\s*"key"\s*:\s*("(?:[^"\\]|\\.)*")')


class GeminiUpstreamClient(UpstreamClient):
    """UpstreamClient that reads Gemini's error answers for what they mean rather than their status.

    Gemini answers a missing or expired file with 403 PERMISSION_DENIED ("... or it may not exist") and a
    bad API key with 400 INVALID_ARGUMENT (reason API_KEY_INVALID).
    """

    def raise_for_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if status == 403 and "may not exist" in upstream_message(response).lower():
            message, path = upstream_message(response), _request_path(response)
            if "/files/" in path:
                raise UpstreamError(404, f"{self.provider}: {message}")
            if path.endswith(":batchGenerateContent"):
                # A batch naming a file Gemini no longer has (it deletes files 48 h after upload).
                raise UpstreamError(
                    400,
                    f"{self.provider}: a file the batch references is gone from Gemini (deleted, or past "
                    f"its 48 h lifetime); upload it again: {message}",
                )
        # The gateway's key or the region it runs in: the deployment's problem, not the caller's request.
        if status == 400 and _is_invalid_key(response):
            raise UpstreamError(
                502,
                f"{self.provider} refused the gateway's credentials: {upstream_message(response)}",
                headers=NO_RETRY,
            )
        if status == 400 and "location is not supported" in upstream_message(response).lower():
            raise UpstreamError(
                502,
                f"{self.provider} does not serve the region the gateway runs in: {upstream_message(response)}",
                headers=NO_RETRY,
            )
        super().raise_for_status(response)


def _request_path(response: httpx.Response) -> str:
    try:
        return response.request.url.path
    except RuntimeError:  # a response built without a request
        return ""


def _is_invalid_key(response: httpx.Response) -> bool:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return False
    if not isinstance(error, dict):
        return False
    details = error.get("details")
    if isinstance(details, list):
        for detail in details:
            if isinstance(detail, dict) and detail.get("reason") == "API_KEY_INVALID":
                return True
    return "API key not valid" in str(error.get("message") or "")


def _encode(value) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _resource_path(name: str, collection: str) -> str:
    """``batches/abc`` (or bare ``abc``) → ``/v1beta/batches/abc``."""
    if not name.startswith(collection + "/"):
        name = f"{collection}/{name}"
    return f"/{API_VERSION}/{name}"


def _parse_time(value: str | None) -> datetime:
    # RFC 3339 with up to 9 fractional digits; Python 3.11 keeps microseconds.
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else datetime.fromtimestamp(0, UTC)


def _upstream_file(file: Mapping, fallback_name: str = "") -> UpstreamFile:
    return UpstreamFile(
        provider_file_id=file["name"],
        filename=file.get("displayName") or fallback_name or file["name"],
        mime_type=file.get("mimeType") or "application/octet-stream",
        size_bytes=int(file.get("sizeBytes") or 0),
        created_at=_parse_time(file.get("createTime")),
        downloadable=file.get("source") == "GENERATED",
        uri=file.get("uri"),
    )


class GeminiProvider:
    name = "gemini"
    file_lifetime = timedelta(hours=48)  # Gemini deletes uploaded files 48 h after upload
    inline_file_types = ()
    # Gemini's limit on an inline batch create body; a class attribute so tests can lower it.
    INLINE_LIMIT_BYTES = 20_000_000
    # How long a SUCCEEDED batch may go without output before it ends with the "no output" fallback.
    OUTPUT_GRACE_SECONDS = 15 * 60

    def __init__(self, client: UpstreamClient, *, clock: Callable[[], float] = time.time) -> None:
        self._client = client
        self._clock = clock

    # --- batches -------------------------------------------------------------------------------------
    def prepare_shards(self, requests: list[dict], files: Mapping[str, FileRef]) -> list[PreparedShard]:
        # Translate everything first so a bad request is refused before any upstream call.
        by_model: dict[str, list[tuple[str, dict]]] = {}
        for item in requests:
            custom_id = item["custom_id"]
            params = item["params"]
            request = translate.to_gemini_request(custom_id, params, files)
            by_model.setdefault(translate.canonical_model(params["model"]), []).append((custom_id, request))
        return [
            PreparedShard(
                model=model,
                custom_ids=[custom_id for custom_id, _ in payload],
                payload=payload,
                size_bytes=sum(len(_encode(request)) for _, request in payload),
            )
            for model, payload in by_model.items()
        ]

    def submit_shard(
        self, shard: PreparedShard, *, batch_id: str, index: int, betas: Sequence[str] = ()
    ) -> ShardRef:
        display_name = f"{batch_id}-{index}"
        inline = {
            "batch": {
                "displayName": display_name,
                "inputConfig": {
                    "requests": {
                        "requests": [
                            {"request": request, "metadata": {"key": custom_id}}
                            for custom_id, request in shard.payload
                        ]
                    }
                },
            }
        }
        # The payload alone already over the limit: skip encoding an inline body that cannot be sent.
        body = _encode(inline) if shard.size_bytes < self.INLINE_LIMIT_BYTES else b""
        data: dict[str, str] = {}
        if not body or len(body) >= self.INLINE_LIMIT_BYTES:
            lines = b"".join(_encode({"key": cid, "request": req}) + b"\n" for cid, req in shard.payload)
            uploaded = self._upload(f"{display_name}-input.jsonl", BATCH_INPUT_MIME, lines)
            data["input_file"] = uploaded["name"]
            body = _encode(
                {"batch": {"displayName": display_name, "inputConfig": {"fileName": uploaded["name"]}}}
            )
        try:
            operation = self._client.json(
                "POST",
                f"/{API_VERSION}/{translate.canonical_model(shard.model)}:batchGenerateContent",
                content=body,
                headers={"Content-Type": "application/json"},
            )
        except UpstreamError:
            if "input_file" in data:
                # Best effort: the create failure is what the caller needs to see.
                with contextlib.suppress(UpstreamError):
                    self._delete_quietly(_resource_path(data["input_file"], "files"))
            raise
        return ShardRef(
            index=index,
            provider_batch_id=operation["name"],
            model=shard.model,
            request_count=len(shard.custom_ids),
            data=data,
        )

    def refresh_shard(self, shard: ShardRef) -> ShardUpdate:
        operation = self._client.json("GET", _resource_path(shard.provider_batch_id, "batches"))
        state = translate.batch_state(operation)
        data = {"state": state}
        output_file = translate.responses_file(operation)
        if output_file:
            data["responses_file"] = output_file
        ending = _ENDINGS.get(state)
        if ending == "completed" and not translate.has_output(operation):
            # Gemini can say SUCCEEDED a while before it attaches the output: wait for it, but not forever.
            now = self._clock()
            since = _epoch_seconds(shard.data.get(NO_OUTPUT_SINCE), default=now)
            data[NO_OUTPUT_SINCE] = str(int(since))
            if now - since < self.OUTPUT_GRACE_SECONDS:
                ending = None
        if ending is None:  # PENDING, RUNNING, not yet reported, or SUCCEEDED without output yet
            phase = "canceling" if shard.data.get("cancel_requested") == "1" else "running"
            return ShardUpdate(phase=phase, data=data)
        return ShardUpdate(phase="ended", ending=ending, data=data, fallback=_fallback(state, operation))

    def cancel_shard(self, shard: ShardRef) -> None:
        self._client.request("POST", _resource_path(shard.provider_batch_id, "batches") + ":cancel")

    def delete_shard(self, shard: ShardRef) -> None:
        self._delete_quietly(_resource_path(shard.provider_batch_id, "batches"))
        input_file = shard.data.get("input_file")
        if input_file:
            self._delete_quietly(_resource_path(input_file, "files"))

    def iter_outcomes(
        self, shard: ShardRef, hints: Mapping[str, dict], custom_ids: Sequence[str]
    ) -> Iterator[Outcome]:
        output_file = shard.data.get("responses_file")
        if not output_file:
            # Inline outputs exist only in the GET response, so fetch the finished operation again.
            operation = self._client.json("GET", _resource_path(shard.provider_batch_id, "batches"))
            items = translate.inlined_responses(operation)
            if items is not None:
                yield from self._inline_outcomes(items, shard, hints, custom_ids)
                return
            output_file = translate.responses_file(operation)
            if not output_file:
                return  # no output at all: the shard's fallback covers every request
        for line in self._download_lines(output_file):
            try:
                record = json.loads(line)
            except (ValueError, RecursionError):
                # One broken line must not sink the others: an error for its request if it can be named,
                # otherwise nothing (the shard's fallback covers it).
                key = _leading_key(line)
                if key is not None:
                    yield Outcome(
                        key, errored_result(500, "Gemini returned an output line the gateway could not read")
                    )
                continue
            key = translate.file_line_key(record)
            if key is not None:
                yield Outcome(key, self._result(record, key, hints, shard))

    def _inline_outcomes(
        self, items: list, shard: ShardRef, hints: Mapping[str, dict], custom_ids: Sequence[str]
    ) -> Iterator[Outcome]:
        """Inline items by ``metadata.key``; items Gemini left without one by their position in the input."""
        keys = [translate.inline_item_key(item) for item in items]
        # Position names a keyless item only when the items line up with the input one to one: as many of
        # them as requests, and every key that is present sitting at its own request's position. Otherwise
        # keyless items are skipped (not guessed) and the shard's fallback covers their requests.
        by_position = (
            None in keys
            and len(keys) == len(custom_ids)
            and all(key is None or key == cid for key, cid in zip(keys, custom_ids, strict=True))
        )
        for position, (item, key) in enumerate(zip(items, keys, strict=True)):
            if key is None:
                if not by_position:
                    continue
                key = custom_ids[position]
            yield Outcome(key, self._result(item, key, hints, shard))

    @staticmethod
    def _result(output: Mapping, key: str, hints: Mapping[str, dict], shard: ShardRef) -> dict:
        hint = hints.get(key)
        model = (hint.get("model") if hint else None) or shard.model or ""
        model = model.removeprefix("models/")  # the form Gemini's own modelVersion takes
        # The batch name keeps synthesized ids unique across batches that reuse custom_ids.
        return translate.result_from_output(
            output, custom_id=key, model=model, id_seed=shard.provider_batch_id
        )

    # --- files ---------------------------------------------------------------------------------------
    def upload_file(
        self, filename: str, mime_type: str, content: bytes, expires_in_seconds: int | None = None
    ) -> UpstreamFile:
        # Gemini has no expiry to set: it removes every file itself 48 h after upload.
        return _upstream_file(self._upload(filename, mime_type, content), filename)

    def get_file(self, provider_file_id: str) -> UpstreamFile:
        return _upstream_file(self._client.json("GET", _resource_path(provider_file_id, "files")))

    def delete_file(self, provider_file_id: str) -> None:
        # A missing file is a 404 for the caller to judge: the file service tolerates it for the gateway's own
        # files (Gemini deletes files itself after 48 h); a raw id that never existed must still say so.
        self._client.request("DELETE", _resource_path(provider_file_id, "files"))

    def download_file(self, provider_file_id: str) -> bytes | None:
        file = self._client.json("GET", _resource_path(provider_file_id, "files"))
        if file.get("source") != "GENERATED":
            return None  # Gemini serves only generated files (e.g. batch outputs), never uploads
        suffix = f"{file['name']}:download"
        try:
            return self._client.request(
                "GET", f"/download/{API_VERSION}/{suffix}", params={"alt": "media"}
            ).content
        except UpstreamError as exc:
            if exc.status != 404:
                raise
        return self._client.request("GET", f"/{API_VERSION}/{suffix}", params={"alt": "media"}).content

    # --- helpers -------------------------------------------------------------------------------------
    def _upload(self, display_name: str, mime_type: str, content: bytes) -> dict:
        """Two-step resumable upload (contracts.md C.1); returns the Gemini File resource."""
        start = self._client.request(
            "POST",
            f"/upload/{API_VERSION}/files",
            content=_encode({"file": {"display_name": display_name}}),
            headers={
                "X-Goog-Upload-Protocol": "resumable",
                "X-Goog-Upload-Command": "start",
                "X-Goog-Upload-Header-Content-Length": str(len(content)),
                "X-Goog-Upload-Header-Content-Type": mime_type,
                "Content-Type": "application/json",
            },
        )
        upload_url = start.headers.get("x-goog-upload-url")
        if not upload_url:
            raise UpstreamError(502, "gemini did not return an upload URL for the file upload")
        finished = self._client.json(
            "POST",
            upload_url,
            content=content,
            headers={"X-Goog-Upload-Command": "upload, finalize", "X-Goog-Upload-Offset": "0"},
        )
        file = finished.get("file") if isinstance(finished, dict) else None
        if not file:
            raise UpstreamError(502, "gemini did not return the uploaded file")
        return file

    def _download_lines(self, file_name: str) -> Iterator[str]:
        """Lines of a generated file: the documented /download path first, the SDK's path on 404."""
        suffix = f"{file_name}:download"
        try:
            yield from self._client.stream_lines(f"/download/{API_VERSION}/{suffix}", params={"alt": "media"})
            return
        except UpstreamError as exc:
            if exc.status != 404:
                raise
        # Only reached when the first path answered 404 before yielding anything.
        yield from self._client.stream_lines(f"/{API_VERSION}/{suffix}", params={"alt": "media"})

    def _delete_quietly(self, path: str) -> None:
        try:
            self._client.request("DELETE", path)
        except UpstreamError as exc:
            if exc.status != 404:
                raise


def _epoch_seconds(value: str | None, *, default: float) -> float:
    try:
        return float(value) if value else default
    except ValueError:
        return default


def _leading_key(line: str) -> str | None:
    """The ``key`` a broken responses-file line starts with, when it can be read."""
    match = _LEADING_KEY.match(line)
    if match is None:
        return None
    try:
        return json.loads(match.group(1))
    except ValueError:
        return None


def _fallback(state: str, operation: Mapping) -> dict:
    """The result for custom_ids an ended shard's output never mentions."""
    if state == "EXPIRED":
        return {"type": "expired"}
    if state == "CANCELLED":
        return {"type": "canceled"}
    if state == "FAILED":
        reason = translate.operation_error_message(operation)
        return errored_result(500, f"Gemini batch failed: {reason}" if reason else "Gemini batch failed")
    return errored_result(500, "Gemini returned no output for this request")


def build(
    api_key: str, base_url: str, *, transport=None, clock: Callable[[], float] = time.time
) -> GeminiProvider:
    return GeminiProvider(
        GeminiUpstreamClient("gemini", base_url, {"x-goog-api-key": api_key}, transport=transport),
        clock=clock,
    )

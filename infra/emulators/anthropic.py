"""Emulated Anthropic API (Files beta and Message Batches): in memory, as strict as the real service.

Paths are the real ones (``/v1/files…``, ``/v1/messages/batches…``) at the server root. No background work:
a batch's status is derived from elapsed time at each request (created at t0, ended at t0 + batch_seconds),
unless one of its requests says ``[[hold]]``; a cancelled batch ends shortly after the cancel.
Replies follow the shared deterministic rule so end-to-end tests can assert exact content:
"Reply to: <last user text>", "Tool said: <tool result>", and the ``[[tool]]`` / ``[[error]]`` /
``[[block]]`` / ``[[expire]]`` / ``[[hold]]`` triggers.
"""

from __future__ import annotations

import email.message
import json
import mimetypes
import re
import secrets
import string
import time
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from anthropic.types.beta.beta_content_block_param import BetaContentBlockParam
from anthropic.types.beta.message_create_params import (
    MessageCreateParamsNonStreaming as BetaMessageCreateParamsNonStreaming,
)
from anthropic.types.content_block_param import ContentBlockParam
from anthropic.types.message_create_params import MessageCreateParamsNonStreaming
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

MAX_BATCH_REQUESTS = 100_000
MAX_BATCH_BYTES = 256 * 1024 * 1024
MAX_FILE_BYTES = 500 * 1024 * 1024
CUSTOM_ID_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
# A cancelled batch ends this long after the cancel (never later than it would have ended anyway).
CANCEL_SECONDS = 0.2
BATCH_LIFETIME = timedelta(hours=24)
IMAGE_MEDIA_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}


def _typed_dict_keys(*typed_dicts) -> frozenset[str]:
    return frozenset(k for td in typed_dicts for k in td.__required_keys__ | td.__optional_keys__)


def _union_members(union) -> list:
    if typing.get_origin(union) is typing.Annotated:
        return _union_members(typing.get_args(union)[0])
    if typing.get_origin(union) is typing.Union:
        return [m for arg in typing.get_args(union) for m in _union_members(arg)]
    return [union]


def _type_literals(cls) -> list[str]:
    # Annotations are strings (postponed evaluation); the Literal's value is all we need.
    for klass in cls.__mro__:
        annotation = getattr(klass, "__annotations__", {}).get("type")
        if annotation is not None:
            return re.findall(r"Literal\[\s*[\"']([^\"']+)", str(annotation))
    return []


# What a batch request's params may contain: the SDK's own non-streaming create params (stable and beta,
# since beta features ride the same endpoint); "betas" is an SDK argument sent as a header, never a field.
ALLOWED_PARAMS = _typed_dict_keys(MessageCreateParamsNonStreaming, BetaMessageCreateParamsNonStreaming) - {
    "betas"
}
CONTENT_BLOCK_TYPES = frozenset(
    t
    for m in _union_members(ContentBlockParam) + _union_members(BetaContentBlockParam)
    for t in _type_literals(m)
)

_ID_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str) -> str:
    return prefix + "01" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(22))


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class EmulatorError(Exception):
    def __init__(self, status: int, error_type: str, message: str, details: dict | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.details = details


def invalid(message: str, details: dict | None = None) -> EmulatorError:
    return EmulatorError(400, "invalid_request_error", message, details)


def not_found(message: str) -> EmulatorError:
    return EmulatorError(404, "not_found_error", message)


def error_response(exc: EmulatorError, request_id: str) -> JSONResponse:
    error: dict = {"type": exc.error_type, "message": exc.message}
    if exc.details:
        error["details"] = exc.details
    body = {"type": "error", "error": error, "request_id": request_id}
    return JSONResponse(body, status_code=exc.status, headers={"request-id": request_id})


# --- batch request validation ----------------------------------------------------------------------------


def validate_batch_body(body: object, file_exists: Callable[[str], bool]) -> list[dict]:
    """The requests of a create body, or EmulatorError(400) naming the first offending field."""
    if not isinstance(body, dict):
        raise invalid("body: Input should be an object")
    extra = sorted(set(body) - {"requests"})
    if extra:
        raise invalid(f"{extra[0]}: Extra inputs are not permitted")
    requests = body.get("requests")
    if not isinstance(requests, list):
        raise invalid(
            "requests: Field required" if requests is None else "requests: Input should be a valid list"
        )
    if not requests:
        raise invalid("requests: List should have at least 1 item after validation, not 0")
    if len(requests) > MAX_BATCH_REQUESTS:
        raise invalid(f"requests: List should have at most {MAX_BATCH_REQUESTS} items after validation")
    seen: set[str] = set()
    for index, item in enumerate(requests):
        where = f"requests.{index}"
        if not isinstance(item, dict):
            raise invalid(f"{where}: Input should be an object")
        extra = sorted(set(item) - {"custom_id", "params"})
        if extra:
            raise invalid(f"{where}.{extra[0]}: Extra inputs are not permitted")
        custom_id = item.get("custom_id")
        if not isinstance(custom_id, str) or not CUSTOM_ID_PATTERN.match(custom_id):
            raise invalid(f"{where}.custom_id: String should match pattern '{CUSTOM_ID_PATTERN.pattern}'")
        if custom_id in seen:
            raise invalid(
                f"{where}.custom_id: Duplicate custom_id '{custom_id}'; custom_id values must be unique"
            )
        seen.add(custom_id)
        validate_params(item.get("params"), f"{where}.params", file_exists)
    return requests


def validate_params(params: object, where: str, file_exists: Callable[[str], bool]) -> None:
    if not isinstance(params, dict):
        raise invalid(f"{where}: Field required" if params is None else f"{where}: Input should be an object")
    for key in params:
        if key not in ALLOWED_PARAMS:
            raise invalid(f"{where}.{key}: Extra inputs are not permitted")
    for key in ("model", "max_tokens", "messages"):
        if key not in params:
            raise invalid(f"{where}.{key}: Field required")
    if not isinstance(params["model"], str) or not params["model"]:
        raise invalid(f"{where}.model: Input should be a non-empty string")
    max_tokens = params["max_tokens"]
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 0:
        raise invalid(f"{where}.max_tokens: Input should be a non-negative integer")
    if params.get("stream") not in (None, False):
        raise invalid(f"{where}.stream: Streaming is not supported in batch requests; stream must be false")
    system = params.get("system")
    if system is not None and not isinstance(system, str):
        check_blocks(system, f"{where}.system", file_exists, only={"text"})
    tools = params.get("tools")
    if tools is not None:
        check_tools(tools, f"{where}.tools")
    messages = params["messages"]
    if not isinstance(messages, list) or not messages:
        raise invalid(f"{where}.messages: List should have at least 1 item")
    for index, message in enumerate(messages):
        at = f"{where}.messages.{index}"
        if not isinstance(message, dict):
            raise invalid(f"{at}: Input should be an object")
        if message.get("role") not in ("user", "assistant"):
            raise invalid(f"{at}.role: Input should be 'user' or 'assistant'")
        content = message.get("content")
        if content is None:
            raise invalid(f"{at}.content: Field required")
        if not isinstance(content, str):
            check_blocks(content, f"{at}.content", file_exists)


def check_tools(tools: object, where: str) -> None:
    if not isinstance(tools, list):
        raise invalid(f"{where}: Input should be a valid list")
    for index, tool in enumerate(tools):
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str) or not tool["name"]:
            raise invalid(f"{where}.{index}.name: Field required")
        # Custom (client) tools need a schema; server tools are identified by their versioned type instead.
        if tool.get("type") in (None, "custom") and not isinstance(tool.get("input_schema"), dict):
            raise invalid(f"{where}.{index}.input_schema: Field required")


def check_blocks(
    blocks: object, where: str, file_exists: Callable[[str], bool], only: set | None = None
) -> None:
    if not isinstance(blocks, list):
        raise invalid(f"{where}: Input should be a valid list")
    for index, block in enumerate(blocks):
        check_block(block, f"{where}.{index}", file_exists, only)


def check_block(block: object, where: str, file_exists: Callable[[str], bool], only: set | None) -> None:
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        raise invalid(f"{where}.type: Field required")
    kind = block["type"]
    allowed = only or CONTENT_BLOCK_TYPES
    if kind not in allowed:
        raise invalid(
            f"{where}.type: Input tag '{kind}' found using 'type' does not match any of the expected tags"
        )
    if kind == "text":
        if not isinstance(block.get("text"), str) or not block["text"]:
            raise invalid(f"{where}.text: text content blocks must be non-empty")
    elif kind in ("image", "document"):
        check_source(block.get("source"), f"{where}.source", kind, file_exists)
    elif kind == "tool_use":
        if not isinstance(block.get("id"), str) or not isinstance(block.get("name"), str):
            raise invalid(f"{where}: tool_use blocks need string 'id' and 'name'")
        if not isinstance(block.get("input"), dict):
            raise invalid(f"{where}.input: Input should be an object")
    elif kind == "tool_result":
        if not isinstance(block.get("tool_use_id"), str):
            raise invalid(f"{where}.tool_use_id: Field required")
        content = block.get("content")
        if content is not None and not isinstance(content, str):
            check_blocks(
                content, f"{where}.content", file_exists, only={"text", "image", "document", "search_result"}
            )
    elif kind == "container_upload":
        check_file_id(block.get("file_id"), f"{where}.file_id", file_exists)


def check_source(source: object, where: str, kind: str, file_exists: Callable[[str], bool]) -> None:
    if not isinstance(source, dict):
        raise invalid(f"{where}: Field required")
    source_type = source.get("type")
    if source_type == "file":
        check_file_id(source.get("file_id"), f"{where}.file_id", file_exists)
    elif source_type == "url":
        if not isinstance(source.get("url"), str):
            raise invalid(f"{where}.url: Field required")
    elif source_type == "base64":
        expected = IMAGE_MEDIA_TYPES if kind == "image" else {"application/pdf"}
        if source.get("media_type") not in expected:
            raise invalid(f"{where}.media_type: Input should be one of {', '.join(sorted(expected))}")
        if not isinstance(source.get("data"), str):
            raise invalid(f"{where}.data: Field required")
    elif kind == "document" and source_type == "text":
        if source.get("media_type") != "text/plain" or not isinstance(source.get("data"), str):
            raise invalid(f"{where}: text sources need media_type 'text/plain' and string data")
    elif kind == "document" and source_type == "content":
        if not isinstance(source.get("content"), str | list):
            raise invalid(f"{where}.content: Field required")
    else:
        raise invalid(f"{where}.type: Input tag '{source_type}' does not match any of the expected tags")


def check_file_id(file_id: object, where: str, file_exists: Callable[[str], bool]) -> None:
    if not isinstance(file_id, str) or not file_exists(file_id):
        raise invalid(f"{where}: File not found: {file_id}")


# --- deterministic replies -----------------------------------------------------------------------------


def as_blocks(content: object) -> list[dict]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def tool_result_text(block: dict) -> str:
    return " ".join(b["text"] for b in as_blocks(block.get("content")) if b.get("type") == "text")


def input_words(params: dict) -> int:
    """Words of all input text: system, text blocks and tool results."""
    texts = [b["text"] for b in as_blocks(params.get("system")) if b.get("type") == "text"]
    for message in params["messages"]:
        for block in as_blocks(message.get("content")):
            if block.get("type") == "text":
                texts.append(block["text"])
            elif block.get("type") == "tool_result":
                texts.append(tool_result_text(block))
    return sum(len(t.split()) for t in texts)


def last_user_blocks(params: dict) -> list[dict]:
    for message in reversed(params["messages"]):
        if message.get("role") == "user":
            return as_blocks(message.get("content"))
    return []


def has_hold(params: dict) -> bool:
    return "[[hold]]" in last_user_text(last_user_blocks(params))


def last_user_text(blocks: list[dict]) -> str:
    return " ".join(b["text"] for b in blocks if b.get("type") == "text")


def make_message(params: dict, content: list[dict], stop_reason: str, output_tokens: int) -> dict:
    return {
        "id": new_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": params["model"],
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": input_words(params),
            "output_tokens": output_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
            "server_tool_use": None,
            "service_tier": "batch",
        },
    }


def reply_result(params: dict, tool_use_id: str) -> dict:
    """The batch result for one (not held) request, by the shared deterministic rule.

    ``tool_use_id`` is "toolu_<position of the request in the batch>", like the OpenAI emulator's call ids.
    """
    blocks = last_user_blocks(params)
    text = last_user_text(blocks)
    if "[[expire]]" in text:
        return {"type": "expired"}
    if "[[error]]" in text:
        message = "Emulated invalid request: the last user message asked for [[error]]"
        error = {"type": "invalid_request_error", "message": message}
        return {"type": "errored", "error": {"type": "error", "error": error, "request_id": new_id("req_")}}
    if "[[block]]" in text:
        return {"type": "succeeded", "message": make_message(params, [], "refusal", 0)}
    tools = params.get("tools") or []
    if tools and "[[tool]]" in text:
        call_input = {"query": "value"}
        call = {"type": "tool_use", "id": tool_use_id, "name": tools[0]["name"], "input": call_input}
        return {
            "type": "succeeded",
            "message": make_message(params, [call], "tool_use", len(json.dumps(call_input).split())),
        }
    tool_results = [b for b in blocks if b.get("type") == "tool_result"]
    reply = "Tool said: " + tool_result_text(tool_results[-1]) if tool_results else "Reply to: " + text
    content = [{"type": "text", "text": reply}]
    return {"type": "succeeded", "message": make_message(params, content, "end_turn", len(reply.split()))}


# --- state ---------------------------------------------------------------------------------------------


@dataclass
class StoredFile:
    id: str
    filename: str
    mime_type: str
    size_bytes: int
    created_at: datetime
    expires_at: datetime | None = None

    def to_json(self) -> dict:
        body = {
            "id": self.id,
            "type": "file",
            "filename": self.filename,
            "mime_type": self.mime_type,
            "size_bytes": self.size_bytes,
            "created_at": rfc3339(self.created_at),
            "downloadable": False,
        }
        if self.expires_at is not None:
            body["expires_at"] = rfc3339(self.expires_at)
        return body


@dataclass
class StoredBatch:
    id: str
    requests: list[dict]
    created_at: datetime
    started: float  # monotonic clock
    held: bool
    cancel_at: float | None = None
    cancel_initiated_at: datetime | None = None
    results: list[dict] | None = None  # computed once, when the batch has ended


class Emulator:
    def __init__(
        self, api_key: str, batch_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.api_key = api_key
        self.batch_seconds = batch_seconds
        self.clock = clock
        self.files: dict[str, StoredFile] = {}
        self.batches: dict[str, StoredBatch] = {}
        # Creation order of every id ever issued, so a cursor survives the deletion of its item.
        self.sequence: dict[str, int] = {}

    def remember(self, object_id: str) -> None:
        self.sequence[object_id] = len(self.sequence)

    # --- batch lifecycle -------------------------------------------------------------------------------
    def ends_at(self, batch: StoredBatch) -> float:
        end = float("inf") if batch.held else batch.started + self.batch_seconds
        if batch.cancel_at is not None:
            end = min(end, batch.cancel_at + min(CANCEL_SECONDS, self.batch_seconds))
        return end

    def status(self, batch: StoredBatch) -> str:
        if self.clock() >= self.ends_at(batch):
            return "ended"
        return "canceling" if batch.cancel_at is not None else "in_progress"

    def results_of(self, batch: StoredBatch) -> list[dict]:
        if batch.results is None:
            lines = []
            for position, item in enumerate(batch.requests, start=1):
                params = item["params"]
                # A held request is only seen here once its batch was cancelled: it never ran.
                result = (
                    {"type": "canceled"} if has_hold(params) else reply_result(params, f"toolu_{position}")
                )
                lines.append({"custom_id": item["custom_id"], "result": result})
            # Real results come in no particular order; reversing makes callers match by custom_id.
            batch.results = lines[::-1]
        return batch.results

    def batch_json(self, batch: StoredBatch, base_url: str) -> dict:
        status = self.status(batch)
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        ended_at = results_url = None
        if status == "ended":
            for line in self.results_of(batch):
                counts[line["result"]["type"]] += 1
            ended_at = rfc3339(batch.created_at + timedelta(seconds=self.ends_at(batch) - batch.started))
            results_url = f"{base_url}v1/messages/batches/{batch.id}/results"
        else:
            counts["processing"] = len(batch.requests)
        return {
            "id": batch.id,
            "type": "message_batch",
            "processing_status": status,
            "request_counts": counts,
            "ended_at": ended_at,
            "created_at": rfc3339(batch.created_at),
            "expires_at": rfc3339(batch.created_at + BATCH_LIFETIME),
            "archived_at": None,
            "cancel_initiated_at": rfc3339(batch.cancel_initiated_at) if batch.cancel_initiated_at else None,
            "results_url": results_url,
        }


# --- HTTP helpers --------------------------------------------------------------------------------------


def page_of(ids: list[str], sequence: dict[str, int], query, limit: int) -> tuple[list[str], bool]:
    """One page of ``ids`` (newest first) for after_id / before_id cursors; returns (page, has_more)."""
    after_id, before_id = query.get("after_id"), query.get("before_id")
    if after_id and before_id:
        raise invalid("Only one of after_id and before_id may be given")
    cursor = after_id or before_id
    if cursor is None:
        return ids[:limit], len(ids) > limit
    if cursor not in sequence:
        raise invalid(f"{'after_id' if after_id else 'before_id'}: unknown id '{cursor}'")
    position = sequence[cursor]
    if after_id:  # older than the cursor
        rest = [i for i in ids if sequence[i] < position]
        return rest[:limit], len(rest) > limit
    newer = [i for i in ids if sequence[i] > position]
    return newer[-limit:], len(newer) > limit


def parse_limit(query) -> int:
    raw = query.get("limit", "20")
    try:
        limit = int(raw)
    except ValueError:
        raise invalid("limit: Input should be a valid integer") from None
    if not 1 <= limit <= 1000:
        raise invalid("limit: Input should be between 1 and 1000")
    return limit


def parse_multipart(content_type: str, body: bytes) -> list[tuple[dict[str, str], bytes]]:
    """Split a multipart/form-data body exactly (binary-safe, parts with or without a filename)."""
    header = email.message.Message()
    header["content-type"] = content_type
    if header.get_content_type() != "multipart/form-data" or not header.get_param("boundary"):
        raise invalid("Expected a multipart/form-data body with a boundary")
    delimiter = b"--" + str(header.get_param("boundary")).encode()
    chunks = body.split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise invalid("Malformed multipart body")
    parts = []
    for chunk in chunks[1:-1]:
        raw_headers, separator, data = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not separator:
            raise invalid("Malformed multipart part")
        headers = {}
        for line in raw_headers.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        parts.append((headers, data.removesuffix(b"\r\n")))
    return parts


def disposition_params(value: str) -> tuple[str | None, str | None]:
    header = email.message.Message()
    header["content-disposition"] = value
    name = header.get_param("name", header="content-disposition")
    return (str(name) if name is not None else None), header.get_filename()


# --- app -----------------------------------------------------------------------------------------------


def create_app(api_key: str = "emulator-key", *, batch_seconds: float = 1.0) -> Starlette:
    """ASGI app emulating the Anthropic API for one key; state lives as long as the app."""
    emu = Emulator(api_key, batch_seconds)

    def authorize(request: Request) -> None:
        key = request.headers.get("x-api-key")
        bearer = request.headers.get("authorization", "")
        if key is None and bearer.lower().startswith("bearer "):
            key = bearer[7:].strip()
        if key is None:
            raise EmulatorError(401, "authentication_error", "x-api-key header is required")
        if key != emu.api_key:
            raise EmulatorError(401, "authentication_error", "invalid x-api-key")
        if not request.headers.get("anthropic-version"):
            raise invalid("anthropic-version: header is required")

    def endpoint(handler) -> Callable:
        async def run(request: Request) -> Response:
            request_id = new_id("req_")
            try:
                authorize(request)
                response = await handler(request)
            except EmulatorError as exc:
                return error_response(exc, request_id)
            response.headers["request-id"] = request_id
            return response

        return run

    def get_batch(request: Request) -> StoredBatch:
        batch_id = request.path_params["batch_id"]
        batch = emu.batches.get(batch_id)
        if batch is None:
            raise not_found(f"Message batch not found: {batch_id}")
        return batch

    def get_file(request: Request) -> StoredFile:
        file_id = request.path_params["file_id"]
        stored = emu.files.get(file_id)
        if stored is None:
            raise not_found(f"File not found: {file_id}")
        return stored

    async def read_json(request: Request) -> object:
        body = await request.body()
        if len(body) > MAX_BATCH_BYTES:
            raise EmulatorError(
                413, "request_too_large", f"Request exceeds the maximum size of {MAX_BATCH_BYTES} bytes"
            )
        try:
            return json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise invalid("There was an issue with the request body: invalid JSON") from None

    # --- batches ---------------------------------------------------------------------------------------
    async def create_batch(request: Request) -> Response:
        requests = validate_batch_body(await read_json(request), lambda fid: fid in emu.files)
        batch = StoredBatch(
            id=new_id("msgbatch_"),
            requests=requests,
            created_at=datetime.now(UTC),
            started=emu.clock(),
            held=any(has_hold(item["params"]) for item in requests),
        )
        emu.batches[batch.id] = batch
        emu.remember(batch.id)
        return JSONResponse(emu.batch_json(batch, str(request.base_url)))

    async def list_batches(request: Request) -> Response:
        limit = parse_limit(request.query_params)
        newest_first = list(reversed(emu.batches))
        ids, has_more = page_of(newest_first, emu.sequence, request.query_params, limit)
        base = str(request.base_url)
        return JSONResponse(
            {
                "data": [emu.batch_json(emu.batches[i], base) for i in ids],
                "has_more": has_more,
                "first_id": ids[0] if ids else None,
                "last_id": ids[-1] if ids else None,
            }
        )

    async def retrieve_batch(request: Request) -> Response:
        return JSONResponse(emu.batch_json(get_batch(request), str(request.base_url)))

    async def cancel_batch(request: Request) -> Response:
        batch = get_batch(request)
        if batch.cancel_at is None and emu.status(batch) != "ended":
            batch.cancel_at = emu.clock()
            batch.cancel_initiated_at = datetime.now(UTC)
        return JSONResponse(emu.batch_json(batch, str(request.base_url)))

    async def delete_batch(request: Request) -> Response:
        batch = get_batch(request)
        if emu.status(batch) != "ended":
            raise invalid(
                f"Message batch {batch.id} cannot be deleted while it is processing; cancel it first "
                "and delete it once it has ended"
            )
        del emu.batches[batch.id]
        return JSONResponse({"id": batch.id, "type": "message_batch_deleted"})

    async def batch_results(request: Request) -> Response:
        batch = get_batch(request)
        if emu.status(batch) != "ended":
            raise invalid(
                f"Message batch {batch.id} has not ended yet; results are available once it has ended"
            )
        lines = emu.results_of(batch)

        def jsonl() -> Iterable[bytes]:
            for line in lines:
                yield (json.dumps(line, separators=(",", ":")) + "\n").encode()

        return StreamingResponse(jsonl(), media_type="application/x-jsonl")

    # --- files -----------------------------------------------------------------------------------------
    async def upload_file(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_FILE_BYTES:
            raise EmulatorError(
                413, "request_too_large", f"File exceeds the maximum size of {MAX_FILE_BYTES} bytes"
            )
        parts = parse_multipart(request.headers.get("content-type", ""), body)
        file_part = None
        expires_in = None
        for headers, data in parts:
            name, filename = disposition_params(headers.get("content-disposition", ""))
            if name == "file" and file_part is None:
                file_part = (headers, filename, data)
            elif name == "expires_in_seconds":
                expires_in = data.decode("utf-8", "replace").strip()
        if file_part is None:
            raise invalid("file: Field required")
        headers, filename, data = file_part
        mime_type = headers.get("content-type", "").split(";")[0].strip()
        if not mime_type:
            mime_type = (filename and mimetypes.guess_type(filename)[0]) or "application/octet-stream"
        if not filename:
            # What 2.x SDKs get when they send bytes without a name (see contracts A.1.1).
            filename = "unnamed" + (mimetypes.guess_extension(mime_type) or "")
        created_at = datetime.now(UTC)
        expires_at = None
        if expires_in is not None:
            if not expires_in.isdigit() or not 3600 <= int(expires_in) <= 7_776_000:
                raise invalid("expires_in_seconds: Input should be an integer between 3600 and 7776000")
            expires_at = created_at + timedelta(seconds=int(expires_in))
        stored = StoredFile(new_id("file_"), filename, mime_type, len(data), created_at, expires_at)
        emu.files[stored.id] = stored
        emu.remember(stored.id)
        return JSONResponse(stored.to_json())

    async def list_files(request: Request) -> Response:
        query = dict(request.query_params)
        limit = parse_limit(query)
        page = query.pop("page", None)
        if page is not None:
            if not page.startswith("page_"):
                raise invalid("page: invalid page token")
            query["after_id"] = page.removeprefix("page_")
        newest_first = list(reversed(emu.files))
        ids, has_more = page_of(newest_first, emu.sequence, query, limit)
        # The cursor style continues forward (older files) from the last item, whatever the request's direction.
        more_after = bool(ids) and any(emu.sequence[i] < emu.sequence[ids[-1]] for i in newest_first)
        return JSONResponse(
            {
                "data": [emu.files[i].to_json() for i in ids],
                "has_more": has_more,
                "first_id": ids[0] if ids else None,
                "last_id": ids[-1] if ids else None,
                "next_page": f"page_{ids[-1]}" if more_after else None,
            }
        )

    async def retrieve_file(request: Request) -> Response:
        return JSONResponse(get_file(request).to_json())

    async def download_file(request: Request) -> Response:
        stored = get_file(request)
        # Only files produced by tools are downloadable; everything uploaded here is a user upload.
        raise invalid(
            f"File {stored.id} is not downloadable: only files created by tools can be downloaded",
            details={"error_code": "file_not_downloadable"},
        )

    async def delete_file(request: Request) -> Response:
        stored = get_file(request)
        del emu.files[stored.id]
        return JSONResponse({"id": stored.id, "type": "file_deleted"})

    async def routing_error(request: Request, exc: HTTPException) -> Response:
        error_type = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
        message = "Not found" if exc.status_code == 404 else str(exc.detail)
        return error_response(EmulatorError(exc.status_code, error_type, message), new_id("req_"))

    routes = [
        Route("/v1/messages/batches", endpoint(create_batch), methods=["POST"]),
        Route("/v1/messages/batches", endpoint(list_batches), methods=["GET"]),
        Route("/v1/messages/batches/{batch_id}", endpoint(retrieve_batch), methods=["GET"]),
        Route("/v1/messages/batches/{batch_id}", endpoint(delete_batch), methods=["DELETE"]),
        Route("/v1/messages/batches/{batch_id}/cancel", endpoint(cancel_batch), methods=["POST"]),
        Route("/v1/messages/batches/{batch_id}/results", endpoint(batch_results), methods=["GET"]),
        Route("/v1/files", endpoint(upload_file), methods=["POST"]),
        Route("/v1/files", endpoint(list_files), methods=["GET"]),
        Route("/v1/files/{file_id}", endpoint(retrieve_file), methods=["GET"]),
        Route("/v1/files/{file_id}", endpoint(delete_file), methods=["DELETE"]),
        Route("/v1/files/{file_id}/content", endpoint(download_file), methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: routing_error})
    app.state.emulator = emu  # lets tests inspect or steer the in-memory state
    return app

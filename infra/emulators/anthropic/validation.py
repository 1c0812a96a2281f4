"""Validation of a create-batch body, naming the first offending field as the real API does."""

from __future__ import annotations

import re
from collections.abc import Callable

from infra.emulators.anthropic.errors import invalid
from infra.emulators.anthropic.sdk_params import ALLOWED_PARAMS, CONTENT_BLOCK_TYPES

MAX_BATCH_REQUESTS = 100_000
CUSTOM_ID_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
IMAGE_MEDIA_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}


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
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise invalid(f"{where}.max_tokens: Input should be greater than or equal to 1")
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

"""Validation of a Chat Completions ``messages`` array: roles, content parts, tool calls and their answers."""

from __future__ import annotations

from typing import Any

from infra.emulators.openai.errors import LineError
from infra.emulators.openai.field_checks import (
    expect_keys,
    expect_kind,
    expect_non_empty_list,
    expect_type,
    require,
)

_CACHE = "prompt_cache_breakpoint"
_PART_KEYS = {
    "text": {"type", "text", _CACHE},
    "image_url": {"type", "image_url", _CACHE},
    "file": {"type", "file", _CACHE},
    "input_audio": {"type", "input_audio", _CACHE},
    "refusal": {"type", "refusal"},
}
_MESSAGE_KEYS = {
    "system": {"role", "content", "name"},
    "developer": {"role", "content", "name"},
    "user": {"role", "content", "name"},
    "assistant": {"role", "content", "name", "tool_calls", "refusal", "audio", "function_call"},
    "tool": {"role", "content", "tool_call_id"},
}
_PARTS_BY_ROLE = {
    "system": ("text",),
    "developer": ("text",),
    "tool": ("text",),
    "user": ("text", "image_url", "file", "input_audio"),
    "assistant": ("text", "refusal"),
}


def _check_image_url(part: dict, param: str) -> None:
    image = require(part, "image_url", param)
    expect_type(image, (dict,), f"{param}.image_url", "an object")
    expect_keys(image, {"url", "detail"}, f"{param}.image_url")
    url = require(image, "url", f"{param}.image_url")
    expect_type(url, (str,), f"{param}.image_url.url", "a string")
    if not url.startswith(("http://", "https://", "data:image/")):
        raise LineError(
            "invalid_request",
            "Invalid image URL: expected an http(s) URL or a base64 data URL.",
            f"{param}.image_url.url",
        )
    if "detail" in image and image["detail"] not in ("auto", "low", "high", "original"):
        raise LineError(
            "invalid_request", f"Invalid value: '{image['detail']}'.", f"{param}.image_url.detail"
        )


def _check_file(part: dict, param: str) -> None:
    file = require(part, "file", param)
    expect_type(file, (dict,), f"{param}.file", "an object")
    expect_keys(file, {"file_data", "file_id", "filename"}, f"{param}.file")
    if "file_data" not in file and "file_id" not in file:
        raise LineError(
            "invalid_request",
            f"Invalid '{param}.file': expected either 'file_data' or 'file_id'.",
            f"{param}.file",
        )
    for key in ("file_data", "file_id", "filename"):
        if key in file:
            expect_type(file[key], (str,), f"{param}.file.{key}", "a string")
    if "file_data" in file and not (
        file["file_data"].startswith("data:") and ";base64," in file["file_data"]
    ):
        raise LineError(
            "invalid_request",
            "Invalid file data: expected a base64 data URL ('data:<mime type>;base64,<data>').",
            f"{param}.file.file_data",
        )
    if "file_data" in file and not file["file_data"].startswith("data:application/pdf;"):
        # Chat Completions reads PDF files only (file-inputs guide).
        raise LineError(
            "invalid_request",
            "Invalid file data: only PDF files are supported as file content parts.",
            f"{param}.file.file_data",
        )


def _check_input_audio(part: dict, param: str) -> None:
    audio = require(part, "input_audio", param)
    expect_type(audio, (dict,), f"{param}.input_audio", "an object")
    expect_keys(audio, {"data", "format"}, f"{param}.input_audio")
    expect_type(
        require(audio, "data", f"{param}.input_audio"), (str,), f"{param}.input_audio.data", "a string"
    )
    if require(audio, "format", f"{param}.input_audio") not in ("wav", "mp3"):
        raise LineError("invalid_request", "Invalid value for 'format'.", f"{param}.input_audio.format")


def _check_part(part: Any, allowed_types: tuple[str, ...], param: str) -> None:
    expect_type(part, (dict,), param, "an object")
    kind = require(part, "type", param)
    if kind not in allowed_types:
        choices = ", ".join(f"'{t}'" for t in allowed_types)
        raise LineError(
            "invalid_request", f"Invalid value: '{kind}'. Supported values are: {choices}.", f"{param}.type"
        )
    expect_keys(part, _PART_KEYS[kind], param)
    if kind in ("text", "refusal"):
        expect_type(require(part, kind, param), (str,), f"{param}.{kind}", "a string")
    elif kind == "image_url":
        _check_image_url(part, param)
    elif kind == "file":
        _check_file(part, param)
    else:
        _check_input_audio(part, param)


def _check_content(content: Any, role: str, param: str) -> None:
    if isinstance(content, str):
        return
    expect_type(content, (str, list), param, "a string or an array")
    for index, part in enumerate(expect_non_empty_list(content, param)):
        _check_part(part, _PARTS_BY_ROLE[role], f"{param}[{index}]")


def _check_tool_call(call: Any, param: str) -> str:
    expect_type(call, (dict,), param, "an object")
    call_id = require(call, "id", param)
    expect_type(call_id, (str,), f"{param}.id", "a string")
    if len(call_id) > 40:
        raise LineError(
            "invalid_request",
            f"Invalid '{param}.id': string too long. Expected a string with maximum length 40, "
            f"but got a string with length {len(call_id)} instead.",
            f"{param}.id",
        )
    kind = require(call, "type", param)
    expect_kind(kind, param)
    expect_keys(call, {"id", "type", kind}, param)
    inner = require(call, kind, param)
    expect_type(inner, (dict,), f"{param}.{kind}", "an object")
    fields = ("name", "arguments") if kind == "function" else ("name", "input")
    expect_keys(inner, set(fields), f"{param}.{kind}")
    for key in fields:
        expect_type(require(inner, key, f"{param}.{kind}"), (str,), f"{param}.{kind}.{key}", "a string")
    return call_id


def _check_message(message: Any, param: str) -> list[str]:
    """Validate one message; returns the ids of its tool calls (assistant only)."""
    expect_type(message, (dict,), param, "an object")
    role = require(message, "role", param)
    if role not in _MESSAGE_KEYS:
        raise LineError(
            "invalid_request",
            f"Invalid value: '{role}'. Supported values are: 'system', 'developer', 'user', 'assistant', and 'tool'.",
            f"{param}.role",
        )
    expect_keys(message, _MESSAGE_KEYS[role], param)
    if "name" in message:
        expect_type(message["name"], (str,), f"{param}.name", "a string")
    call_ids: list[str] = []
    if role == "assistant":
        if "tool_calls" in message:
            calls = expect_non_empty_list(message["tool_calls"], f"{param}.tool_calls")
            call_ids = [_check_tool_call(call, f"{param}.tool_calls[{i}]") for i, call in enumerate(calls)]
        content = message.get("content")
        if content is None:
            if not call_ids and message.get("function_call") is None and message.get("audio") is None:
                raise LineError(
                    "invalid_request",
                    f"Invalid value for '{param}.content': expected a string, got null.",
                    f"{param}.content",
                )
        else:
            _check_content(content, role, f"{param}.content")
    else:
        _check_content(require(message, "content", param), role, f"{param}.content")
    if role == "tool":
        expect_type(require(message, "tool_call_id", param), (str,), f"{param}.tool_call_id", "a string")
    return call_ids


def check_messages(messages: Any) -> None:
    # The real API pairs tool messages with the assistant tool_calls right before them, both ways.
    answerable: set[str] = set()
    unanswered: list[str] = []
    opened_at = 0
    for index, message in enumerate(expect_non_empty_list(messages, "body.messages")):
        param = f"body.messages[{index}]"
        call_ids = _check_message(message, param)
        if message["role"] == "tool":
            if message["tool_call_id"] not in answerable:
                raise LineError(
                    "invalid_request",
                    "Invalid parameter: messages with role 'tool' must be a response to a preceeding "
                    "message with 'tool_calls'.",
                    f"{param}.role",
                )
            if message["tool_call_id"] in unanswered:
                unanswered.remove(message["tool_call_id"])
            continue
        _raise_if_unanswered(unanswered, opened_at)
        answerable, unanswered, opened_at = set(call_ids), list(call_ids), index
    _raise_if_unanswered(unanswered, opened_at)


def _raise_if_unanswered(unanswered: list[str], index: int) -> None:
    if unanswered:
        raise LineError(
            "invalid_request",
            "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
            f"'tool_call_id'. The following tool_call_ids did not have response messages: {', '.join(unanswered)}",
            f"body.messages[{index}].role",
        )

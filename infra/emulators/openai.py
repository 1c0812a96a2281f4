"""An in-memory OpenAI Files + Batches API (``/v1``) for local runs and tests.

``create_app(api_key, batch_seconds=...)`` returns an ASGI app. No background threads: a batch's status is
derived from the time elapsed since it was created (validating → in_progress → finalizing → completed over
``batch_seconds``), and its output/error files are written the first time it is seen finished.

Strictness follows the real API where it is known: Bearer auth, the ``{"error": {message, type, param,
code}}`` envelope, the create-batch enums and metadata limits, and a ``validating`` phase that checks every
input line (JSON, custom_id, method, url, one model per file, Chat Completions body and message shapes).
Replies follow the shared deterministic rule (``"Reply to: <last user text>"``, ``[[tool]]``, ``[[error]]``,
``[[block]]``, ``[[expire]]``, ``[[hold]]``) so end-to-end tests can assert exact content.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import secrets
import string
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

BATCH_ENDPOINTS = (
    "/v1/responses",
    "/v1/chat/completions",
    "/v1/embeddings",
    "/v1/completions",
    "/v1/moderations",
    "/v1/images/generations",
    "/v1/images/edits",
    "/v1/videos",
)
EMULATED_ENDPOINT = "/v1/chat/completions"
UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
# OpenAI serves the content of batch, batch_output, user_data, fine-tune... files, but answers 400 "Not allowed
# to download files of purpose: assistants" for assistants uploads (a long-standing, widely reported limit;
# the SDK's files.content has no purpose restriction of its own).
UNDOWNLOADABLE_PURPOSES = ("assistants",)

# Top-level Chat Completions params (openai/types/chat/completion_create_params.py, plus ``stream``).
CHAT_PARAMS = frozenset(
    {
        "audio", "frequency_penalty", "function_call", "functions", "logit_bias", "logprobs",
        "max_completion_tokens", "max_tokens", "messages", "metadata", "modalities", "model", "moderation",
        "n", "parallel_tool_calls", "prediction", "presence_penalty", "prompt_cache_key",
        "prompt_cache_options", "prompt_cache_retention", "reasoning_effort", "response_format",
        "safety_identifier", "seed", "service_tier", "stop", "store", "stream", "stream_options",
        "temperature", "tool_choice", "tools", "top_logprobs", "top_p", "user", "verbosity",
        "web_search_options",
    }
)  # fmt: skip

MAX_BATCH_LINES = 50_000
MAX_BATCH_FILE_BYTES = 200 * 1024 * 1024
MAX_STOP_SEQUENCES = 4
MAX_METADATA_PAIRS, MAX_METADATA_KEY, MAX_METADATA_VALUE = 16, 64, 512
EXPIRES_MIN_SECONDS, EXPIRES_MAX_SECONDS = 3600, 2_592_000
BATCH_FILE_TTL_SECONDS = 30 * 24 * 3600
COMPLETION_WINDOW_SECONDS = 24 * 3600

# Fractions of ``batch_seconds``: validating ends, finalizing starts; cancelling lasts CANCEL_SHARE.
VALIDATING_SHARE, FINALIZING_SHARE, CANCEL_SHARE = 0.2, 0.8, 0.2

EXPIRED_MESSAGE = "This request could not be executed before the completion window expired."
CANCELLED_MESSAGE = "This request was not executed because the batch was cancelled."

_ID_ALPHABET = string.ascii_letters + string.digits
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


# ---------------------------------------------------------------------------------------------- errors


class OpenAIError(Exception):
    """An error answered in OpenAI's envelope."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.error_type, self.param, self.code = (
            status,
            message,
            error_type,
            param,
            code,
        )

    def body(self) -> dict:
        return {
            "error": {
                "message": self.message,
                "type": self.error_type,
                "param": self.param,
                "code": self.code,
            }
        }


def _bad_request(message: str, param: str | None = None, code: str | None = None) -> OpenAIError:
    return OpenAIError(400, message, param=param, code=code)


class LineError(Exception):
    """One input line failed validation; becomes an entry of the batch's ``errors.data``."""

    def __init__(self, code: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.param = code, message, param


# ------------------------------------------------------------------------------------------- utilities


def _random_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def _request_id() -> str:
    return "req_" + secrets.token_hex(16)


def _words(text: str) -> int:
    return len(text.split())


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return {str: "string", int: "integer", float: "decimal", list: "array", dict: "object"}.get(
        type(value), "value"
    )


def _expect_type(value: Any, kinds: tuple[type, ...], param: str, expected: str) -> None:
    # bool is an int in Python but not in JSON Schema.
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        raise LineError(
            "invalid_request",
            f"Invalid type for '{param}': expected {expected}, but got {_type_name(value)} instead.",
            param,
        )


def _expect_range(value: Any, param: str, low: float | None, high: float | None, *, integer: bool) -> None:
    _expect_type(value, (int,) if integer else (int, float), param, "an integer" if integer else "a decimal")
    if low is not None and value < low:
        raise LineError(
            "invalid_request", f"Invalid '{param}': expected a value >= {low}, but got {value}.", param
        )
    if high is not None and value > high:
        raise LineError(
            "invalid_request", f"Invalid '{param}': expected a value <= {high}, but got {value}.", param
        )


def _expect_keys(obj: dict, allowed: set[str] | frozenset[str], param: str) -> None:
    for key in obj:
        if key not in allowed:
            raise LineError(
                "invalid_request",
                f"Invalid '{param}': additional properties are not allowed ('{key}' was unexpected).",
                f"{param}.{key}",
            )


def _require(obj: dict, key: str, param: str) -> Any:
    if key not in obj:
        raise LineError(
            "missing_required_parameter", f"Missing required parameter: '{param}.{key}'.", f"{param}.{key}"
        )
    return obj[key]


def _expect_non_empty_list(value: Any, param: str) -> list:
    _expect_type(value, (list,), param, "an array")
    if not value:
        raise LineError(
            "invalid_request",
            f"Invalid '{param}': empty array. Expected an array with minimum length 1, "
            "but got an empty array instead.",
            param,
        )
    return value


# ------------------------------------------------------------------------- Chat Completions validation

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


def _check_part(part: Any, allowed_types: tuple[str, ...], param: str) -> None:
    _expect_type(part, (dict,), param, "an object")
    kind = _require(part, "type", param)
    if kind not in allowed_types:
        choices = ", ".join(f"'{t}'" for t in allowed_types)
        raise LineError(
            "invalid_request", f"Invalid value: '{kind}'. Supported values are: {choices}.", f"{param}.type"
        )
    _expect_keys(part, _PART_KEYS[kind], param)
    if kind in ("text", "refusal"):
        _expect_type(_require(part, kind, param), (str,), f"{param}.{kind}", "a string")
    elif kind == "image_url":
        image = _require(part, "image_url", param)
        _expect_type(image, (dict,), f"{param}.image_url", "an object")
        _expect_keys(image, {"url", "detail"}, f"{param}.image_url")
        url = _require(image, "url", f"{param}.image_url")
        _expect_type(url, (str,), f"{param}.image_url.url", "a string")
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
    elif kind == "file":
        file = _require(part, "file", param)
        _expect_type(file, (dict,), f"{param}.file", "an object")
        _expect_keys(file, {"file_data", "file_id", "filename"}, f"{param}.file")
        if "file_data" not in file and "file_id" not in file:
            raise LineError(
                "invalid_request",
                f"Invalid '{param}.file': expected either 'file_data' or 'file_id'.",
                f"{param}.file",
            )
        for key in ("file_data", "file_id", "filename"):
            if key in file:
                _expect_type(file[key], (str,), f"{param}.file.{key}", "a string")
        if "file_data" in file and not (
            file["file_data"].startswith("data:") and ";base64," in file["file_data"]
        ):
            raise LineError(
                "invalid_request",
                "Invalid file data: expected a base64 data URL ('data:<mime type>;base64,<data>').",
                f"{param}.file.file_data",
            )
    else:  # input_audio
        audio = _require(part, "input_audio", param)
        _expect_type(audio, (dict,), f"{param}.input_audio", "an object")
        _expect_keys(audio, {"data", "format"}, f"{param}.input_audio")
        _expect_type(
            _require(audio, "data", f"{param}.input_audio"), (str,), f"{param}.input_audio.data", "a string"
        )
        if _require(audio, "format", f"{param}.input_audio") not in ("wav", "mp3"):
            raise LineError("invalid_request", "Invalid value for 'format'.", f"{param}.input_audio.format")


def _check_content(content: Any, role: str, param: str) -> None:
    if isinstance(content, str):
        return
    _expect_type(content, (str, list), param, "a string or an array")
    for index, part in enumerate(_expect_non_empty_list(content, param)):
        _check_part(part, _PARTS_BY_ROLE[role], f"{param}[{index}]")


def _check_tool_call(call: Any, param: str) -> str:
    _expect_type(call, (dict,), param, "an object")
    call_id = _require(call, "id", param)
    _expect_type(call_id, (str,), f"{param}.id", "a string")
    kind = _require(call, "type", param)
    if kind not in ("function", "custom"):
        raise LineError(
            "invalid_request",
            f"Invalid value: '{kind}'. Supported values are: 'function', 'custom'.",
            f"{param}.type",
        )
    _expect_keys(call, {"id", "type", kind}, param)
    inner = _require(call, kind, param)
    _expect_type(inner, (dict,), f"{param}.{kind}", "an object")
    fields = ("name", "arguments") if kind == "function" else ("name", "input")
    _expect_keys(inner, set(fields), f"{param}.{kind}")
    for key in fields:
        _expect_type(_require(inner, key, f"{param}.{kind}"), (str,), f"{param}.{kind}.{key}", "a string")
    return call_id


def _check_message(message: Any, param: str) -> list[str]:
    """Validate one message; returns the ids of its tool calls (assistant only)."""
    _expect_type(message, (dict,), param, "an object")
    role = _require(message, "role", param)
    if role not in _MESSAGE_KEYS:
        raise LineError(
            "invalid_request",
            f"Invalid value: '{role}'. Supported values are: 'system', 'developer', 'user', 'assistant', and 'tool'.",
            f"{param}.role",
        )
    _expect_keys(message, _MESSAGE_KEYS[role], param)
    if "name" in message:
        _expect_type(message["name"], (str,), f"{param}.name", "a string")
    call_ids: list[str] = []
    if role == "assistant":
        if "tool_calls" in message:
            calls = _expect_non_empty_list(message["tool_calls"], f"{param}.tool_calls")
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
        _check_content(_require(message, "content", param), role, f"{param}.content")
    if role == "tool":
        _expect_type(_require(message, "tool_call_id", param), (str,), f"{param}.tool_call_id", "a string")
    return call_ids


def _check_messages(messages: Any) -> None:
    # The real API pairs tool messages with the assistant tool_calls right before them, both ways.
    answerable: set[str] = set()
    unanswered: list[str] = []
    opened_at = 0
    for index, message in enumerate(_expect_non_empty_list(messages, "body.messages")):
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


def _check_tools(body: dict) -> list[dict]:
    tools = body.get("tools")
    if tools is None:
        for key in ("tool_choice", "parallel_tool_calls"):
            if key in body:
                raise LineError(
                    "invalid_request",
                    f"Invalid value for '{key}': '{key}' is only allowed when 'tools' are specified.",
                    f"body.{key}",
                )
        return []
    names = []
    for index, tool in enumerate(_expect_non_empty_list(tools, "body.tools")):
        param = f"body.tools[{index}]"
        _expect_type(tool, (dict,), param, "an object")
        kind = _require(tool, "type", param)
        if kind not in ("function", "custom"):
            raise LineError(
                "invalid_request",
                f"Invalid value: '{kind}'. Supported values are: 'function', 'custom'.",
                f"{param}.type",
            )
        _expect_keys(tool, {"type", kind}, param)
        spec = _require(tool, kind, param)
        _expect_type(spec, (dict,), f"{param}.{kind}", "an object")
        allowed = (
            {"name", "description", "parameters", "strict"}
            if kind == "function"
            else {"name", "description", "format"}
        )
        _expect_keys(spec, allowed, f"{param}.{kind}")
        name = _require(spec, "name", f"{param}.{kind}")
        if not isinstance(name, str) or not _TOOL_NAME.match(name):
            raise LineError(
                "invalid_request",
                f"Invalid '{param}.{kind}.name': string does not match pattern. Expected a string that matches "
                "the pattern '^[a-zA-Z0-9_-]+$' with at most 64 characters.",
                f"{param}.{kind}.name",
            )
        if "parameters" in spec:
            _expect_type(spec["parameters"], (dict,), f"{param}.function.parameters", "an object")
        if "description" in spec:
            _expect_type(spec["description"], (str,), f"{param}.{kind}.description", "a string")
        names.append(name)
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        kind = choice.get("type")
        if kind in ("function", "custom"):
            _expect_keys(choice, {"type", kind}, "body.tool_choice")
            named = choice.get(kind)
            if not isinstance(named, dict) or named.get("name") not in names:
                raise LineError(
                    "invalid_request",
                    "Invalid value for 'tool_choice': the named tool is not one of 'tools'.",
                    "body.tool_choice",
                )
        elif kind != "allowed_tools":
            raise LineError("invalid_request", "Invalid value for 'tool_choice'.", "body.tool_choice.type")
    elif "tool_choice" in body and choice not in ("none", "auto", "required"):
        raise LineError(
            "invalid_request",
            f"Invalid value: '{choice}'. Supported values are: 'none', 'auto', and 'required'.",
            "body.tool_choice",
        )
    if "parallel_tool_calls" in body:
        _expect_type(body["parallel_tool_calls"], (bool,), "body.parallel_tool_calls", "a boolean")
    return tools


def _check_stop(stop: Any) -> None:
    if stop is None or isinstance(stop, str):
        return
    _expect_type(stop, (str, list), "body.stop", "a string or an array of strings")
    if len(stop) > MAX_STOP_SEQUENCES:
        raise LineError(
            "invalid_request",
            f"Invalid 'body.stop': array too long. Expected an array with maximum length {MAX_STOP_SEQUENCES}, "
            f"but got an array with length {len(stop)} instead.",
            "body.stop",
        )
    for index, item in enumerate(stop):
        _expect_type(item, (str,), f"body.stop[{index}]", "a string")


def _check_scalars(body: dict) -> None:
    ranges = {
        "temperature": (0, 2, False),
        "top_p": (0, 1, False),
        "frequency_penalty": (-2, 2, False),
        "presence_penalty": (-2, 2, False),
        "max_tokens": (1, None, True),
        "max_completion_tokens": (1, None, True),
        "n": (1, 128, True),
        "top_logprobs": (0, 20, True),
        "seed": (None, None, True),
    }
    for key, (low, high, integer) in ranges.items():
        if body.get(key) is not None:
            _expect_range(body[key], f"body.{key}", low, high, integer=integer)
    for key in ("user", "safety_identifier", "prompt_cache_key"):
        if key in body:
            _expect_type(body[key], (str,), f"body.{key}", "a string")
    for key in ("logprobs", "store"):
        if body.get(key) is not None:
            _expect_type(body[key], (bool,), f"body.{key}", "a boolean")
    if body.get("stream"):
        raise LineError("invalid_request", "Streaming is not supported by the Batch API.", "body.stream")
    effort = body.get("reasoning_effort")
    if effort is not None and effort not in ("none", "minimal", "low", "medium", "high", "xhigh", "max"):
        raise LineError("invalid_request", f"Invalid value: '{effort}'.", "body.reasoning_effort")
    fmt = body.get("response_format")
    if fmt is not None:
        _expect_type(fmt, (dict,), "body.response_format", "an object")
        if fmt.get("type") not in ("text", "json_object", "json_schema"):
            raise LineError(
                "invalid_request", "Invalid value for 'response_format.type'.", "body.response_format.type"
            )
    if body.get("metadata") is not None and (problem := metadata_problem(body["metadata"], "body.metadata")):
        raise LineError("invalid_request", problem, "body.metadata")


def check_chat_body(body: Any) -> str:
    """Validate a Chat Completions request body like the real endpoint; returns its model."""
    _expect_type(body, (dict,), "body", "an object")
    for key in body:
        if key not in CHAT_PARAMS:
            raise LineError(
                "invalid_request", f"Unrecognized request argument supplied: {key}", f"body.{key}"
            )
    model = _require(body, "model", "body")
    _expect_type(model, (str,), "body.model", "a string")
    if not model:
        raise LineError("invalid_request", "Invalid 'body.model': empty string.", "body.model")
    _check_messages(_require(body, "messages", "body"))
    if body.get("max_tokens") is not None and body.get("max_completion_tokens") is not None:
        raise LineError(
            "invalid_request",
            "'max_tokens' and 'max_completion_tokens' cannot both be set; use 'max_completion_tokens'.",
            "body.max_tokens",
        )
    _check_stop(body.get("stop"))
    _check_tools(body)
    _check_scalars(body)
    return model


def metadata_problem(metadata: Any, param: str) -> str | None:
    """Why ``metadata`` breaks OpenAI's limits (≤16 pairs, key ≤64, string value ≤512), or None."""
    if not isinstance(metadata, dict):
        return f"Invalid type for '{param}': expected an object."
    if len(metadata) > MAX_METADATA_PAIRS:
        return f"Invalid '{param}': too many properties. Expected at most {MAX_METADATA_PAIRS} properties."
    for key, value in metadata.items():
        if len(key) > MAX_METADATA_KEY:
            return f"Invalid '{param}': key '{key}' is longer than {MAX_METADATA_KEY} characters."
        if not isinstance(value, str):
            return f"Invalid type for '{param}.{key}': expected a string."
        if len(value) > MAX_METADATA_VALUE:
            return (
                f"Invalid '{param}.{key}': string too long. Expected at most {MAX_METADATA_VALUE} characters."
            )
    return None


# ----------------------------------------------------------------------------------- input file checks


@dataclass
class InputRequest:
    line: int
    custom_id: str
    body: dict


@dataclass
class Validation:
    requests: list[InputRequest]
    errors: list[dict]
    model: str | None


def validate_input_file(content: bytes, endpoint: str) -> Validation:
    """What the real ``validating`` phase checks; any error fails the whole batch with per-line entries."""
    text = content.decode("utf-8", errors="replace").rstrip("\r\n")
    if not text.strip():
        return Validation(
            [], [_batch_error("empty_file", "The batch input file is empty.", None, None)], None
        )
    lines = text.split("\n")
    if len(lines) > MAX_BATCH_LINES:
        message = f"The batch input file has {len(lines)} requests; the maximum is {MAX_BATCH_LINES}."
        return Validation([], [_batch_error("too_many_tasks", message, None, None)], None)
    requests, errors, seen = [], [], set()
    model: str | None = None
    for number, raw in enumerate(lines, start=1):
        try:
            request = _check_line(raw, number, endpoint, seen)
            if model is None:
                model = request.body["model"]
            elif request.body["model"] != model:
                raise LineError(
                    "mismatched_model",
                    f"The model '{request.body['model']}' does not match the model '{model}' used by the other "
                    "requests. Each input file can only include requests to a single model.",
                    "body.model",
                )
            requests.append(request)
        except LineError as problem:
            errors.append(_batch_error(problem.code, problem.message, problem.param, number))
    return Validation(requests, errors, model)


def _check_line(raw: str, number: int, endpoint: str, seen: set[str]) -> InputRequest:
    try:
        item = json.loads(raw)
    except ValueError:
        raise LineError("invalid_json_line", "This line is not parseable as valid JSON.") from None
    if not isinstance(item, dict):
        raise LineError("invalid_json_line", "This line is not a JSON object.")
    custom_id = item.get("custom_id")
    if custom_id is None:
        raise LineError("missing_required_parameter", "Missing required parameter: 'custom_id'.", "custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        raise LineError("invalid_request", "Invalid 'custom_id': expected a non-empty string.", "custom_id")
    if custom_id in seen:
        raise LineError(
            "duplicate_custom_id",
            "The custom_id for this request is a duplicate of another request. The custom_id parameter must be "
            "unique for each individual request in a batch.",
            "custom_id",
        )
    seen.add(custom_id)
    if item.get("method") != "POST":
        raise LineError("invalid_method", "The method for this request must be 'POST'.", "method")
    if item.get("url") != endpoint:
        raise LineError(
            "invalid_url",
            f"The URL provided for this request does not match the batch endpoint '{endpoint}'.",
            "url",
        )
    if "body" not in item:
        raise LineError("missing_required_parameter", "Missing required parameter: 'body'.", "body")
    check_chat_body(item["body"])
    return InputRequest(number, custom_id, item["body"])


def _batch_error(code: str, message: str, param: str | None, line: int | None) -> dict:
    return {"code": code, "message": message, "param": param, "line": line}


# --------------------------------------------------------------------------------- deterministic replies


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def last_turn_reply(messages: list[dict]) -> tuple[str, str]:
    """(reply text, the text triggers are read from): the last user message, or the trailing tool results."""
    for index in range(len(messages) - 1, -1, -1):
        role = messages[index]["role"]
        if role == "user":
            text = _text_of(messages[index]["content"])
            return "Reply to: " + text, text
        if role == "tool":
            start = index
            while start > 0 and messages[start - 1]["role"] == "tool":
                start -= 1
            text = " ".join(_text_of(m["content"]) for m in messages[start : index + 1])
            return "Tool said: " + text, text
    return "Reply to: ", ""


def _input_words(messages: list[dict]) -> int:
    return sum(_words(_text_of(m.get("content"))) for m in messages)


def _usage(prompt: int, completion: int) -> dict:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _tool_call(tool: dict, line: int) -> dict:
    arguments = json.dumps({"query": "value"})
    # Ids are "call_<line number>": unique within a conversation and stable across runs.
    if tool["type"] == "custom":
        return {
            "id": f"call_{line}",
            "type": "custom",
            "custom": {"name": tool["custom"]["name"], "input": arguments},
        }
    return {
        "id": f"call_{line}",
        "type": "function",
        "function": {"name": tool["function"]["name"], "arguments": arguments},
    }


def chat_completion(body: dict, line: int, created: int) -> dict:
    """The 200 body for a request, per the shared rule ([[tool]], [[block]] or "Reply to: ...")."""
    messages = body["messages"]
    reply, trigger_text = last_turn_reply(messages)
    message: dict = {"role": "assistant", "content": reply, "refusal": None, "annotations": []}
    finish, completion_words = "stop", _words(reply)
    tools = body.get("tools") or []
    if "[[block]]" in trigger_text:
        message["content"], finish, completion_words = None, "content_filter", 0
    elif tools and "[[tool]]" in trigger_text:
        call = _tool_call(tools[0], line)
        message["content"], message["tool_calls"], finish = None, [call], "tool_calls"
        completion_words = _words(json.dumps({"query": "value"}))
    choices = [
        {"index": i, "message": dict(message), "logprobs": None, "finish_reason": finish}
        for i in range(body.get("n") or 1)
    ]
    return {
        "id": _random_id("chatcmpl-", 29),
        "object": "chat.completion",
        "created": created,
        "model": body["model"],
        "choices": choices,
        "usage": _usage(_input_words(messages), completion_words * len(choices)),
        "service_tier": "default",
        "system_fingerprint": "fp_" + hashlib.sha256(body["model"].encode()).hexdigest()[:10],
    }


def _response_line(custom_id: str, status: int, body: dict) -> dict:
    return {
        "id": "batch_req_" + secrets.token_hex(16),
        "custom_id": custom_id,
        "response": {"status_code": status, "request_id": secrets.token_hex(16), "body": body},
        "error": None,
    }


def _error_line(custom_id: str, code: str, message: str) -> dict:
    return {
        "id": "batch_req_" + secrets.token_hex(16),
        "custom_id": custom_id,
        "response": None,
        "error": {"code": code, "message": message},
    }


def _trigger_text(request: InputRequest) -> str:
    return last_turn_reply(request.body["messages"])[1]


def result_line(request: InputRequest, created: int) -> dict:
    """The output/error-file line for a request that ran ([[error]] → a 400 response line)."""
    if "[[error]]" in _trigger_text(request):
        error = {
            "message": "Emulated invalid request (the last user turn contains [[error]]).",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
        return _response_line(request.custom_id, 400, {"error": error})
    return _response_line(request.custom_id, 200, chat_completion(request.body, request.line, created))


# ---------------------------------------------------------------------------------------------- state


@dataclass
class StoredFile:
    id: str
    filename: str
    purpose: str
    content: bytes
    created_at: int
    expires_at: int | None

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.content),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
            "expires_at": self.expires_at,
            "status_details": None,
        }


@dataclass
class StoredBatch:
    id: str
    endpoint: str
    input_file_id: str
    metadata: dict | None
    output_ttl: int | None
    started: float
    validation: Validation
    cancel_requested: float | None = None
    finished_as: str | None = None  # terminal status once its files are written
    output_file_id: str | None = None
    error_file_id: str | None = None
    counts: dict = field(default_factory=lambda: {"total": 0, "completed": 0, "failed": 0})
    usage: dict = field(default_factory=lambda: _batch_usage(0, 0))
    held: bool = False  # some request has [[hold]]: never finishes until cancelled
    expiring: bool = False  # some request has [[expire]]: the batch ends "expired"


def _batch_usage(prompt: int, completion: int) -> dict:
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": prompt + completion,
    }


class Emulator:
    """All state of one emulated account; every method maps to one endpoint."""

    def __init__(self, batch_seconds: float) -> None:
        self.batch_seconds = batch_seconds
        self.files: dict[str, StoredFile] = {}
        self.batches: dict[str, StoredBatch] = {}

    # -- files

    def add_file(self, filename: str, purpose: str, content: bytes, ttl: int | None) -> StoredFile:
        now = int(time.time())
        stored = StoredFile(
            _random_id("file-", 22), filename, purpose, content, now, now + ttl if ttl else None
        )
        self.files[stored.id] = stored
        return stored

    def file(self, file_id: str) -> StoredFile:
        if file_id not in self.files:
            raise OpenAIError(404, f"No such File object: {file_id}", param="id")
        return self.files[file_id]

    # -- batches

    def create_batch(self, payload: dict) -> StoredBatch:
        endpoint, input_file_id = _check_create_params(payload)
        stored = self.files.get(input_file_id)
        if stored is None:
            raise _bad_request(f"Invalid 'input_file_id': no such file '{input_file_id}'.", "input_file_id")
        if stored.purpose != "batch":
            raise _bad_request(
                f"Invalid 'input_file_id': file '{input_file_id}' has purpose '{stored.purpose}'; "
                "batch input files must be uploaded with purpose 'batch'.",
                "input_file_id",
            )
        output_ttl = (payload.get("output_expires_after") or {}).get("seconds")
        batch = StoredBatch(
            id="batch_" + secrets.token_hex(16),
            endpoint=endpoint,
            input_file_id=input_file_id,
            metadata=payload.get("metadata"),
            output_ttl=output_ttl,
            started=time.time(),
            validation=validate_input_file(stored.content, endpoint),
        )
        triggers = [_trigger_text(r) for r in batch.validation.requests]
        batch.held = any("[[hold]]" in t for t in triggers)
        batch.expiring = any("[[expire]]" in t for t in triggers)
        self.batches[batch.id] = batch
        return batch

    def batch(self, batch_id: str) -> StoredBatch:
        if batch_id not in self.batches:
            raise OpenAIError(404, f"No batch found with id '{batch_id}'.")
        return self.batches[batch_id]

    def cancel(self, batch: StoredBatch) -> None:
        status = self.status(batch, time.time())
        if status in ("completed", "failed", "expired", "cancelled"):
            # Real answer: 409 {"message": "Cannot cancel a batch with status 'completed'.", code null}.
            raise OpenAIError(409, f"Cannot cancel a batch with status '{status}'.")
        if batch.cancel_requested is None:
            batch.cancel_requested = time.time()

    def _at(self, batch: StoredBatch, share: float) -> float:
        return batch.started + share * self.batch_seconds

    def status(self, batch: StoredBatch, now: float) -> str:
        if batch.finished_as:
            return batch.finished_as
        if batch.cancel_requested is not None:
            cancelled = now >= batch.cancel_requested + CANCEL_SHARE * self.batch_seconds
            return self._finish(batch, "cancelled") if cancelled else "cancelling"
        if now < self._at(batch, VALIDATING_SHARE):
            return "validating"
        if batch.validation.errors:
            return self._finish(batch, "failed")
        if batch.held or now < self._at(batch, FINALIZING_SHARE):
            return "in_progress"
        if batch.expiring:
            # An expiring batch never finalizes on time: it ends "expired" with partial output.
            return self._finish(batch, "expired") if now >= self._at(batch, 1.0) else "in_progress"
        return self._finish(batch, "completed") if now >= self._at(batch, 1.0) else "finalizing"

    def _finish(self, batch: StoredBatch, status: str) -> str:
        """Write the output/error files once, when the batch is first seen in a terminal status."""
        batch.finished_as = status
        if batch.validation.errors or not batch.validation.requests:
            return status  # an invalid file produces no output, even when cancelled while validating
        created = int(time.time())
        output, errors = [], []
        for request in batch.validation.requests:
            trigger = _trigger_text(request)
            if status == "cancelled" and ("[[hold]]" in trigger or "[[expire]]" in trigger):
                errors.append(_error_line(request.custom_id, "batch_cancelled", CANCELLED_MESSAGE))
            elif status == "expired" and "[[expire]]" in trigger:
                errors.append(_error_line(request.custom_id, "batch_expired", EXPIRED_MESSAGE))
            else:
                line = result_line(request, created)
                (output if line["response"]["status_code"] == 200 else errors).append(line)
        # Output order never follows input order (OpenAI Batch guide); shuffle deterministically per batch.
        shuffler = random.Random(batch.id)
        for lines in (output, errors):
            original = list(lines)
            shuffler.shuffle(lines)
            if len(lines) > 1 and lines == original:
                lines.append(lines.pop(0))
        ttl = batch.output_ttl
        if output:
            batch.output_file_id = self.add_file(
                f"{batch.id}_output.jsonl", "batch_output", _jsonl(output), ttl
            ).id
        if errors:
            batch.error_file_id = self.add_file(
                f"{batch.id}_error.jsonl", "batch_output", _jsonl(errors), ttl
            ).id
        batch.counts = {
            "total": len(batch.validation.requests),
            "completed": len(output),
            "failed": len(errors),
        }
        usages = [line["response"]["body"]["usage"] for line in output]
        batch.usage = _batch_usage(
            sum(u["prompt_tokens"] for u in usages), sum(u["completion_tokens"] for u in usages)
        )
        return status

    def batch_json(self, batch: StoredBatch) -> dict:
        now = time.time()
        status = self.status(batch, now)

        def stamp(moment: float | None, reached: bool) -> int | None:
            return int(moment) if moment is not None and reached else None

        validated = now >= self._at(batch, VALIDATING_SHARE) or status in ("failed", "cancelled")
        ran = validated and not batch.validation.errors
        end = self._at(batch, 1.0)
        cancel_end = (
            batch.cancel_requested + CANCEL_SHARE * self.batch_seconds if batch.cancel_requested else None
        )
        reached_in_progress = ran and (
            batch.cancel_requested is None or batch.cancel_requested >= self._at(batch, VALIDATING_SHARE)
        )
        counts = (
            batch.counts
            if batch.finished_as
            else {"total": len(batch.validation.requests) if ran else 0, "completed": 0, "failed": 0}
        )
        return {
            "id": batch.id,
            "object": "batch",
            "endpoint": batch.endpoint,
            "model": batch.validation.model if validated else None,
            "errors": ({"object": "list", "data": batch.validation.errors} if status == "failed" else None),
            "input_file_id": batch.input_file_id,
            "completion_window": "24h",
            "status": status,
            "output_file_id": batch.output_file_id,
            "error_file_id": batch.error_file_id,
            "created_at": int(batch.started),
            "in_progress_at": stamp(self._at(batch, VALIDATING_SHARE), reached_in_progress),
            "expires_at": int(batch.started) + COMPLETION_WINDOW_SECONDS,
            "finalizing_at": stamp(self._at(batch, FINALIZING_SHARE), status in ("finalizing", "completed")),
            "completed_at": stamp(end, status == "completed"),
            "failed_at": stamp(self._at(batch, VALIDATING_SHARE), status == "failed"),
            "expired_at": stamp(end, status == "expired"),
            "cancelling_at": stamp(batch.cancel_requested, batch.cancel_requested is not None),
            "cancelled_at": stamp(cancel_end, status == "cancelled"),
            "request_counts": counts,
            "metadata": batch.metadata,
            "usage": batch.usage,
        }


def _jsonl(lines: list[dict]) -> bytes:
    return "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines).encode()


def _check_create_params(payload: Any) -> tuple[str, str]:
    if not isinstance(payload, dict):
        raise _bad_request("The request body must be a JSON object.")
    allowed = {"input_file_id", "endpoint", "completion_window", "metadata", "output_expires_after"}
    for key in payload:
        if key not in allowed:
            raise _bad_request(f"Unrecognized request argument supplied: {key}", key, "unknown_parameter")
    for key in ("input_file_id", "endpoint", "completion_window"):
        if key not in payload:
            raise _bad_request(f"Missing required parameter: '{key}'.", key, "missing_required_parameter")
        if not isinstance(payload[key], str):
            raise _bad_request(f"Invalid type for '{key}': expected a string.", key, "invalid_type")
    endpoint = payload["endpoint"]
    if endpoint not in BATCH_ENDPOINTS:
        choices = ", ".join(f"'{e}'" for e in BATCH_ENDPOINTS)
        raise _bad_request(
            f"Invalid value: '{endpoint}'. Supported values are: {choices}.", "endpoint", "invalid_value"
        )
    if endpoint != EMULATED_ENDPOINT:
        # A limit of the emulator, not of OpenAI: only Chat Completions requests are executed here.
        raise _bad_request(
            f"The emulator only runs '{EMULATED_ENDPOINT}' batches.", "endpoint", "invalid_value"
        )
    if payload["completion_window"] != "24h":
        raise _bad_request(
            f"Invalid value: '{payload['completion_window']}'. Supported values are: '24h'.",
            "completion_window",
            "invalid_value",
        )
    if payload.get("metadata") is not None and (problem := metadata_problem(payload["metadata"], "metadata")):
        raise _bad_request(problem, "metadata", "invalid_value")
    if "output_expires_after" in payload:
        _check_expires_after(payload["output_expires_after"], "output_expires_after")
    return endpoint, payload["input_file_id"]


def _check_expires_after(value: Any, param: str) -> int:
    if not isinstance(value, dict) or value.get("anchor") != "created_at":
        raise _bad_request(
            f"Invalid '{param}': 'anchor' must be 'created_at'.", f"{param}.anchor", "invalid_value"
        )
    seconds = value.get("seconds")
    if isinstance(seconds, str) and seconds.isdigit():
        seconds = int(seconds)  # multipart fields arrive as text
    if (
        not isinstance(seconds, int)
        or isinstance(seconds, bool)
        or not EXPIRES_MIN_SECONDS <= seconds <= EXPIRES_MAX_SECONDS
    ):
        raise _bad_request(
            f"Invalid '{param}.seconds': expected an integer between {EXPIRES_MIN_SECONDS} and {EXPIRES_MAX_SECONDS}.",
            f"{param}.seconds",
            "invalid_value",
        )
    return seconds


def _page(items: list[dict], after: str | None, limit: int) -> dict:
    ids = [item["id"] for item in items]
    start = ids.index(after) + 1 if after in ids else 0
    data = items[start : start + limit]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": start + limit < len(items),
    }


def _limit(request: Request, default: int, maximum: int) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise _bad_request(
            f"Invalid 'limit': expected an integer between 1 and {maximum}.", "limit", "invalid_value"
        )
    return int(raw)


# ---------------------------------------------------------------------------------------------- HTTP


def _masked(key: str) -> str:
    return key[:3] + "*" * max(len(key) - 7, 0) + key[-4:] if len(key) > 8 else "*" * len(key)


def _check_auth(request: Request, api_key: str) -> None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise OpenAIError(
            401,
            "You didn't provide an API key. You need to provide your API key in an Authorization header using "
            "Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        )
    if token.strip() != api_key:
        raise OpenAIError(
            401, f"Incorrect API key provided: {_masked(token.strip())}.", code="invalid_api_key"
        )


def _routes(emulator: Emulator) -> list[tuple[str, str, Callable]]:
    async def upload_file(request: Request) -> JSONResponse:
        form = await request.form()
        purpose, upload = form.get("purpose"), form.get("file")
        if purpose is None:
            raise _bad_request(
                "Missing required parameter: 'purpose'.", "purpose", "missing_required_parameter"
            )
        if upload is None or isinstance(upload, str):
            raise _bad_request("Missing required parameter: 'file'.", "file", "missing_required_parameter")
        if purpose not in UPLOAD_PURPOSES:
            choices = ", ".join(f"'{p}'" for p in UPLOAD_PURPOSES)
            raise _bad_request(
                f"Invalid value: '{purpose}'. Supported values are: {choices}.", "purpose", "invalid_value"
            )
        content, filename = await upload.read(), upload.filename or "upload"
        ttl = BATCH_FILE_TTL_SECONDS if purpose == "batch" else None
        if "expires_after[anchor]" in form or "expires_after[seconds]" in form:
            expires = {
                "anchor": form.get("expires_after[anchor]"),
                "seconds": form.get("expires_after[seconds]"),
            }
            ttl = _check_expires_after(expires, "expires_after")
        if purpose == "batch":
            if not filename.endswith(".jsonl"):
                raise _bad_request("Invalid file format for Batch API. Must be .jsonl", "file")
            if len(content) > MAX_BATCH_FILE_BYTES:
                raise _bad_request("Batch input files can be at most 200 MB.", "file")
        return JSONResponse(emulator.add_file(filename, purpose, content, ttl).to_json())

    async def list_files(request: Request) -> JSONResponse:
        order = request.query_params.get("order", "desc")
        if order not in ("asc", "desc"):
            raise _bad_request(
                f"Invalid value: '{order}'. Supported values are: 'asc' and 'desc'.", "order", "invalid_value"
            )
        purpose = request.query_params.get("purpose")
        # created_at has 1 s resolution; upload order breaks ties so the order is exact.
        files = [f for f in emulator.files.values() if purpose is None or f.purpose == purpose]
        if order == "desc":
            files.reverse()
        page = _page(
            [f.to_json() for f in files], request.query_params.get("after"), _limit(request, 10_000, 10_000)
        )
        return JSONResponse(page)

    async def get_file(request: Request) -> JSONResponse:
        return JSONResponse(emulator.file(request.path_params["file_id"]).to_json())

    async def file_content(request: Request) -> Response:
        stored = emulator.file(request.path_params["file_id"])
        if stored.purpose in UNDOWNLOADABLE_PURPOSES:
            raise _bad_request(f"Not allowed to download files of purpose: {stored.purpose}")
        return Response(stored.content, media_type="application/octet-stream")

    async def delete_file(request: Request) -> JSONResponse:
        stored = emulator.file(request.path_params["file_id"])
        del emulator.files[stored.id]
        return JSONResponse({"id": stored.id, "object": "file", "deleted": True})

    async def create_batch(request: Request) -> JSONResponse:
        try:
            payload = json.loads(await request.body())
        except ValueError:
            raise _bad_request(
                "We could not parse the JSON body of your request. The OpenAI API expects a JSON payload."
            ) from None
        return JSONResponse(emulator.batch_json(emulator.create_batch(payload)))

    async def list_batches(request: Request) -> JSONResponse:
        batches = sorted(emulator.batches.values(), key=lambda b: b.started, reverse=True)
        items = [emulator.batch_json(b) for b in batches]
        return JSONResponse(_page(items, request.query_params.get("after"), _limit(request, 20, 100)))

    async def get_batch(request: Request) -> JSONResponse:
        return JSONResponse(emulator.batch_json(emulator.batch(request.path_params["batch_id"])))

    async def cancel_batch(request: Request) -> JSONResponse:
        batch = emulator.batch(request.path_params["batch_id"])
        emulator.cancel(batch)
        return JSONResponse(emulator.batch_json(batch))

    async def invalid_url(request: Request) -> Response:
        raise OpenAIError(404, f"Invalid URL ({request.method} {request.url.path})")

    return [
        ("/v1/files", "POST", upload_file),
        ("/v1/files", "GET", list_files),
        ("/v1/files/{file_id}", "GET", get_file),
        ("/v1/files/{file_id}", "DELETE", delete_file),
        ("/v1/files/{file_id}/content", "GET", file_content),
        ("/v1/batches", "POST", create_batch),
        ("/v1/batches", "GET", list_batches),
        ("/v1/batches/{batch_id}", "GET", get_batch),
        ("/v1/batches/{batch_id}/cancel", "POST", cancel_batch),
        # Anything else, including DELETE /v1/batches/{id} (there is no batch delete), is an invalid URL.
        ("/{path:path}", "*", invalid_url),
    ]


def _endpoint(handler: Callable, api_key: str) -> Callable:
    async def run(request: Request) -> Response:
        request_id = _request_id()
        try:
            _check_auth(request, api_key)
            response = await handler(request)
        except OpenAIError as problem:
            response = JSONResponse(problem.body(), status_code=problem.status)
        except Exception:  # noqa: BLE001 - answer like the real API instead of dropping the connection
            response = JSONResponse(
                OpenAIError(
                    500, "The server had an error while processing your request.", error_type="server_error"
                ).body(),
                status_code=500,
            )
        response.headers["x-request-id"] = request_id
        return response

    return run


_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def create_app(api_key: str = "emulator-key", *, batch_seconds: float = 1.0) -> Starlette:
    """An emulated OpenAI API; point clients at ``<server url>/v1``."""
    emulator = Emulator(batch_seconds)
    routes = [
        Route(path, _endpoint(handler, api_key), methods=_ALL_METHODS if method == "*" else [method])
        for path, method, handler in _routes(emulator)
    ]
    app = Starlette(routes=routes)
    app.state.emulator = emulator
    return app

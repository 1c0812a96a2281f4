"""Anthropic Messages ⇄ OpenAI Chat Completions, one batch line at a time. Pure functions over plain dicts.

Request direction: an Anthropic batch request ``{custom_id, params}`` becomes one OpenAI batch input line
``{custom_id, method, url, body}`` (``request_line``). Anything OpenAI cannot honour is refused with an
``ApiError(400)`` whose message names the custom_id and the field, e.g.
``requests[custom_id=abc].params.thinking: ...``; a few harmless hints are dropped (see ``DROPPED_PARAMS``).
Only fields the Chat Completions API defines are ever emitted.

Result direction: an OpenAI batch output/error line becomes ``(custom_id, <Anthropic result>)``
(``result_from_line``), the result being ``succeeded`` with a full Anthropic Message, ``errored``,
``expired`` or ``canceled``.

These run once per request of batches of up to 100,000 requests, so they avoid pydantic and extra passes:
plain dict building, ``dict.get``, and one blanket ``except`` that turns malformed input into a 400.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from handlers.errors import ApiError, invalid_request
from handlers.providers.base import FileRef
from handlers.translate.errors import errored_result

ENDPOINT = "/v1/chat/completions"
MAX_STOP_SEQUENCES = 4  # OpenAI's limit for ``stop``
MAX_TOOL_NAME = 64  # OpenAI function names: ^[a-zA-Z0-9_-]{1,64}$
MAX_SAFETY_IDENTIFIER = 128
TOOL_ERROR_PREFIX = "[tool error] "  # OpenAI tool messages have no is_error flag; the text carries it

# Top-level params with no OpenAI counterpart that change nothing the caller relies on: dropped silently.
DROPPED_PARAMS = frozenset(
    {"top_k", "cache_control", "service_tier", "speed", "diagnostics", "workspace_id", "user_profile_id"}
)
# Params translated field by field below; anything else in ``params`` is refused.
_MAPPED_PARAMS = frozenset(
    {
        "model",
        "max_tokens",
        "messages",
        "system",
        "temperature",
        "top_p",
        "stop_sequences",
        "tools",
        "tool_choice",
        "metadata",
    }
)
_TOOL_CHOICES = {"auto": "auto", "any": "required", "none": "none"}

# Compact JSON like OpenAI's own tool-call arguments (UTF-8 kept: the model reads these strings).
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
# JSONL lines: compact and ASCII-escaped, the fastest path of the C encoder; OpenAI decodes both alike.
_dumps_line = json.JSONEncoder(separators=(",", ":")).encode
_loads = json.loads
_NO_FILES: Mapping[str, FileRef] = {}


def encode_line(line: dict) -> bytes:
    """One JSONL line (without the newline) as bytes: compact JSON, non-ASCII escaped, so plain ASCII."""
    return _dumps_line(line).encode("ascii")


class _Refusal(Exception):
    """Internal: a field OpenAI cannot take; turned into the client-facing 400 with the custom_id."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _refused(custom_id: str, field: str, message: str) -> ApiError:
    return invalid_request(f"requests[custom_id={custom_id}].params{field}: {message}")


# --------------------------------------------------------------------------------------------------------
# Anthropic request → OpenAI batch input line
# --------------------------------------------------------------------------------------------------------


def request_line(request: Mapping[str, Any], files: Mapping[str, FileRef] = _NO_FILES) -> dict:
    """``{custom_id, params}`` → ``{custom_id, method:"POST", url:"/v1/chat/completions", body}``."""
    custom_id = request["custom_id"]
    return {
        "custom_id": custom_id,
        "method": "POST",
        "url": ENDPOINT,
        "body": chat_body(custom_id, request["params"], files),
    }


def chat_body(custom_id: str, params: Mapping[str, Any], files: Mapping[str, FileRef] = _NO_FILES) -> dict:
    """An Anthropic Messages ``params`` dict → a Chat Completions request body; raises ApiError(400)."""
    try:
        return _chat_body(params, files)
    except _Refusal as exc:
        raise _refused(custom_id, exc.field, exc.message) from None
    except (KeyError, TypeError, AttributeError, ValueError, IndexError) as exc:
        # Shapes the Messages API would reject anyway (missing keys, wrong types): a 400, never a 500.
        detail = f"missing field {exc}" if isinstance(exc, KeyError) else "malformed request"
        raise _refused(custom_id, "", f"{detail}; the params must be a valid Messages request") from None


def _chat_body(params: Mapping[str, Any], files: Mapping[str, FileRef]) -> dict:
    extra = params.keys() - _MAPPED_PARAMS
    model = params["model"]
    if not isinstance(model, str) or not model:
        raise _Refusal(".model", "must be a non-empty string")
    max_tokens = params["max_tokens"]
    if max_tokens.__class__ is not int or max_tokens < 1:
        raise _Refusal(".max_tokens", "must be an integer ≥ 1 on OpenAI (max_completion_tokens)")

    messages: list[dict] = []
    system = params.get("system")
    if system:
        messages.append({"role": "system", "content": _system_content(system, ".system")})
    _add_messages(params["messages"], files, messages)

    body: dict[str, Any] = {"model": model, "messages": messages, "max_completion_tokens": max_tokens}
    value = params.get("temperature")
    if value is not None:
        body["temperature"] = value
    value = params.get("top_p")
    if value is not None:
        body["top_p"] = value
    value = params.get("stop_sequences")
    if value:
        if len(value) > MAX_STOP_SEQUENCES:
            raise _Refusal(
                ".stop_sequences",
                f"OpenAI accepts at most {MAX_STOP_SEQUENCES} stop sequences, got {len(value)}",
            )
        body["stop"] = list(value)
    tools = params.get("tools")
    if tools:
        body["tools"] = _tools(tools)
        tool_choice = params.get("tool_choice")
        if tool_choice is not None:
            _tool_choice(tool_choice, body)
    # tool_choice without tools: OpenAI rejects it, and without tools it means nothing: dropped.
    metadata = params.get("metadata")
    if metadata:
        user_id = metadata.get("user_id")
        if user_id:
            body["safety_identifier"] = _safety_identifier(user_id)
    if extra:
        _other_params(params, extra, body)
    return body


def _other_params(params: Mapping[str, Any], keys: set, body: dict) -> None:
    for key in sorted(keys):
        value = params[key]
        if key in DROPPED_PARAMS or value is None:
            continue
        if key == "stream":
            if value:
                raise _Refusal(".stream", "batch requests cannot stream")
        elif key == "thinking":
            if value.get("type") != "disabled":
                raise _Refusal(".thinking", "extended thinking has no OpenAI Chat Completions equivalent")
        elif key in ("output_config", "output_format"):
            _output_config(key, value if key == "output_config" else {"format": value}, body)
        else:
            raise _Refusal(f".{key}", "not supported when x-model-provider is openai")


def _output_config(key: str, config: Mapping[str, Any], body: dict) -> None:
    fmt = config.get("format")
    if fmt is not None:
        if fmt.get("type") != "json_schema":
            raise _Refusal(f".{key}", "only the json_schema output format maps to OpenAI")
        json_schema = {"name": "output", "schema": fmt["schema"]}
        if fits_strict_mode(fmt["schema"]):
            # Anthropic's structured outputs always follow the schema; on OpenAI only strict mode does.
            json_schema["strict"] = True
        body["response_format"] = {"type": "json_schema", "json_schema": json_schema}
    effort = config.get("effort")
    if effort is not None:
        body["reasoning_effort"] = effort
    unknown = config.keys() - {"format", "effort"}
    if key == "output_config" and unknown:
        raise _Refusal(
            f".output_config.{sorted(unknown)[0]}", "not supported when x-model-provider is openai"
        )


# Keywords whose subschemas strict mode accepts (and that fits_strict_mode walks); any other keyword holding a
# subschema (not, if/then/else, prefixItems, …) makes the schema go without strict, to be safe.
_STRICT_SUBSCHEMAS = ("items", "anyOf", "allOf", "oneOf")
_STRICT_SCHEMA_MAPS = ("properties", "$defs", "definitions")
_OTHER_SUBSCHEMAS = ("not", "if", "then", "else", "prefixItems", "patternProperties", "dependentSchemas")


def fits_strict_mode(schema: Any) -> bool:
    """Whether OpenAI's strict mode takes ``schema``: an object at the root, and every object lists all its
    properties as required and forbids others. Other schemas go without strict (OpenAI would refuse them)."""
    return isinstance(schema, dict) and schema.get("type") == "object" and _strict_subschema(schema)


def _strict_subschema(schema: Any) -> bool:
    if isinstance(schema, list):
        return all(_strict_subschema(item) for item in schema)
    if not isinstance(schema, dict):
        return True
    if any(key in schema for key in _OTHER_SUBSCHEMAS):
        return False
    properties = schema.get("properties")
    if schema.get("type") == "object" or properties is not None:
        if schema.get("additionalProperties") is not False:
            return False
        if set(schema.get("required") or ()) != set(properties or ()):
            return False
    nested = [value for key in _STRICT_SCHEMA_MAPS for value in (schema.get(key) or {}).values()]
    nested += [schema[key] for key in _STRICT_SUBSCHEMAS if key in schema]
    return all(_strict_subschema(item) for item in nested)


def _safety_identifier(user_id: Any) -> str:
    user_id = str(user_id)
    if len(user_id) <= MAX_SAFETY_IDENTIFIER:
        return user_id
    # Anthropic allows longer ids than OpenAI; a digest stays stable per user, which is all OpenAI needs.
    return hashlib.sha256(user_id.encode()).hexdigest()


def _system_content(system: Any, where: str) -> str | list[dict]:
    if system.__class__ is str:
        return system
    parts = []
    for i, block in enumerate(system):
        if block["type"] != "text":
            raise _Refusal(f"{where}[{i}]", "system blocks must be text")
        parts.append({"type": "text", "text": block["text"]})
    return parts


def _add_messages(turns: Any, files: Mapping[str, FileRef], out: list[dict]) -> None:
    if not turns:
        raise _Refusal(".messages", "at least one message is required")
    # Tool-call ids of the previous assistant turn: OpenAI requires each to be answered by a tool message
    # right after it, and rejects tool messages that answer nothing. Checked here so it fails at create.
    pending: dict[str, None] | None = None
    for i, turn in enumerate(turns):
        role = turn["role"]
        content = turn["content"]
        if role == "user":
            if content.__class__ is str:
                if pending:
                    _unanswered(i, pending)
                out.append({"role": "user", "content": content})
            else:
                _add_user_blocks(i, content, files, pending, out)
            pending = None
        elif role == "assistant":
            if pending:
                _unanswered(i, pending)
            if content.__class__ is str:
                out.append({"role": "assistant", "content": content})
                pending = None
            else:
                pending = _add_assistant_blocks(i, content, out)
        elif role == "system":
            if pending:
                _unanswered(i, pending)
            out.append({"role": "system", "content": _system_content(content, f".messages[{i}].content")})
        else:
            raise _Refusal(f".messages[{i}].role", f"unknown role {role!r}")
    if pending:
        raise _Refusal(
            f".messages[{len(turns) - 1}]",
            f"the last message calls tools {sorted(pending)}; OpenAI needs their tool_result before it can answer",
        )


def _unanswered(i: int, ids: Any) -> None:
    raise _Refusal(
        f".messages[{i}]",
        f"tool_use ids {sorted(ids)} of the previous assistant turn have no tool_result here",
    )


def _add_user_blocks(
    i: int, blocks: Any, files: Mapping[str, FileRef], pending: dict[str, None] | None, out: list[dict]
) -> None:
    parts: list[dict] = []
    answered: list[str] = []
    for j, block in enumerate(blocks):
        kind = block["type"]
        if kind == "text":
            parts.append({"type": "text", "text": block["text"]})
        elif kind == "tool_result":
            tool_use_id = openai_call_id(block["tool_use_id"])
            if pending is None or tool_use_id not in pending:
                raise _Refusal(
                    f".messages[{i}].content[{j}].tool_use_id",
                    f"{tool_use_id!r} answers no tool_use of the previous assistant turn",
                )
            # Tool messages go straight after the assistant's tool_calls, before this turn's other parts.
            out.append(
                {"role": "tool", "tool_call_id": tool_use_id, "content": _tool_result_content(i, j, block)}
            )
            answered.append(tool_use_id)
        elif kind == "image":
            parts.append(_image_part(block["source"], f".messages[{i}].content[{j}]", files))
        elif kind == "document":
            _add_document_parts(block, files, f".messages[{i}].content[{j}]", parts)
        else:
            raise _Refusal(
                f".messages[{i}].content[{j}]", f"content block type {kind!r} is not supported on OpenAI"
            )
    if pending:
        missing = [k for k in pending if k not in answered]
        if missing:
            _unanswered(i, missing)
    if len(answered) > 1 and len(set(answered)) < len(answered):
        raise _Refusal(f".messages[{i}].content", "a tool_use id is answered by more than one tool_result")
    if parts:
        out.append({"role": "user", "content": parts})
    elif not answered:
        raise _Refusal(f".messages[{i}].content", "must not be empty")


def _tool_result_content(i: int, j: int, block: Mapping[str, Any]) -> str | list[dict]:
    content = block.get("content")
    if content is None:
        content = ""
    elif content.__class__ is not str:
        texts = []
        for k, item in enumerate(content):
            if item["type"] != "text":
                raise _Refusal(
                    f".messages[{i}].content[{j}].content[{k}]",
                    f"OpenAI tool results carry text only, not {item['type']!r} blocks",
                )
            texts.append({"type": "text", "text": item["text"]})
        # OpenAI refuses an empty content array; a tool that returned nothing answers "".
        content = texts[0]["text"] if len(texts) == 1 else texts or ""
    if block.get("is_error"):
        if content.__class__ is str:
            return TOOL_ERROR_PREFIX + content
        return [{"type": "text", "text": TOOL_ERROR_PREFIX.rstrip()}, *content]
    return content


def _image_part(source: Mapping[str, Any], where: str, files: Mapping[str, FileRef]) -> dict:
    kind = source["type"]
    if kind == "base64":
        url = "data:" + source["media_type"] + ";base64," + source["data"]
    elif kind == "url":
        url = source["url"]
    elif kind == "file":
        # Chat Completions takes images only inline: the gateway's staged copy goes as a data URL.
        ref = files.get(source["file_id"])
        if ref is not None and not ref.mime_type.startswith("image/"):
            raise _Refusal(f"{where}.source.file_id", f"file {ref.id!r} is {ref.mime_type}, not an image")
        if ref is None or ref.content is None:
            raise _Refusal(f"{where}.source.file_id", f"no file {source['file_id']!r}")
        url = "data:" + ref.mime_type + ";base64," + base64.b64encode(ref.content).decode()
    else:
        raise _Refusal(f"{where}.source.type", f"unknown image source {kind!r}")
    return {"type": "image_url", "image_url": {"url": url}}


def _add_document_parts(
    block: Mapping[str, Any], files: Mapping[str, FileRef], where: str, parts: list
) -> None:
    citations = block.get("citations")
    if citations and citations.get("enabled"):
        raise _Refusal(f"{where}.citations", "citations have no OpenAI Chat Completions equivalent")
    source = block["source"]
    kind = source["type"]
    if kind == "base64":
        media_type = source["media_type"]
        if media_type != "application/pdf":
            raise _Refusal(f"{where}.source.media_type", "base64 documents must be application/pdf")
        parts.append(
            {
                "type": "file",
                "file": {
                    "filename": _pdf_filename(block.get("title")),
                    "file_data": "data:application/pdf;base64," + source["data"],
                },
            }
        )
    elif kind == "text":
        parts.append({"type": "text", "text": source["data"]})
    elif kind == "content":
        inner = source["content"]
        if inner.__class__ is str:
            parts.append({"type": "text", "text": inner})
            return
        for k, item in enumerate(inner):
            if item["type"] == "text":
                parts.append({"type": "text", "text": item["text"]})
            elif item["type"] == "image":
                parts.append(_image_part(item["source"], f"{where}.source.content[{k}]", files))
            else:
                raise _Refusal(
                    f"{where}.source.content[{k}]", f"block type {item['type']!r} is not supported"
                )
    elif kind == "file":
        ref = files.get(source["file_id"])
        if ref is not None and ref.content is not None and ref.mime_type.startswith("text/"):
            # Chat Completions reads only PDFs by file id; a text file's words go as text, as Anthropic reads them.
            parts.append({"type": "text", "text": ref.content.decode("utf-8", errors="replace")})
        elif ref is not None and ref.mime_type != "application/pdf":
            raise _Refusal(
                f"{where}.source.file_id",
                f"OpenAI Chat Completions reads PDF and text documents only, not {ref.mime_type}",
            )
        else:
            parts.append(
                {"type": "file", "file": {"file_id": _openai_file_id(source["file_id"], files, where)}}
            )
    elif kind == "url":
        raise _Refusal(
            f"{where}.source",
            "OpenAI cannot fetch documents by URL; send the PDF as base64, or upload it with "
            "x-model-provider: openai and reference its file id",
        )
    else:
        raise _Refusal(f"{where}.source.type", f"unknown document source {kind!r}")


def _pdf_filename(title: Any) -> str:
    if not title or title.__class__ is not str:
        return "document.pdf"
    return title if title.lower().endswith(".pdf") else title + ".pdf"


def _openai_file_id(file_id: str, files: Mapping[str, FileRef], where: str) -> str:
    ref = files.get(file_id)
    if ref is None:
        raise _Refusal(f"{where}.source.file_id", f"no file {file_id!r}")
    if ref.provider != "openai":
        raise _Refusal(
            f"{where}.source.file_id",
            f"file {file_id!r} is held by {ref.provider}; upload it with x-model-provider: openai to use it here",
        )
    return ref.provider_file_id


def _add_assistant_blocks(i: int, blocks: Any, out: list[dict]) -> dict[str, None] | None:
    """Appends one assistant message; returns its tool-call ids (awaiting tool results) or None."""
    texts: list[dict] = []
    calls: list[dict] = []
    for j, block in enumerate(blocks):
        kind = block["type"]
        if kind == "text":
            texts.append({"type": "text", "text": block["text"]})
        elif kind == "tool_use":
            calls.append(
                {
                    "id": openai_call_id(block["id"]),
                    "type": "function",
                    "function": {"name": block["name"], "arguments": _dumps(block["input"])},
                }
            )
        elif kind in ("thinking", "redacted_thinking"):
            continue  # Anthropic-only reasoning traces; OpenAI has no way to take them back
        else:
            raise _Refusal(
                f".messages[{i}].content[{j}]", f"assistant block type {kind!r} is not supported on OpenAI"
            )
    message: dict[str, Any] = {"role": "assistant"}
    if texts:
        message["content"] = texts[0]["text"] if len(texts) == 1 else texts
    else:
        message["content"] = None if calls else ""
    if calls:
        message["tool_calls"] = calls
    out.append(message)
    return dict.fromkeys(call["id"] for call in calls) if calls else None


def openai_call_id(tool_use_id: str) -> str:
    """OpenAI refuses tool call ids over 40 characters; longer Anthropic ids map to a stable short one (the
    same for the tool_use and its tool_result, so the pair still matches)."""
    if len(tool_use_id) <= 40:
        return tool_use_id
    return "call_" + hashlib.sha1(tool_use_id.encode()).hexdigest()[:32]


def _tools(tools: Any) -> list[dict]:
    out = []
    for k, tool in enumerate(tools):
        kind = tool.get("type")
        if kind is not None and kind != "custom":
            raise _Refusal(f".tools[{k}]", f"server tool {kind!r} has no OpenAI equivalent")
        name = tool["name"]
        if len(name) > MAX_TOOL_NAME:
            raise _Refusal(
                f".tools[{k}].name", f"OpenAI function names are at most {MAX_TOOL_NAME} characters"
            )
        function: dict[str, Any] = {"name": name}
        description = tool.get("description")
        if description is not None:
            function["description"] = description
        function["parameters"] = tool["input_schema"]
        if tool.get("strict") is True:
            function["strict"] = True
        out.append({"type": "function", "function": function})
    return out


def _tool_choice(choice: Mapping[str, Any], body: dict) -> None:
    kind = choice["type"]
    if kind == "tool":
        body["tool_choice"] = {"type": "function", "function": {"name": choice["name"]}}
    elif kind in _TOOL_CHOICES:
        body["tool_choice"] = _TOOL_CHOICES[kind]
    else:
        raise _Refusal(".tool_choice.type", f"unknown tool_choice {kind!r}")
    if choice.get("disable_parallel_tool_use") and kind != "none":
        body["parallel_tool_calls"] = False


# --------------------------------------------------------------------------------------------------------
# OpenAI batch output/error line → Anthropic result
# --------------------------------------------------------------------------------------------------------

_STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}


def result_from_line(
    line: Mapping[str, Any], hints: Mapping[str, Mapping[str, Any]] | None = None
) -> tuple[str, dict]:
    """An OpenAI batch output or error line → ``(custom_id, Anthropic result)``.

    ``hints`` maps custom_id → the request's original Anthropic ``params`` (only ``stop_sequences`` and
    ``model`` are read); see ``message_from_completion`` for how they are used.
    """
    custom_id = line["custom_id"]
    response = line.get("response")
    if response:
        status = response.get("status_code") or 500
        body = response.get("body")
        if 200 <= status < 300 and body:
            hint = hints.get(custom_id) if hints else None
            if hint:
                message = message_from_completion(body, hint.get("stop_sequences"), hint.get("model"))
            else:
                message = message_from_completion(body)
            return custom_id, {"type": "succeeded", "message": message}
        return custom_id, errored_result(
            status, _error_message(body, status), response.get("request_id") or None
        )
    error = line.get("error") or {}
    code = error.get("code")
    if code == "batch_expired":
        return custom_id, {"type": "expired"}
    if code == "batch_cancelled":
        return custom_id, {"type": "canceled"}
    return custom_id, errored_result(500, error.get("message") or f"OpenAI failed this request ({code})")


def _error_message(body: Any, status: int) -> str:
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
    return f"OpenAI answered HTTP {status}"


def message_from_completion(
    completion: Mapping[str, Any], stop_sequences: Any = None, model: str | None = None
) -> dict:
    """A ``chat.completion`` object → an Anthropic Message dict.

    ``stop_reason``: ``length`` → ``max_tokens``; ``tool_calls``/``function_call`` → ``tool_use``;
    ``content_filter`` or a non-null ``message.refusal`` → ``refusal`` (the refusal text goes to
    ``stop_details.explanation``); ``stop`` → ``end_turn``, or ``tool_use`` when tool calls came back.

    How ``stop_sequence`` is decided: OpenAI never says whether ``stop`` meant a natural end or one of the
    request's ``stop`` strings, and normally strips the matched string from the text. So when
    ``finish_reason`` is ``stop``, the request had ``stop_sequences`` (given here from the original params)
    and the returned text still ends with one of them, the reply is reported as ``stop_reason:
    "stop_sequence"`` with that sequence (the longest one that matches) and the sequence is cut from the
    text, as Anthropic does. In every other case ``stop_sequence`` is null and ``stop`` means ``end_turn``.

    Tool-call ``arguments`` that are not a JSON object (invalid JSON, or another JSON type) come back as
    ``input: {"_raw": "<the arguments string>"}`` so nothing the model produced is lost.

    ``id`` is ``msg_`` + the completion id without its ``chatcmpl-`` prefix (stable across re-reads);
    ``model`` is the response's model (``model`` argument only when the response has none).
    """
    choice = completion["choices"][0]
    message = choice["message"]
    finish = choice.get("finish_reason")
    stop_reason = _STOP_REASONS.get(finish, "end_turn")
    stop_sequence = None
    content: list[dict] = []

    text = message.get("content")
    if text:
        if stop_sequences and finish == "stop":
            matched = _matched_stop(text, stop_sequences)
            if matched is not None:
                stop_reason = "stop_sequence"
                stop_sequence = matched
                text = text[: len(text) - len(matched)]
        if text:
            content.append({"type": "text", "text": text})

    tool_calls = message.get("tool_calls")
    if tool_calls:
        for call in tool_calls:
            function = call.get("function")
            if function is None:
                continue  # OpenAI "custom" tool calls: never requested by this gateway
            content.append(
                {
                    "type": "tool_use",
                    "id": call["id"],
                    "name": function["name"],
                    "input": _tool_input(function),
                }
            )
        if stop_reason == "end_turn":
            stop_reason = "tool_use"

    result: dict[str, Any] = {
        "id": "msg_" + _message_suffix(completion),
        "type": "message",
        "role": "assistant",
        "model": completion.get("model") or model or "",
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": stop_sequence,
    }
    refusal = message.get("refusal")
    if refusal or finish == "content_filter":
        result["stop_reason"] = "refusal"
        result["stop_details"] = {"type": "refusal", "category": None, "explanation": refusal or None}
    result["usage"] = _usage(completion.get("usage"))
    return result


def _matched_stop(text: str, stop_sequences: Any) -> str | None:
    best = None
    for sequence in stop_sequences:
        if sequence and text.endswith(sequence) and (best is None or len(sequence) > len(best)):
            best = sequence
    return best


def _message_suffix(completion: Mapping[str, Any]) -> str:
    completion_id = completion.get("id") or ""
    if completion_id.startswith("chatcmpl-"):
        return completion_id[9:]
    return completion_id or "openai"


def _tool_input(function: Mapping[str, Any]) -> dict:
    arguments = function.get("arguments")
    if not arguments:
        return {}
    try:
        parsed = _loads(arguments)
    except (ValueError, TypeError):
        return {"_raw": arguments}
    return parsed if parsed.__class__ is dict else {"_raw": arguments}


def _usage(usage: Mapping[str, Any] | None) -> dict:
    if not usage:
        prompt = completion = cached = written = 0
    else:
        prompt = usage.get("prompt_tokens") or 0
        completion = usage.get("completion_tokens") or 0
        details = usage.get("prompt_tokens_details")
        cached = (details.get("cached_tokens") or 0) if details else 0
        written = (details.get("cache_write_tokens") or 0) if details else 0
    return {
        # Anthropic counts cache reads and writes apart from input_tokens; OpenAI includes them in prompt_tokens.
        "input_tokens": prompt - cached - written,
        "output_tokens": completion,
        "cache_creation_input_tokens": written,
        "cache_read_input_tokens": cached,
        "service_tier": "batch",
    }

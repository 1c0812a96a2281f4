"""Emulated Gemini Developer API (v1beta): resumable Files uploads and the Batch API.

``create_app(api_key, batch_seconds=...)`` returns an ASGI app whose root is the API base URL
(``/v1beta/...``, ``/upload/v1beta/files``, ``/download/v1beta/...``). State lives in memory per app;
batch status is derived from elapsed time at each request (no background threads).

Choices where the real API's behaviour is not pinned down by the contracts (reference part C):
- Auth: a missing key answers 403 PERMISSION_DENIED ("Method doesn't allow unregistered callers ...") and
  a wrong key 400 INVALID_ARGUMENT "API key not valid. Please pass a valid API key." with an ErrorInfo
  detail (reason API_KEY_INVALID) -- what generativelanguage.googleapis.com answers; it never sends 401.
  Upload session URLs (``?upload_id=``) are authorised by the session id, as the SDK sends no key there.
- Missing files answer 403 PERMISSION_DENIED "You do not have permission to access the File <id> or it
  may not exist." (the real wording); missing batches 404 NOT_FOUND.
- Downloading an uploaded (non-generated) file answers 400 FAILED_PRECONDITION; the SDK refuses it
  client-side ("Only generated files can be downloaded") before any request.
- Cancelling a finished batch answers 400 FAILED_PRECONDITION. A cancel takes effect after
  ``CANCEL_FRACTION * batch_seconds``; requests without ``[[hold]]`` are answered (partial output).
- An EXPIRED batch is ``done`` with an ``error`` Status (code 4, DEADLINE_EXCEEDED) and no output.
- pageSize above 100 is clamped to 100 (AIP-158); a negative pageSize is a 400.
- ``sha256Hash`` is base64 of the hex digest, as real File resources show it.
- Both inline and file outputs come back shuffled (deterministically, never in input order when there
  are two or more requests) so consumers must match by key; the real file output keeps input order.
- Request validation is a proto3-JSON parse (lowerCamelCase and snake_case names, unknown names
  rejected) plus the semantic checks listed in ``_check_request``; error messages follow the real
  wording where known and are close approximations otherwise.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import random
import re
import secrets
import string
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from starlette.requests import Request
from starlette.responses import Response

API_VERSION = "v1beta"
INLINE_LIMIT_BYTES = 20 * 1024 * 1024
MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024
FILE_TTL_SECONDS = 48 * 3600
PENDING_FRACTION = 0.2
CANCEL_FRACTION = 0.1
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100
MAX_STOP_SEQUENCES = 5
_PKG = "google.ai.generativelanguage.v1beta"
_BATCH_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch"
_OUTPUT_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput"
_RESPONSE_MIME_TYPES = {
    "text/plain",
    "application/json",
    "application/xml",
    "application/yaml",
    "text/x.enum",
}
_FUNCTION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:\-]{0,63}$")
_FILE_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
_ID_ALPHABET = string.ascii_lowercase + string.digits


# --------------------------------------------------------------------------------------------------
# Errors: every failure is {"error": {"code", "message", "status", "details"?}}


class GoogleError(Exception):
    def __init__(
        self, code: int, status: str, message: str, details: list | None = None, headers: dict | None = None
    ) -> None:
        super().__init__(message)
        self.code, self.status, self.message = code, status, message
        self.details, self.headers = details, headers or {}

    def body(self) -> dict:
        error = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            error["details"] = self.details
        return {"error": error}


def _invalid(message: str, field_path: str | None = None) -> GoogleError:
    details = None
    if field_path:
        violation = {"field": field_path, "description": message}
        details = [{"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [violation]}]
    return GoogleError(400, "INVALID_ARGUMENT", message, details)


def _file_missing(file_id: str) -> GoogleError:
    message = f"You do not have permission to access the File {file_id} or it may not exist."
    return GoogleError(403, "PERMISSION_DENIED", message)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# --------------------------------------------------------------------------------------------------
# proto3 JSON parsing: the real API parses bodies into protos, so names are checked before any semantics.

S, B, I32, I64, F, BY, ST, V = "string", "bool", "int32", "int64", "float", "bytes", "struct", "value"


def _list(spec: Any) -> tuple:
    return ("list", spec)


def _msg(name: str) -> tuple:
    return ("msg", name)


def _enum(name: str) -> tuple:
    return ("enum", name)


_ENUMS: dict[str, list[str]] = {
    "Type": ["TYPE_UNSPECIFIED", "STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL"],
    "FunctionCallingConfig.Mode": ["MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED"],
    "HarmCategory": [
        "HARM_CATEGORY_UNSPECIFIED",
        "HARM_CATEGORY_DEROGATORY",
        "HARM_CATEGORY_TOXICITY",
        "HARM_CATEGORY_VIOLENCE",
        "HARM_CATEGORY_SEXUAL",
        "HARM_CATEGORY_MEDICAL",
        "HARM_CATEGORY_DANGEROUS",
        "HARM_CATEGORY_HARASSMENT",
        "HARM_CATEGORY_HATE_SPEECH",
        "HARM_CATEGORY_SEXUALLY_EXPLICIT",
        "HARM_CATEGORY_DANGEROUS_CONTENT",
        "HARM_CATEGORY_CIVIC_INTEGRITY",
    ],
    "SafetySetting.HarmBlockThreshold": [
        "HARM_BLOCK_THRESHOLD_UNSPECIFIED",
        "BLOCK_LOW_AND_ABOVE",
        "BLOCK_MEDIUM_AND_ABOVE",
        "BLOCK_ONLY_HIGH",
        "BLOCK_NONE",
        "OFF",
    ],
    "GenerationConfig.Modality": ["MODALITY_UNSPECIFIED", "TEXT", "IMAGE", "AUDIO"],
    "GenerationConfig.MediaResolution": [
        "MEDIA_RESOLUTION_UNSPECIFIED",
        "MEDIA_RESOLUTION_LOW",
        "MEDIA_RESOLUTION_MEDIUM",
        "MEDIA_RESOLUTION_HIGH",
    ],
    "ThinkingConfig.ThinkingLevel": ["THINKING_LEVEL_UNSPECIFIED", "MINIMAL", "LOW", "MEDIUM", "HIGH"],
    "FunctionDeclaration.Behavior": ["UNSPECIFIED", "BLOCKING", "NON_BLOCKING"],
    "FunctionResponse.Scheduling": ["SCHEDULING_UNSPECIFIED", "SILENT", "WHEN_IDLE", "INTERRUPT"],
    "ExecutableCode.Language": ["LANGUAGE_UNSPECIFIED", "PYTHON"],
    "CodeExecutionResult.Outcome": [
        "OUTCOME_UNSPECIFIED",
        "OUTCOME_OK",
        "OUTCOME_FAILED",
        "OUTCOME_DEADLINE_EXCEEDED",
    ],
}
# Schema types are commonly sent lower-case ("object") and accepted; other enums are matched exactly.
_CASE_INSENSITIVE_ENUMS = {"Type"}

_PART_DATA = [
    "text",
    "inlineData",
    "fileData",
    "functionCall",
    "functionResponse",
    "executableCode",
    "codeExecutionResult",
    "toolCall",
    "toolResponse",
]

_MESSAGES: dict[str, dict[str, Any]] = {
    "GenerateContentRequest": {
        "model": S,
        "contents": _list(_msg("Content")),
        "systemInstruction": _msg("Content"),
        "tools": _list(_msg("Tool")),
        "toolConfig": _msg("ToolConfig"),
        "safetySettings": _list(_msg("SafetySetting")),
        "generationConfig": _msg("GenerationConfig"),
        "cachedContent": S,
    },
    "Content": {"role": S, "parts": _list(_msg("Part"))},
    "Part": {
        "text": S,
        "inlineData": _msg("Blob"),
        "fileData": _msg("FileData"),
        "functionCall": _msg("FunctionCall"),
        "functionResponse": _msg("FunctionResponse"),
        "executableCode": _msg("ExecutableCode"),
        "codeExecutionResult": _msg("CodeExecutionResult"),
        "toolCall": ST,
        "toolResponse": ST,
        "thought": B,
        "thoughtSignature": BY,
        "videoMetadata": _msg("VideoMetadata"),
        "partMetadata": ST,
        "mediaResolution": V,
    },
    "Blob": {"mimeType": S, "data": BY},
    "FileData": {"mimeType": S, "fileUri": S},
    "FunctionCall": {"id": S, "name": S, "args": ST},
    "FunctionResponse": {
        "id": S,
        "name": S,
        "response": ST,
        "willContinue": B,
        "scheduling": _enum("FunctionResponse.Scheduling"),
        "parts": _list(ST),
    },
    "VideoMetadata": {"startOffset": S, "endOffset": S, "fps": F},
    "ExecutableCode": {"language": _enum("ExecutableCode.Language"), "code": S},
    "CodeExecutionResult": {"outcome": _enum("CodeExecutionResult.Outcome"), "output": S},
    "Tool": {
        "functionDeclarations": _list(_msg("FunctionDeclaration")),
        "googleSearchRetrieval": ST,
        "codeExecution": ST,
        "googleSearch": ST,
        "urlContext": ST,
        "computerUse": ST,
        "fileSearch": ST,
        "googleMaps": ST,
    },
    "FunctionDeclaration": {
        "name": S,
        "description": S,
        "parameters": _msg("Schema"),
        "parametersJsonSchema": V,
        "response": _msg("Schema"),
        "responseJsonSchema": V,
        "behavior": _enum("FunctionDeclaration.Behavior"),
    },
    "Schema": {
        "type": _enum("Type"),
        "format": S,
        "title": S,
        "description": S,
        "nullable": B,
        "enum": _list(S),
        "maxItems": I64,
        "minItems": I64,
        "properties": ("map", _msg("Schema")),
        "required": _list(S),
        "minProperties": I64,
        "maxProperties": I64,
        "minLength": I64,
        "maxLength": I64,
        "pattern": S,
        "example": V,
        "anyOf": _list(_msg("Schema")),
        "propertyOrdering": _list(S),
        "default": V,
        "items": _msg("Schema"),
        "minimum": F,
        "maximum": F,
    },
    "ToolConfig": {"functionCallingConfig": _msg("FunctionCallingConfig"), "retrievalConfig": ST},
    "FunctionCallingConfig": {"mode": _enum("FunctionCallingConfig.Mode"), "allowedFunctionNames": _list(S)},
    "SafetySetting": {
        "category": _enum("HarmCategory"),
        "threshold": _enum("SafetySetting.HarmBlockThreshold"),
    },
    "GenerationConfig": {
        "stopSequences": _list(S),
        "responseMimeType": S,
        "responseSchema": _msg("Schema"),
        "responseJsonSchema": V,
        "responseModalities": _list(_enum("GenerationConfig.Modality")),
        "candidateCount": I32,
        "maxOutputTokens": I32,
        "temperature": F,
        "topP": F,
        "topK": I32,
        "seed": I32,
        "presencePenalty": F,
        "frequencyPenalty": F,
        "responseLogprobs": B,
        "logprobs": I32,
        "enableEnhancedCivicAnswers": B,
        "speechConfig": ST,
        "thinkingConfig": _msg("ThinkingConfig"),
        "imageConfig": ST,
        "mediaResolution": _enum("GenerationConfig.MediaResolution"),
    },
    "ThinkingConfig": {
        "includeThoughts": B,
        "thinkingBudget": I32,
        "thinkingLevel": _enum("ThinkingConfig.ThinkingLevel"),
    },
    "BatchGenerateContentRequest": {"batch": _msg("GenerateContentBatch")},
    # Output-only fields are accepted (and ignored) like any proto field.
    "GenerateContentBatch": {
        "model": S,
        "name": S,
        "displayName": S,
        "inputConfig": _msg("InputConfig"),
        "priority": I64,
        "output": V,
        "createTime": V,
        "endTime": V,
        "updateTime": V,
        "batchStats": V,
        "state": V,
    },
    "InputConfig": {"fileName": S, "requests": _msg("InlinedRequests")},
    "InlinedRequests": {"requests": _list(_msg("InlinedRequest"))},
    "InlinedRequest": {"request": _msg("GenerateContentRequest"), "metadata": ST},
    "BatchInputLine": {"key": S, "request": _msg("GenerateContentRequest")},
    "CreateFileRequest": {"file": _msg("File")},
    "File": {
        "name": S,
        "displayName": S,
        "mimeType": S,
        "sizeBytes": I64,
        "createTime": V,
        "updateTime": V,
        "expirationTime": V,
        "sha256Hash": V,
        "uri": V,
        "downloadUri": V,
        "state": V,
        "source": V,
        "error": V,
        "videoMetadata": V,
    },
}
_ONEOFS = {"Part": ("data", _PART_DATA), "InputConfig": ("source", ["fileName", "requests"])}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def parse_message(name: str, value: Any, path: str = "") -> dict:
    """Parse ``value`` as proto message ``name``; returns it with lowerCamelCase keys."""
    if not isinstance(value, dict):
        raise _invalid(f"Invalid value at '{path}' (type.googleapis.com/{_PKG}.{name}), {_json(value)}", path)
    fields = _MESSAGES[name]
    parsed: dict[str, Any] = {}
    for raw_key, raw_value in value.items():
        key = _camel(raw_key)
        if key not in fields:
            where = f" at '{path}'" if path else ""
            message = f'Invalid JSON payload received. Unknown name "{raw_key}"{where}: Cannot find field.'
            raise _invalid(message, path or None)
        if raw_value is None:  # proto3 JSON: null means "not set"
            continue
        parsed[key] = _parse_value(fields[key], raw_value, _join(path, _snake(key)))
    if name in _ONEOFS:
        oneof, members = _ONEOFS[name]
        chosen = [member for member in members if member in parsed]
        if len(chosen) > 1:
            message = (
                f"Invalid JSON payload received. Oneof field '{oneof}' is already set. "
                f"Cannot set '{chosen[1]}'"
            )
            raise _invalid(message, _join(path, _snake(chosen[1])))
    return parsed


def _parse_value(spec: Any, value: Any, path: str) -> Any:
    if isinstance(spec, tuple):
        kind, inner = spec
        if kind == "msg":
            return parse_message(inner, value, path)
        if kind == "enum":
            return _parse_enum(inner, value, path)
        if kind == "list":
            if not isinstance(value, list):
                raise _invalid(f"Invalid value at '{path}' (repeated field), {_json(value)}", path)
            return [_parse_value(inner, item, f"{path}[{i}]") for i, item in enumerate(value)]
        if not isinstance(value, dict):  # map
            raise _invalid(f"Invalid value at '{path}' (map field), {_json(value)}", path)
        return {key: _parse_value(inner, item, f'{path}["{key}"]') for key, item in value.items()}
    return _parse_scalar(spec, value, path)


def _parse_enum(name: str, value: Any, path: str) -> str:
    allowed = _ENUMS[name]
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(allowed):
        return allowed[value]
    if isinstance(value, str):
        candidate = value.upper() if name in _CASE_INSENSITIVE_ENUMS else value
        if candidate in allowed:
            return candidate
    raise _invalid(f"Invalid value at '{path}' (type.googleapis.com/{_PKG}.{name}), {_json(value)}", path)


def _parse_scalar(kind: str, value: Any, path: str) -> Any:
    bad = _invalid(f"Invalid value at '{path}' (TYPE_{kind.upper()}), {_json(value)}", path)
    if kind == V:
        return value
    if kind == ST:
        if not isinstance(value, dict):
            raise _invalid(f"Invalid value at '{path}' (type.googleapis.com/google.protobuf.Struct)", path)
        return value
    if kind == S:
        if not isinstance(value, str):
            raise bad
        return value
    if kind == B:
        if not isinstance(value, bool):
            raise bad
        return value
    if kind in (I32, I64):
        return _parse_int(value, bad)
    if kind == F:
        return _parse_float(value, bad)
    if not isinstance(value, str):  # bytes
        raise bad
    try:
        base64.b64decode(value.replace("-", "+").replace("_", "/") + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise _invalid(
            f"Invalid value at '{path}' (TYPE_BYTES), Base64 decoding failed for {_json(value)}", path
        ) from None
    return value


def _parse_int(value: Any, bad: GoogleError) -> int:
    if isinstance(value, bool):
        raise bad
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)
    raise bad


def _parse_float(value: Any, bad: GoogleError) -> float:
    if isinstance(value, bool):
        raise bad
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise bad


# --------------------------------------------------------------------------------------------------
# Semantic checks on a parsed GenerateContentRequest (what the real API rejects after parsing).


def _check_request(request: dict, path: str, resolve_file_uri) -> None:
    def fail(rel: str, what: str) -> GoogleError:
        return _invalid(f"* GenerateContentRequest.{rel}: {what}", _join(path, rel))

    contents = request.get("contents") or []
    if not contents:
        raise fail("contents", "contents is not specified")
    for i, content in enumerate(contents):
        if content.get("role", "") not in ("", "user", "model"):
            raise _invalid("Please use a valid role: user, model.", _join(path, f"contents[{i}].role"))
        parts = content.get("parts") or []
        if not parts:
            raise fail(f"contents[{i}].parts", "contents.parts must not be empty.")
        for j, part in enumerate(parts):
            _check_part(part, f"contents[{i}].parts[{j}]", fail, resolve_file_uri)

    system = request.get("systemInstruction")
    if system is not None:
        system_parts = system.get("parts") or []
        if not system_parts:
            raise fail("system_instruction.parts", "contents.parts must not be empty.")
        for j, part in enumerate(system_parts):
            if set(part) - {"text", "thought", "thoughtSignature"} or "text" not in part:
                raise fail(f"system_instruction.parts[{j}]", "only text parts are supported.")

    declared = _check_tools(request.get("tools") or [], fail)
    _check_tool_config(request.get("toolConfig") or {}, declared, fail)
    _check_generation_config(request.get("generationConfig") or {}, fail)
    if "cachedContent" in request:
        message = f"CachedContent not found (or permission denied): {request['cachedContent']}"
        raise GoogleError(403, "PERMISSION_DENIED", message)


def _check_part(part: dict, rel: str, fail, resolve_file_uri) -> None:
    if not any(member in part for member in _PART_DATA):
        raise fail(f"{rel}.data", "required oneof field 'data' must have one initialized field")
    if "inlineData" in part and not part["inlineData"].get("mimeType"):
        raise fail(f"{rel}.inline_data.mime_type", "mime_type is not specified")
    if "fileData" in part:
        uri = part["fileData"].get("fileUri")
        if not uri:
            raise fail(f"{rel}.file_data.file_uri", "file_uri is not specified")
        if not resolve_file_uri(uri):
            raise fail(f"{rel}.file_data.file_uri", f"Unsupported file uri: {uri}")
    if "functionCall" in part and not part["functionCall"].get("name"):
        raise fail(f"{rel}.function_call.name", "Name cannot be empty.")
    if "functionResponse" in part:
        response = part["functionResponse"]
        if not response.get("name"):
            raise fail(f"{rel}.function_response.name", "Name cannot be empty.")
        if "response" not in response:
            raise fail(f"{rel}.function_response.response", "response is not specified")


def _check_tools(tools: list, fail) -> list[str]:
    declared: list[str] = []
    for k, tool in enumerate(tools):
        for d, declaration in enumerate(tool.get("functionDeclarations") or []):
            rel = f"tools[{k}].function_declarations[{d}]"
            name = declaration.get("name", "")
            if not _FUNCTION_NAME.match(name):
                raise fail(
                    f"{rel}.name",
                    "Invalid function name. Must start with a letter or an underscore. Must be alphameric "
                    "(a-z, A-Z, 0-9), underscores (_), dots (.), colons (:), or dashes (-), with a maximum "
                    "length of 64.",
                )
            if name in declared:
                raise fail(f"{rel}.name", f"Duplicate function declaration found: {name}")
            if "parameters" in declaration and "parametersJsonSchema" in declaration:
                raise fail(rel, "parameters and parameters_json_schema cannot both be set.")
            schema = declaration.get("parametersJsonSchema")
            if schema is not None and not isinstance(schema, dict):
                raise fail(f"{rel}.parameters_json_schema", "must be a JSON object.")
            declared.append(name)
    return declared


def _check_tool_config(tool_config: dict, declared: list[str], fail) -> None:
    calling = tool_config.get("functionCallingConfig") or {}
    mode = calling.get("mode", "MODE_UNSPECIFIED")
    allowed = calling.get("allowedFunctionNames") or []
    rel = "tool_config.function_calling_config"
    if allowed and mode not in ("ANY", "VALIDATED"):
        raise fail(f"{rel}.allowed_function_names", "only allowed when mode is ANY or VALIDATED.")
    if mode in ("ANY", "VALIDATED") and not declared:
        raise fail(rel, "Function calling config is set without function_declarations.")
    for name in allowed:
        if name not in declared:
            raise fail(f"{rel}.allowed_function_names", f"{name} is not a declared function.")


def _check_generation_config(config: dict, fail) -> None:
    rel = "generation_config"
    ranges = {"temperature": (0.0, 2.0), "topP": (0.0, 1.0)}
    for key, (low, high) in ranges.items():
        if key in config and not low <= config[key] <= high:
            raise fail(f"{rel}.{_snake(key)}", f"must be between {low:g} and {high:g}, inclusive.")
    for key in ("topK", "maxOutputTokens", "candidateCount"):
        if config.get(key, 0) < 0:
            raise fail(f"{rel}.{_snake(key)}", "must be non-negative.")
    if config.get("candidateCount", 0) > 8:
        raise fail(f"{rel}.candidate_count", "must be at most 8.")
    if len(config.get("stopSequences") or []) > MAX_STOP_SEQUENCES:
        raise fail(f"{rel}.stop_sequences", f"at most {MAX_STOP_SEQUENCES} stop sequences are allowed.")
    mime = config.get("responseMimeType")
    if mime is not None and mime not in _RESPONSE_MIME_TYPES:
        raise fail(
            f"{rel}.response_mime_type",
            "allowed mimetypes are `text/plain`, `application/json`, `application/xml`, "
            "`application/yaml` and `text/x.enum`.",
        )
    if "responseSchema" in config and "responseJsonSchema" in config:
        raise fail(rel, "response_schema and response_json_schema cannot both be set.")
    thinking = config.get("thinkingConfig") or {}
    if "thinkingBudget" in thinking and "thinkingLevel" in thinking:
        raise fail(
            f"{rel}.thinking_config", "You can only set only one of thinking budget and thinking level."
        )


# --------------------------------------------------------------------------------------------------
# Deterministic replies (identical rules across the project's emulators).


def _text_of(parts: list) -> str:
    return " ".join(part["text"] for part in parts if "text" in part and not part.get("thought"))


def _word_count(request: dict) -> int:
    contents = list(request.get("contents") or [])
    if request.get("systemInstruction"):
        contents.append(request["systemInstruction"])
    return sum(len(part.get("text", "").split()) for content in contents for part in content.get("parts", []))


def _last_user_parts(request: dict) -> list:
    for content in reversed(request.get("contents") or []):
        if content.get("role", "user") in ("", "user"):
            return content.get("parts") or []
    return []


def _tool_said(function_response: dict) -> str:
    payload = function_response.get("response") or {}
    value = payload.get("content", payload.get("output", payload))
    return "Tool said: " + (value if isinstance(value, str) else _json(value))


def _usage(prompt: int, output: int) -> dict:
    counts = {"promptTokenCount": prompt, "candidatesTokenCount": output, "totalTokenCount": prompt + output}
    return {key: value for key, value in counts.items() if value}  # proto3 JSON omits zeros


def reply_for(request: dict, model: str, response_id: str) -> dict:
    """The per-request outcome: {"response": GenerateContentResponse} or {"error": Status}."""
    parts = _last_user_parts(request)
    text = _text_of(parts)
    prompt_words = _word_count(request)
    if "[[error]]" in text:
        return {
            "error": {
                "code": 400,
                "message": "Request contains an invalid argument.",
                "status": "INVALID_ARGUMENT",
            }
        }
    common = {"modelVersion": model, "responseId": response_id}
    if "[[block]]" in text:
        return {
            "response": {
                "promptFeedback": {"blockReason": "SAFETY"},
                "usageMetadata": _usage(prompt_words, 0),
                **common,
            }
        }
    functions = [
        d["name"] for tool in request.get("tools") or [] for d in tool.get("functionDeclarations") or []
    ]
    function_responses = [part["functionResponse"] for part in parts if "functionResponse" in part]
    if functions and "[[tool]]" in text:
        reply_parts = [{"functionCall": {"name": functions[0], "args": {"query": "value"}}}]
        output_words = 0
    else:
        reply = _tool_said(function_responses[-1]) if function_responses else "Reply to: " + text
        reply_parts = [{"text": reply}]
        output_words = len(reply.split())
    candidate = {"content": {"role": "model", "parts": reply_parts}, "finishReason": "STOP", "index": 0}
    return {
        "response": {"candidates": [candidate], "usageMetadata": _usage(prompt_words, output_words), **common}
    }


# --------------------------------------------------------------------------------------------------
# State


def _now() -> float:
    return time.time()


def _timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _new_id(length: int = 12) -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


@dataclass
class StoredFile:
    file_id: str
    display_name: str | None
    mime_type: str
    data: bytes
    created: float
    source: str  # UPLOADED | GENERATED

    def resource(self, base_url: str) -> dict:
        digest = hashlib.sha256(self.data).hexdigest().encode()
        resource = {
            "name": f"files/{self.file_id}",
            "displayName": self.display_name,
            "mimeType": self.mime_type,
            "sizeBytes": str(len(self.data)),
            "createTime": _timestamp(self.created),
            "updateTime": _timestamp(self.created),
            "expirationTime": _timestamp(self.created + FILE_TTL_SECONDS),
            "sha256Hash": base64.b64encode(digest).decode(),
            "uri": f"{base_url}/{API_VERSION}/files/{self.file_id}",
            "state": "ACTIVE",
            "source": self.source,
        }
        if self.source == "GENERATED":
            resource["downloadUri"] = (
                f"{base_url}/download/{API_VERSION}/files/{self.file_id}:download?alt=media"
            )
        return {key: value for key, value in resource.items() if value is not None}


@dataclass
class UploadSession:
    declared_size: int
    mime_type: str
    display_name: str | None
    file_id: str
    received: bytearray = field(default_factory=bytearray)


@dataclass
class BatchItem:
    metadata: dict | None  # inline: echoed metadata; file: {"key": ...}
    outcome: dict  # {"response": ...} | {"error": ...}
    held: bool


@dataclass
class Batch:
    batch_id: str
    model: str
    display_name: str | None
    input_config: dict
    from_file: bool
    items: list[BatchItem]
    created: float
    hold: bool
    expire: bool
    cancel_requested: float | None = None
    output_file_id: str | None = None


def _shuffled(items: list, seed: str) -> list:
    """Deterministic order that never equals the input order (for two or more items)."""
    order = list(items)
    random.Random(seed).shuffle(order)
    if len(order) > 1 and all(a is b for a, b in zip(order, items, strict=True)):
        order = order[1:] + order[:1]
    return order


class GeminiEmulator:
    def __init__(self, api_key: str, batch_seconds: float) -> None:
        self.api_key = api_key
        self.batch_seconds = batch_seconds
        self.files: dict[str, StoredFile] = {}
        self.sessions: dict[str, UploadSession] = {}
        self.batches: dict[str, Batch] = {}

    # ---- batch timeline ------------------------------------------------------------------------

    def state_of(self, batch: Batch, now: float) -> tuple[str, float, float | None]:
        """(state, updateTime, endTime) at ``now``."""
        running_at = batch.created + PENDING_FRACTION * self.batch_seconds
        if batch.cancel_requested is not None:
            cancelled_at = batch.cancel_requested + CANCEL_FRACTION * self.batch_seconds
            if now >= cancelled_at:
                return "BATCH_STATE_CANCELLED", cancelled_at, cancelled_at
        if now < running_at:
            return "BATCH_STATE_PENDING", batch.created, None
        finished_at = batch.created + self.batch_seconds
        if batch.hold or batch.cancel_requested is not None or now < finished_at:
            return "BATCH_STATE_RUNNING", running_at, None
        return ("BATCH_STATE_EXPIRED" if batch.expire else "BATCH_STATE_SUCCEEDED"), finished_at, finished_at

    def answered(self, batch: Batch, state: str) -> list[BatchItem]:
        if state == "BATCH_STATE_SUCCEEDED":
            return batch.items
        if state == "BATCH_STATE_CANCELLED":
            return [item for item in batch.items if not item.held]
        return []

    def settle(self, now: float) -> None:
        """Materialise the responses file of file-input batches that have ended."""
        for batch in self.batches.values():
            if not batch.from_file or batch.output_file_id:
                continue
            state, _, end = self.state_of(batch, now)
            if state not in ("BATCH_STATE_SUCCEEDED", "BATCH_STATE_CANCELLED"):
                continue
            lines = [
                _json({"key": (item.metadata or {}).get("key"), **item.outcome})
                for item in _shuffled(self.answered(batch, state), batch.batch_id)
            ]
            data = "".join(line + "\n" for line in lines).encode()
            file_id = f"batch-{batch.batch_id}"
            self.files[file_id] = StoredFile(file_id, None, "application/jsonl", data, end, "GENERATED")
            batch.output_file_id = file_id

    def operation(self, batch: Batch, now: float) -> dict:
        state, updated, ended = self.state_of(batch, now)
        answered = self.answered(batch, state)
        failed = sum(1 for item in answered if "error" in item.outcome)
        stats = {
            "requestCount": len(batch.items),
            "successfulRequestCount": len(answered) - failed,
            "failedRequestCount": failed,
            "pendingRequestCount": len(batch.items) - len(answered),
        }
        metadata: dict[str, Any] = {
            "@type": _BATCH_TYPE,
            "model": f"models/{batch.model}",
            "displayName": batch.display_name,
            "inputConfig": batch.input_config,
            "createTime": _timestamp(batch.created),
            "updateTime": _timestamp(updated),
            "endTime": _timestamp(ended) if ended is not None else None,
            "batchStats": {key: str(value) for key, value in stats.items() if value},
            "state": state,
            "name": f"batches/{batch.batch_id}",
        }
        operation: dict[str, Any] = {"name": f"batches/{batch.batch_id}"}
        if state in ("BATCH_STATE_SUCCEEDED", "BATCH_STATE_CANCELLED"):
            metadata["output"] = self._output(batch, answered)
        operation["metadata"] = {key: value for key, value in metadata.items() if value is not None}
        if state in ("BATCH_STATE_SUCCEEDED", "BATCH_STATE_CANCELLED"):
            operation.update(done=True, response={"@type": _OUTPUT_TYPE, **metadata["output"]})
        elif state == "BATCH_STATE_EXPIRED":
            error = {"code": 4, "message": "The batch expired before it could be completed."}
            operation.update(done=True, error=error)
        # while pending/running `done` is absent, as in real responses
        return operation

    def _output(self, batch: Batch, answered: list[BatchItem]) -> dict:
        if batch.from_file:
            return {"responsesFile": f"files/{batch.output_file_id}"}
        responses = []
        for item in _shuffled(answered, batch.batch_id):
            entry = dict(item.outcome)
            if item.metadata is not None:
                entry["metadata"] = item.metadata
            responses.append(entry)
        return {"inlinedResponses": {"inlinedResponses": responses} if responses else {}}

    # ---- lookups --------------------------------------------------------------------------------

    def get_file(self, file_id: str) -> StoredFile:
        if file_id not in self.files:
            raise _file_missing(file_id)
        return self.files[file_id]

    def get_batch(self, batch_id: str) -> Batch:
        if batch_id not in self.batches:
            raise GoogleError(404, "NOT_FOUND", "Requested entity was not found.")
        return self.batches[batch_id]

    def resolve_file_uri(self, uri: str) -> bool:
        parsed = urlparse(uri)
        match = re.fullmatch(rf"/{API_VERSION}/files/([a-z0-9-]+)", parsed.path)
        if parsed.scheme not in ("http", "https") or not match:
            return False
        self.get_file(match.group(1))  # a URI of ours naming a missing file is a 403, as for real
        return True


# --------------------------------------------------------------------------------------------------
# HTTP layer


def _json_response(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    return Response(
        json.dumps(body), status_code=status, headers=headers, media_type="application/json; charset=UTF-8"
    )


def _base_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"


def _page_size(request: Request) -> int:
    raw = request.query_params.get("pageSize", request.query_params.get("page_size"))
    if raw is None:
        return DEFAULT_PAGE_SIZE
    if not re.fullmatch(r"-?\d+", raw):
        raise _invalid(f"Invalid value at 'page_size' (TYPE_INT32), \"{raw}\"", "page_size")
    size = int(raw)
    if size < 0:
        raise _invalid("page_size must not be negative.", "page_size")
    return min(size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _paginate(request: Request, names: list[str]) -> tuple[list[str], str | None]:
    """Cursor pagination over ``names`` (newest first); the token encodes the last name returned."""
    size = _page_size(request)
    token = request.query_params.get("pageToken", request.query_params.get("page_token"))
    start = 0
    if token:
        try:
            last = base64.urlsafe_b64decode(token.encode()).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise _invalid("Invalid page token.", "page_token") from None
        if last not in names:
            raise _invalid("Invalid page token.", "page_token")
        start = names.index(last) + 1
    page = names[start : start + size]
    more = start + size < len(names)
    return page, (base64.urlsafe_b64encode(page[-1].encode()).decode() if more and page else None)


async def _read_json(request: Request, body: bytes | None = None) -> Any:
    raw = await request.body() if body is None else body
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise _invalid("Invalid JSON payload received. Unexpected token.") from None


class Handlers:
    def __init__(self, emulator: GeminiEmulator) -> None:
        self.emu = emulator

    # ---- files --------------------------------------------------------------------------------

    async def upload(self, request: Request) -> Response:
        if "upload_id" in request.query_params:
            return await self._upload_chunk(request, request.query_params["upload_id"])
        return await self._upload_start(request)

    async def _upload_start(self, request: Request) -> Response:
        headers = request.headers
        if headers.get("x-goog-upload-protocol", "").lower() != "resumable":
            raise _invalid(
                "Only the resumable upload protocol is supported: X-Goog-Upload-Protocol: resumable."
            )
        if headers.get("x-goog-upload-command", "").lower() != "start":
            raise _invalid("X-Goog-Upload-Command must be 'start' to begin a resumable upload.")
        raw_size = headers.get("x-goog-upload-header-content-length", "")
        if not raw_size.isdigit():
            raise _invalid("X-Goog-Upload-Header-Content-Length is missing or not a number.")
        size = int(raw_size)
        if size > MAX_FILE_BYTES:
            raise _invalid(f"File size {size} exceeds the maximum of {MAX_FILE_BYTES} bytes.")
        metadata = parse_message("CreateFileRequest", await _read_json(request)).get("file", {})
        if "sizeBytes" in metadata and metadata["sizeBytes"] != size:
            raise _invalid(
                "file.size_bytes does not match X-Goog-Upload-Header-Content-Length.", "file.size_bytes"
            )
        mime_type = metadata.get("mimeType") or headers.get("x-goog-upload-header-content-type")
        if not mime_type:
            raise _invalid("The file's MIME type is required (X-Goog-Upload-Header-Content-Type).")
        file_id = _new_id()
        if metadata.get("name"):
            file_id = metadata["name"].removeprefix("files/")
            if not _FILE_ID.match(file_id):
                raise _invalid(f"Invalid file name: {metadata['name']}", "file.name")
            if file_id in self.emu.files:
                raise GoogleError(409, "ALREADY_EXISTS", f"File files/{file_id} already exists.")
        session_id = secrets.token_urlsafe(24)
        self.emu.sessions[session_id] = UploadSession(size, mime_type, metadata.get("displayName"), file_id)
        upload_url = f"{_base_url(request)}/upload/{API_VERSION}/files?upload_id={session_id}&upload_protocol=resumable"
        session_headers = {
            "x-goog-upload-url": upload_url,
            "x-goog-upload-status": "active",
            "x-goog-upload-chunk-granularity": "262144",
        }
        return Response(b"", headers=session_headers)

    async def _upload_chunk(self, request: Request, session_id: str) -> Response:
        session = self.emu.sessions.get(session_id)
        if session is None:
            raise GoogleError(
                404, "NOT_FOUND", "Upload session not found.", headers={"x-goog-upload-status": "final"}
            )
        commands = {
            part.strip().lower() for part in request.headers.get("x-goog-upload-command", "").split(",")
        }
        active = {"x-goog-upload-status": "active", "x-goog-upload-size-received": str(len(session.received))}
        if commands == {"query"}:
            return Response(b"", headers=active)
        if commands == {"cancel"}:
            del self.emu.sessions[session_id]
            return Response(b"", headers={"x-goog-upload-status": "cancelled"})
        if not commands or not commands <= {"upload", "finalize"}:
            raise _invalid(
                "X-Goog-Upload-Command must be 'upload', 'upload, finalize', 'query' or 'cancel'.", None
            )
        offset = request.headers.get("x-goog-upload-offset", "")
        if not offset.isdigit():
            raise GoogleError(400, "INVALID_ARGUMENT", "X-Goog-Upload-Offset is missing.", headers=active)
        if int(offset) != len(session.received):
            message = (
                f"X-Goog-Upload-Offset {offset} does not match the {len(session.received)} bytes received."
            )
            raise GoogleError(400, "INVALID_ARGUMENT", message, headers=active)
        session.received += await request.body()
        if len(session.received) > session.declared_size or (
            "finalize" in commands and len(session.received) != session.declared_size
        ):
            del self.emu.sessions[session_id]
            message = (
                f"Upload size {len(session.received)} does not match the declared "
                f"X-Goog-Upload-Header-Content-Length {session.declared_size}."
            )
            raise GoogleError(400, "INVALID_ARGUMENT", message, headers={"x-goog-upload-status": "final"})
        if "finalize" not in commands:
            active["x-goog-upload-size-received"] = str(len(session.received))
            return Response(b"", headers=active)
        del self.emu.sessions[session_id]
        stored = StoredFile(
            session.file_id,
            session.display_name,
            session.mime_type,
            bytes(session.received),
            _now(),
            "UPLOADED",
        )
        self.emu.files[stored.file_id] = stored
        body = {"file": stored.resource(_base_url(request))}
        return _json_response(body, headers={"x-goog-upload-status": "final"})

    async def list_files(self, request: Request) -> Response:
        ordered = sorted(self.emu.files.values(), key=lambda f: (f.created, f.file_id), reverse=True)
        page, token = _paginate(request, [f.file_id for f in ordered])
        body: dict[str, Any] = {}
        if page:
            body["files"] = [self.emu.files[file_id].resource(_base_url(request)) for file_id in page]
        if token:
            body["nextPageToken"] = token
        return _json_response(body)

    async def get_file(self, request: Request, file_id: str) -> Response:
        return _json_response(self.emu.get_file(file_id).resource(_base_url(request)))

    async def delete_file(self, request: Request, file_id: str) -> Response:
        self.emu.get_file(file_id)
        del self.emu.files[file_id]
        return _json_response({})

    async def download(self, request: Request, file_id: str) -> Response:
        stored = self.emu.get_file(file_id)
        if request.query_params.get("alt") != "media":
            raise _invalid("Downloads require the query parameter alt=media.", "alt")
        if stored.source != "GENERATED":
            message = "Only generated files can be downloaded; uploaded files can't be downloaded."
            raise GoogleError(400, "FAILED_PRECONDITION", message)
        return Response(stored.data, media_type=stored.mime_type)

    # ---- batches ------------------------------------------------------------------------------

    async def create_batch(self, request: Request, model: str) -> Response:
        raw = await request.body()
        if len(raw) > INLINE_LIMIT_BYTES:
            raise _invalid(f"Request payload size exceeds the limit: {INLINE_LIMIT_BYTES} bytes.")
        body = parse_message("BatchGenerateContentRequest", await _read_json(request, raw))
        if "batch" not in body:
            raise _invalid("* BatchGenerateContentRequest.batch: batch is not specified", "batch")
        spec = body["batch"]
        input_config = spec.get("inputConfig")
        if not input_config:
            raise _invalid(
                "* GenerateContentBatch.input_config: input_config is not specified", "batch.input_config"
            )
        batch_id = _new_id(32)
        if "fileName" in input_config:
            pairs = self._file_requests(input_config["fileName"])
        else:
            pairs = self._inline_requests(input_config.get("requests", {}).get("requests") or [])
        items = []
        for index, (metadata, gen_request) in enumerate(pairs):
            response_id = hashlib.sha256(f"{batch_id}:{index}".encode()).hexdigest()[:22]
            held = "[[hold]]" in _text_of(_last_user_parts(gen_request))
            items.append(BatchItem(metadata, reply_for(gen_request, model, response_id), held))
        texts = [_text_of(_last_user_parts(gen_request)) for _, gen_request in pairs]
        batch = Batch(
            batch_id=batch_id,
            model=model,
            display_name=spec.get("displayName"),
            input_config=input_config,
            from_file="fileName" in input_config,
            items=items,
            created=_now(),
            hold=any(item.held for item in items),
            expire=any("[[expire]]" in text for text in texts),
        )
        self.emu.batches[batch_id] = batch
        return _json_response(self.emu.operation(batch, _now()))

    def _inline_requests(self, requests: list) -> list[tuple[dict | None, dict]]:
        if not requests:
            message = "* GenerateContentBatch.input_config.requests: at least one request is required"
            raise _invalid(message, "batch.input_config.requests.requests")
        pairs = []
        for i, item in enumerate(requests):
            path = f"batch.input_config.requests.requests[{i}].request"
            if "request" not in item:
                raise _invalid(f"* {path}: request is not specified", path)
            _check_request(item["request"], path, self.emu.resolve_file_uri)
            pairs.append((item.get("metadata"), item["request"]))
        return pairs

    def _file_requests(self, file_name: str) -> list[tuple[dict | None, dict]]:
        stored = self.emu.get_file(file_name.removeprefix("files/"))
        pairs = []
        for number, line in enumerate(stored.data.decode("utf-8", errors="replace").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                entry = parse_message("BatchInputLine", json.loads(line))
                if "request" not in entry:
                    raise _invalid("request is not specified", "request")
                _check_request(entry["request"], "request", self.emu.resolve_file_uri)
            except json.JSONDecodeError:
                raise _invalid(f"Input file {file_name} line {number}: invalid JSON.") from None
            except GoogleError as error:
                error.message = f"Input file {file_name} line {number}: {error.message}"
                raise
            pairs.append(({"key": entry["key"]} if "key" in entry else None, entry["request"]))
        if not pairs:
            raise _invalid(f"Input file {file_name} contains no requests.", "batch.input_config.file_name")
        return pairs

    async def get_batch(self, request: Request, batch_id: str) -> Response:
        return _json_response(self.emu.operation(self.emu.get_batch(batch_id), _now()))

    async def list_batches(self, request: Request) -> Response:
        ordered = sorted(self.emu.batches.values(), key=lambda b: (b.created, b.batch_id), reverse=True)
        page, token = _paginate(request, [b.batch_id for b in ordered])
        now = _now()
        body: dict[str, Any] = {}
        if page:
            body["operations"] = [self.emu.operation(self.emu.batches[batch_id], now) for batch_id in page]
        if token:
            body["nextPageToken"] = token
        return _json_response(body)

    async def cancel_batch(self, request: Request, batch_id: str) -> Response:
        batch = self.emu.get_batch(batch_id)
        state, _, _ = self.emu.state_of(batch, _now())
        if state not in ("BATCH_STATE_PENDING", "BATCH_STATE_RUNNING"):
            message = (
                f"Batch batches/{batch_id} is already in a terminal state ({state}) and cannot be cancelled."
            )
            raise GoogleError(400, "FAILED_PRECONDITION", message)
        if batch.cancel_requested is None:
            batch.cancel_requested = _now()
        return _json_response({})

    async def delete_batch(self, request: Request, batch_id: str) -> Response:
        self.emu.get_batch(batch_id)
        del self.emu.batches[batch_id]
        return _json_response({})


_SEGMENT = r"([^/:]+)"


def _routes(handlers: Handlers) -> list[tuple[str, re.Pattern, Any, bool]]:
    """(method, path pattern, handler, always needs the API key)."""
    table = [
        ("POST", "/upload/v1beta/files", handlers.upload, False),
        ("GET", "/v1beta/files", handlers.list_files, True),
        ("GET", f"/v1beta/files/{_SEGMENT}:download", handlers.download, True),
        ("GET", f"/download/v1beta/files/{_SEGMENT}:download", handlers.download, True),
        ("GET", f"/v1beta/files/{_SEGMENT}", handlers.get_file, True),
        ("DELETE", f"/v1beta/files/{_SEGMENT}", handlers.delete_file, True),
        ("POST", f"/v1beta/models/{_SEGMENT}:batchGenerateContent", handlers.create_batch, True),
        ("GET", "/v1beta/batches", handlers.list_batches, True),
        ("POST", f"/v1beta/batches/{_SEGMENT}:cancel", handlers.cancel_batch, True),
        ("GET", f"/v1beta/batches/{_SEGMENT}", handlers.get_batch, True),
        ("DELETE", f"/v1beta/batches/{_SEGMENT}", handlers.delete_batch, True),
    ]
    return [(method, re.compile(pattern + "$"), handler, keyed) for method, pattern, handler, keyed in table]


def _check_key(request: Request, api_key: str) -> None:
    given = request.headers.get("x-goog-api-key") or request.query_params.get("key")
    if not given:
        message = (
            "Method doesn't allow unregistered callers (callers without established identity). "
            "Please use API Key or other form of API consumer identity to call this API."
        )
        raise GoogleError(403, "PERMISSION_DENIED", message)
    if not secrets.compare_digest(given.encode(), api_key.encode()):
        info = {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
            "metadata": {"service": "generativelanguage.googleapis.com"},
        }
        raise GoogleError(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", [info])


def create_app(api_key: str = "emulator-key", *, batch_seconds: float = 1.0):
    """ASGI app emulating the Gemini Developer API (v1beta) Files and Batch endpoints."""
    emulator = GeminiEmulator(api_key, batch_seconds)
    routes = _routes(Handlers(emulator))

    async def app(scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        try:
            response = await _dispatch(request)
        except GoogleError as error:
            response = _json_response(error.body(), error.code, error.headers)
        await response(scope, receive, send)

    async def _dispatch(request: Request) -> Response:
        path = request.url.path
        for method, pattern, handler, needs_key in routes:
            match = pattern.match(path)
            if match and request.method == method:
                # Upload session URLs carry no key: the session id authorises the chunks.
                if needs_key or "upload_id" not in request.query_params:
                    _check_key(request, api_key)
                emulator.settle(_now())
                return await handler(request, *match.groups())
        raise GoogleError(404, "NOT_FOUND", f"Method not found: {request.method} {path}")

    app.emulator = emulator  # for tests that need to inspect state
    return app

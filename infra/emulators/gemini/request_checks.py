"""Semantic checks on a parsed GenerateContentRequest: what the real API rejects after parsing."""

from __future__ import annotations

import re
from collections.abc import Callable

from infra.emulators.gemini.errors import GoogleError, invalid
from infra.emulators.gemini.proto import join_path, snake
from infra.emulators.gemini.proto_schema import PART_DATA

MAX_STOP_SEQUENCES = 5
_RESPONSE_MIME_TYPES = {
    "text/plain",
    "application/json",
    "application/xml",
    "application/yaml",
    "text/x.enum",
}
_FUNCTION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:\-]{0,63}$")
# The image types Gemini reads (image-understanding guide); image/gif and others are refused.
IMAGE_MIME_TYPES = {"image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"}
_GEMINI_MAJOR = re.compile(r"gemini-(\d+)")


def check_request(request: dict, path: str, resolve_file_uri: Callable[[str], bool], model: str = "") -> None:
    """Raise the first semantic error of ``request`` (at ``path``) for ``model``; ``resolve_file_uri``: is a
    URI ours?"""

    def fail(rel: str, what: str) -> GoogleError:
        return invalid(f"* GenerateContentRequest.{rel}: {what}", join_path(path, rel))

    contents = request.get("contents") or []
    if not contents:
        raise fail("contents", "contents is not specified")
    for i, content in enumerate(contents):
        if content.get("role", "") not in ("", "user", "model"):
            raise invalid("Please use a valid role: user, model.", join_path(path, f"contents[{i}].role"))
        parts = content.get("parts") or []
        if not parts:
            raise fail(f"contents[{i}].parts", "contents.parts must not be empty.")
        for j, part in enumerate(parts):
            _check_part(part, f"contents[{i}].parts[{j}]", fail, resolve_file_uri)
    if _validates_thought_signatures(model):
        _check_thought_signatures(contents, path)

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
    # proto3: an empty string is the default value, so {"text": ""} leaves the oneof unset.
    if not any(member in part and part[member] != "" for member in PART_DATA):
        raise fail(f"{rel}.data", "required oneof field 'data' must have one initialized field")
    if "inlineData" in part and not part["inlineData"].get("mimeType"):
        raise fail(f"{rel}.inline_data.mime_type", "mime_type is not specified")
    for member in ("inlineData", "fileData"):
        mime_type = (part.get(member) or {}).get("mimeType") or ""
        if mime_type.startswith("image/") and mime_type not in IMAGE_MIME_TYPES:
            raise invalid(f"Unsupported MIME type: {mime_type}")
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


def _validates_thought_signatures(model: str) -> bool:
    """Gemini 3 models (the -latest aliases point at them) refuse replayed calls without a signature."""
    match = _GEMINI_MAJOR.search(model)
    return bool(match and int(match.group(1)) >= 3) or model.endswith("-latest")


def _check_thought_signatures(contents: list, path: str) -> None:
    """The first function call of each model step in the current turn (since the last user text) must carry
    the thought signature the model returned with it."""
    start = 0
    for i, content in enumerate(contents):
        if content.get("role", "user") == "user" and any(
            "text" in part for part in content.get("parts") or []
        ):
            start = i + 1
    for i in range(start, len(contents)):
        if contents[i].get("role") != "model":
            continue
        calls = [(j, part) for j, part in enumerate(contents[i].get("parts") or []) if "functionCall" in part]
        if calls and not calls[0][1].get("thoughtSignature"):
            j, part = calls[0]
            raise invalid(
                "Function call is missing a thought_signature in functionCall parts. This is required for "
                f"tools to work correctly. Additional data, function call `{part['functionCall'].get('name')}` "
                f", position {j + 1}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures "
                "for more details.",
                join_path(path, f"contents[{i}].parts[{j}]"),
            )


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
            raise fail(f"{rel}.{snake(key)}", f"must be between {low:g} and {high:g}, inclusive.")
    for key in ("topK", "maxOutputTokens", "candidateCount"):
        if config.get(key, 0) < 0:
            raise fail(f"{rel}.{snake(key)}", "must be non-negative.")
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

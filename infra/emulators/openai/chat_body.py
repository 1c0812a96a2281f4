"""Validation of one Chat Completions request body, like the real endpoint (messages live in messages.py)."""

from __future__ import annotations

import re
from typing import Any

from infra.emulators.openai.errors import LineError
from infra.emulators.openai.field_checks import (
    expect_keys,
    expect_kind,
    expect_non_empty_list,
    expect_range,
    expect_type,
    metadata_problem,
    require,
)
from infra.emulators.openai.messages import check_messages

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

MAX_STOP_SEQUENCES = 4
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def _check_tool(tool: Any, param: str) -> str:
    """Validate one tool definition; returns its name."""
    expect_type(tool, (dict,), param, "an object")
    kind = require(tool, "type", param)
    expect_kind(kind, param)
    expect_keys(tool, {"type", kind}, param)
    spec = require(tool, kind, param)
    expect_type(spec, (dict,), f"{param}.{kind}", "an object")
    allowed = (
        {"name", "description", "parameters", "strict"}
        if kind == "function"
        else {"name", "description", "format"}
    )
    expect_keys(spec, allowed, f"{param}.{kind}")
    name = require(spec, "name", f"{param}.{kind}")
    if not isinstance(name, str) or not _TOOL_NAME.match(name):
        raise LineError(
            "invalid_request",
            f"Invalid '{param}.{kind}.name': string does not match pattern. Expected a string that matches "
            "the pattern '^[a-zA-Z0-9_-]+$' with at most 64 characters.",
            f"{param}.{kind}.name",
        )
    if "parameters" in spec:
        expect_type(spec["parameters"], (dict,), f"{param}.function.parameters", "an object")
    if "description" in spec:
        expect_type(spec["description"], (str,), f"{param}.{kind}.description", "a string")
    return name


def _check_tool_choice(body: dict, names: list[str]) -> None:
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        kind = choice.get("type")
        if kind in ("function", "custom"):
            expect_keys(choice, {"type", kind}, "body.tool_choice")
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


def _check_tools(body: dict) -> None:
    tools = body.get("tools")
    if tools is None:
        for key in ("tool_choice", "parallel_tool_calls"):
            if key in body:
                raise LineError(
                    "invalid_request",
                    f"Invalid value for '{key}': '{key}' is only allowed when 'tools' are specified.",
                    f"body.{key}",
                )
        return
    names = [
        _check_tool(tool, f"body.tools[{index}]")
        for index, tool in enumerate(expect_non_empty_list(tools, "body.tools"))
    ]
    _check_tool_choice(body, names)
    if "parallel_tool_calls" in body:
        expect_type(body["parallel_tool_calls"], (bool,), "body.parallel_tool_calls", "a boolean")


def _check_stop(stop: Any) -> None:
    if stop is None or isinstance(stop, str):
        return
    expect_type(stop, (str, list), "body.stop", "a string or an array of strings")
    if len(stop) > MAX_STOP_SEQUENCES:
        raise LineError(
            "invalid_request",
            f"Invalid 'body.stop': array too long. Expected an array with maximum length {MAX_STOP_SEQUENCES}, "
            f"but got an array with length {len(stop)} instead.",
            "body.stop",
        )
    for index, item in enumerate(stop):
        expect_type(item, (str,), f"body.stop[{index}]", "a string")


_RANGES = {
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


def _check_scalars(body: dict) -> None:
    for key, (low, high, integer) in _RANGES.items():
        if body.get(key) is not None:
            expect_range(body[key], f"body.{key}", low, high, integer=integer)
    for key in ("user", "safety_identifier", "prompt_cache_key"):
        if key in body:
            expect_type(body[key], (str,), f"body.{key}", "a string")
    if len(body.get("safety_identifier") or "") > 128:
        raise LineError(
            "invalid_request",
            "Invalid 'safety_identifier': string too long. Expected a string with maximum length 128.",
            "body.safety_identifier",
        )
    for key in ("logprobs", "store"):
        if body.get(key) is not None:
            expect_type(body[key], (bool,), f"body.{key}", "a boolean")
    if body.get("stream"):
        raise LineError("invalid_request", "Streaming is not supported by the Batch API.", "body.stream")
    effort = body.get("reasoning_effort")
    if effort is not None and effort not in ("none", "minimal", "low", "medium", "high", "xhigh", "max"):
        raise LineError("invalid_request", f"Invalid value: '{effort}'.", "body.reasoning_effort")
    fmt = body.get("response_format")
    if fmt is not None:
        expect_type(fmt, (dict,), "body.response_format", "an object")
        if fmt.get("type") not in ("text", "json_object", "json_schema"):
            raise LineError(
                "invalid_request", "Invalid value for 'response_format.type'.", "body.response_format.type"
            )
        if fmt["type"] == "json_schema":
            _check_json_schema_format(fmt.get("json_schema"))
    if body.get("metadata") is not None and (problem := metadata_problem(body["metadata"], "body.metadata")):
        raise LineError("invalid_request", problem, "body.metadata")


def _check_json_schema_format(spec: Any) -> None:
    param = "body.response_format.json_schema"
    expect_type(spec, (dict,), param, "an object")
    name = spec.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", name):
        raise LineError("invalid_request", f"Missing required parameter: '{param}.name'.", f"{param}.name")
    schema = spec.get("schema")
    if spec.get("strict") is True and not (isinstance(schema, dict) and schema.get("type") == "object"):
        raise LineError(
            "invalid_request",
            f"Invalid schema for response_format '{name}': schema must be a JSON Schema of 'type: \"object\"'.",
            f"{param}.schema",
        )
    if spec.get("strict") is True and (problem := _strict_schema_problem(schema, ())):
        raise LineError(
            "invalid_request", f"Invalid schema for response_format '{name}': {problem}", f"{param}.schema"
        )


def _strict_schema_problem(schema: Any, context: tuple) -> str | None:
    """What OpenAI's strict mode refuses in ``schema``: objects must require every property and close."""
    if isinstance(schema, list):
        return next((p for item in schema if (p := _strict_schema_problem(item, context))), None)
    if not isinstance(schema, dict):
        return None
    properties = schema.get("properties") or {}
    if schema.get("type") == "object" or properties:
        if schema.get("additionalProperties") is not False:
            return f"In context={context}, 'additionalProperties' is required to be supplied and to be false."
        missing = sorted(set(properties) - set(schema.get("required") or ()))
        if missing:
            return (
                f"In context={context}, 'required' is required to be supplied and to be an array including "
                f"every key in properties. Missing '{missing[0]}'."
            )
    for key, value in properties.items():
        if problem := _strict_schema_problem(value, (*context, "properties", key)):
            return problem
    for key in ("items", "anyOf", "allOf", "oneOf", "$defs", "definitions"):
        if key in schema:
            inner = schema[key]
            values = (
                list(inner.values()) if isinstance(inner, dict) and key in ("$defs", "definitions") else inner
            )
            if problem := _strict_schema_problem(values, (*context, key)):
                return problem
    return None


def check_chat_body(body: Any) -> str:
    """Validate a Chat Completions request body like the real endpoint; returns its model."""
    expect_type(body, (dict,), "body", "an object")
    for key in body:
        if key not in CHAT_PARAMS:
            raise LineError(
                "invalid_request", f"Unrecognized request argument supplied: {key}", f"body.{key}"
            )
    model = require(body, "model", "body")
    expect_type(model, (str,), "body.model", "a string")
    if not model:
        raise LineError("invalid_request", "Invalid 'body.model': empty string.", "body.model")
    check_messages(require(body, "messages", "body"))
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

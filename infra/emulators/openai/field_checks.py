"""Type, range and shape checks on one JSON value, failing as OpenAI words them (a ``LineError``)."""

from __future__ import annotations

from typing import Any

from infra.emulators.openai.errors import LineError

MAX_METADATA_PAIRS, MAX_METADATA_KEY, MAX_METADATA_VALUE = 16, 64, 512


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return {str: "string", int: "integer", float: "decimal", list: "array", dict: "object"}.get(
        type(value), "value"
    )


def expect_type(value: Any, kinds: tuple[type, ...], param: str, expected: str) -> None:
    # bool is an int in Python but not in JSON Schema.
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        raise LineError(
            "invalid_request",
            f"Invalid type for '{param}': expected {expected}, but got {_type_name(value)} instead.",
            param,
        )


def expect_range(value: Any, param: str, low: float | None, high: float | None, *, integer: bool) -> None:
    expect_type(value, (int,) if integer else (int, float), param, "an integer" if integer else "a decimal")
    if low is not None and value < low:
        raise LineError(
            "invalid_request", f"Invalid '{param}': expected a value >= {low}, but got {value}.", param
        )
    if high is not None and value > high:
        raise LineError(
            "invalid_request", f"Invalid '{param}': expected a value <= {high}, but got {value}.", param
        )


def expect_keys(obj: dict, allowed: set[str] | frozenset[str], param: str) -> None:
    for key in obj:
        if key not in allowed:
            raise LineError(
                "invalid_request",
                f"Invalid '{param}': additional properties are not allowed ('{key}' was unexpected).",
                f"{param}.{key}",
            )


def require(obj: dict, key: str, param: str) -> Any:
    if key not in obj:
        raise LineError(
            "missing_required_parameter", f"Missing required parameter: '{param}.{key}'.", f"{param}.{key}"
        )
    return obj[key]


def expect_non_empty_list(value: Any, param: str) -> list:
    expect_type(value, (list,), param, "an array")
    if not value:
        raise LineError(
            "invalid_request",
            f"Invalid '{param}': empty array. Expected an array with minimum length 1, "
            "but got an empty array instead.",
            param,
        )
    return value


def expect_kind(kind: Any, param: str) -> None:
    """Tools and tool calls are either 'function' or 'custom'."""
    if kind not in ("function", "custom"):
        raise LineError(
            "invalid_request",
            f"Invalid value: '{kind}'. Supported values are: 'function', 'custom'.",
            f"{param}.type",
        )


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

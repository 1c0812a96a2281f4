"""proto3 JSON parsing: the real API parses bodies into protos, so names are checked before any semantics.

Accepts lowerCamelCase and snake_case names, rejects unknown ones, treats null as unset, and returns the
message with lowerCamelCase keys.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from infra.emulators.gemini.errors import GoogleError, invalid
from infra.emulators.gemini.proto_schema import (
    CASE_INSENSITIVE_ENUMS,
    ENUMS,
    I32,
    I64,
    MESSAGES,
    ONEOFS,
    PKG,
    ST,
    B,
    F,
    S,
    V,
)


def json_text(value: Any) -> str:
    """JSON as the API writes it (UTF-8 text, not ASCII-escaped)."""
    return json.dumps(value, ensure_ascii=False)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def join_path(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def parse_message(name: str, value: Any, path: str = "") -> dict:
    """Parse ``value`` as proto message ``name``; returns it with lowerCamelCase keys."""
    if not isinstance(value, dict):
        raise invalid(
            f"Invalid value at '{path}' (type.googleapis.com/{PKG}.{name}), {json_text(value)}", path
        )
    fields = MESSAGES[name]
    parsed: dict[str, Any] = {}
    for raw_key, raw_value in value.items():
        key = _camel(raw_key)
        if key not in fields:
            where = f" at '{path}'" if path else ""
            message = f'Invalid JSON payload received. Unknown name "{raw_key}"{where}: Cannot find field.'
            raise invalid(message, path or None)
        if raw_value is None:  # proto3 JSON: null means "not set"
            continue
        parsed[key] = _parse_value(fields[key], raw_value, join_path(path, snake(key)))
    if name in ONEOFS:
        oneof, members = ONEOFS[name]
        chosen = [member for member in members if member in parsed]
        if len(chosen) > 1:
            message = (
                f"Invalid JSON payload received. Oneof field '{oneof}' is already set. "
                f"Cannot set '{chosen[1]}'"
            )
            raise invalid(message, join_path(path, snake(chosen[1])))
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
                raise invalid(f"Invalid value at '{path}' (repeated field), {json_text(value)}", path)
            return [_parse_value(inner, item, f"{path}[{i}]") for i, item in enumerate(value)]
        if not isinstance(value, dict):  # map
            raise invalid(f"Invalid value at '{path}' (map field), {json_text(value)}", path)
        return {key: _parse_value(inner, item, f'{path}["{key}"]') for key, item in value.items()}
    return _parse_scalar(spec, value, path)


def _parse_enum(name: str, value: Any, path: str) -> str:
    allowed = ENUMS[name]
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(allowed):
        return allowed[value]
    if isinstance(value, str):
        candidate = value.upper() if name in CASE_INSENSITIVE_ENUMS else value
        if candidate in allowed:
            return candidate
    raise invalid(f"Invalid value at '{path}' (type.googleapis.com/{PKG}.{name}), {json_text(value)}", path)


def _parse_scalar(kind: str, value: Any, path: str) -> Any:
    bad = invalid(f"Invalid value at '{path}' (TYPE_{kind.upper()}), {json_text(value)}", path)
    if kind == V:
        return value
    if kind == ST:
        if not isinstance(value, dict):
            raise invalid(f"Invalid value at '{path}' (type.googleapis.com/google.protobuf.Struct)", path)
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
        raise invalid(
            f"Invalid value at '{path}' (TYPE_BYTES), Base64 decoding failed for {json_text(value)}", path
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

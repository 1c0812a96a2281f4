"""Gateway-minted opaque identifiers and timestamps."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _token(n: int = 24) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


def _time_prefix() -> str:
    """10 base62 digits of the creation time in microseconds: ids sort in creation order (ASCII order of the
    alphabet), so an id is its own paging cursor, valid even after the item it names was deleted."""
    value = time.time_ns() // 1000
    digits = []
    for _ in range(10):
        value, rest = divmod(value, 62)
        digits.append(_ALPHABET[rest])
    return "".join(reversed(digits))


def new_batch_id() -> str:
    return "msgbatch_" + _time_prefix() + _token(14)


def new_file_id() -> str:
    return "file_" + _time_prefix() + _token(14)


def new_request_id() -> str:
    return "req_" + _token()


def is_gateway_file_id(value: str) -> bool:
    return value.startswith("file_") and len(value) == 29


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime) -> str:
    """RFC 3339 with microseconds and a Z (sorts lexicographically in time order)."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))

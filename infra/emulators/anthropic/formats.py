"""Anthropic's id and timestamp formats."""

from __future__ import annotations

import secrets
import string
from datetime import UTC, datetime

_ID_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str) -> str:
    return prefix + "01" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(22))


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")

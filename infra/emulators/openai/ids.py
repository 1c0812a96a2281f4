"""Random ids in OpenAI's formats."""

from __future__ import annotations

import secrets
import string

_ID_ALPHABET = string.ascii_letters + string.digits


def random_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def request_id() -> str:
    return "req_" + secrets.token_hex(16)

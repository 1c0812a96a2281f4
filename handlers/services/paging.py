"""Opaque page tokens of the file list's newer paging style (``page`` / ``next_page``)."""

from __future__ import annotations

import base64

from handlers.errors import ApiError


def encode_page_token(last_id: str) -> str:
    return "page_" + base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def decode_page_token(token: str) -> str:
    body = token.removeprefix("page_")
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"invalid page token {token!r}") from exc

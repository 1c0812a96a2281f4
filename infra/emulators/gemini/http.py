"""HTTP helpers of the Gemini emulator: JSON responses, the base URL, page tokens and body parsing."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from infra.emulators.gemini.errors import invalid

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100


def json_response(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    return Response(
        json.dumps(body), status_code=status, headers=headers, media_type="application/json; charset=UTF-8"
    )


def base_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"


def _page_size(request: Request) -> int:
    raw = request.query_params.get("pageSize", request.query_params.get("page_size"))
    if raw is None:
        return DEFAULT_PAGE_SIZE
    if not re.fullmatch(r"-?\d+", raw):
        raise invalid(f"Invalid value at 'page_size' (TYPE_INT32), \"{raw}\"", "page_size")
    size = int(raw)
    if size < 0:
        raise invalid("page_size must not be negative.", "page_size")
    return min(size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def paginate(request: Request, names: list[str]) -> tuple[list[str], str | None]:
    """Cursor pagination over ``names`` (newest first); the token encodes the last name returned."""
    size = _page_size(request)
    token = request.query_params.get("pageToken", request.query_params.get("page_token"))
    start = 0
    if token:
        try:
            last = base64.urlsafe_b64decode(token.encode()).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise invalid("Invalid page token.", "page_token") from None
        if last not in names:
            raise invalid("Invalid page token.", "page_token")
        start = names.index(last) + 1
    page = names[start : start + size]
    more = start + size < len(names)
    return page, (base64.urlsafe_b64encode(page[-1].encode()).decode() if more and page else None)


def list_body(field: str, items: list[dict], token: str | None) -> dict:
    """A list response; proto3 JSON omits an empty list and an absent token."""
    body: dict[str, Any] = {}
    if items:
        body[field] = items
    if token:
        body["nextPageToken"] = token
    return body


async def read_json(request: Request, body: bytes | None = None) -> Any:
    raw = await request.body() if body is None else body
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise invalid("Invalid JSON payload received. Unexpected token.") from None

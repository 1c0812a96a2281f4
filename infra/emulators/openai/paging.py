"""OpenAI list pages: ``after`` cursor, ``limit`` bounds, and the list envelope."""

from __future__ import annotations

from starlette.requests import Request

from infra.emulators.openai.errors import bad_request


def page(items: list[dict], after: str | None, limit: int) -> dict:
    ids = [item["id"] for item in items]
    start = ids.index(after) + 1 if after in ids else 0
    data = items[start : start + limit]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": start + limit < len(items),
    }


def limit_of(request: Request, default: int, maximum: int) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise bad_request(
            f"Invalid 'limit': expected an integer between 1 and {maximum}.", "limit", "invalid_value"
        )
    return int(raw)

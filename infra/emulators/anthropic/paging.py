"""Anthropic list pages: ``after_id`` / ``before_id`` cursors over creation order, and ``limit``."""

from __future__ import annotations

from infra.emulators.anthropic.errors import invalid


def page_of(ids: list[str], sequence: dict[str, int], query, limit: int) -> tuple[list[str], bool]:
    """One page of ``ids`` (newest first) for after_id / before_id cursors; returns (page, has_more)."""
    after_id, before_id = query.get("after_id"), query.get("before_id")
    if after_id and before_id:
        raise invalid("Only one of after_id and before_id may be given")
    cursor = after_id or before_id
    if cursor is None:
        return ids[:limit], len(ids) > limit
    if cursor not in sequence:
        raise invalid(f"{'after_id' if after_id else 'before_id'}: unknown id '{cursor}'")
    position = sequence[cursor]
    if after_id:  # older than the cursor
        rest = [i for i in ids if sequence[i] < position]
        return rest[:limit], len(rest) > limit
    newer = [i for i in ids if sequence[i] > position]
    return newer[-limit:], len(newer) > limit


def parse_limit(query) -> int:
    raw = query.get("limit", "20")
    try:
        limit = int(raw)
    except ValueError:
        raise invalid("limit: Input should be a valid integer") from None
    if not 1 <= limit <= 1000:
        raise invalid("limit: Input should be between 1 and 1000")
    return limit


def list_body(data: list[dict], ids: list[str], has_more: bool) -> dict:
    """The list envelope around one page."""
    return {
        "data": data,
        "has_more": has_more,
        "first_id": ids[0] if ids else None,
        "last_id": ids[-1] if ids else None,
    }

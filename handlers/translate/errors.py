"""Shared piece of every provider's result translation: an errored Anthropic result from a status."""

from __future__ import annotations

from handlers.errors import error_type_for_status


def errored_result(status: int, message: str, request_id: str | None = None) -> dict:
    """``{"type":"errored","error":<whole Anthropic error envelope>}`` as in contracts.md A.2.4 / D."""
    envelope: dict = {"type": "error", "error": {"type": error_type_for_status(status), "message": message}}
    if request_id:
        envelope["request_id"] = request_id
    return {"type": "errored", "error": envelope}

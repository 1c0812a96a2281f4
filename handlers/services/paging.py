"""Paging cursors shared by batch and file listings (ids the client got from an earlier page)."""

from __future__ import annotations

from handlers.errors import invalid_request
from handlers.storage import table

_PLURAL = {"batch": "message batches", "file": "files"}


def cursor(owner: str, kind: str, id_: str | None) -> str | None:
    """The sort key of the item ``id_`` names, which must be one of the owner's own."""
    if id_ is None:
        return None
    found = table.created_key_of(kind, id_)
    if found is None or found[0] != owner:
        raise invalid_request(f"paging cursor {id_!r} does not name one of your {_PLURAL[kind]}")
    return found[1]

"""In-memory files and batches of one emulated account, and each batch's time-derived status.

No background work: a batch ends ``batch_seconds`` after creation (judged at each request on ``clock``),
unless one of its requests says ``[[hold]]``; a cancelled batch ends shortly after the cancel.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from infra.emulators.anthropic.errors import not_found
from infra.emulators.anthropic.formats import rfc3339
from infra.emulators.anthropic.results import last_turn, reply_result
from infra.emulators.replies import HOLD

# A cancelled batch ends this long after the cancel (never later than it would have ended anyway).
CANCEL_SECONDS = 0.2

T = TypeVar("T")


@dataclass
class StoredFile:
    id: str
    filename: str
    mime_type: str
    size_bytes: int
    created_at: datetime
    expires_at: datetime | None = None

    def to_json(self) -> dict:
        body = {
            "id": self.id,
            "type": "file",
            "filename": self.filename,
            "mime_type": self.mime_type,
            "size_bytes": self.size_bytes,
            "created_at": rfc3339(self.created_at),
            "downloadable": False,
        }
        if self.expires_at is not None:
            body["expires_at"] = rfc3339(self.expires_at)
        return body


@dataclass
class StoredBatch:
    id: str
    requests: list[dict]
    created_at: datetime
    started: float  # monotonic clock
    held: bool
    cancel_at: float | None = None
    cancel_initiated_at: datetime | None = None
    results: list[dict] | None = None  # computed once, when the batch has ended


def is_held(params: dict) -> bool:
    return last_turn(params).asks(HOLD)


def _found(items: dict[str, T], object_id: str, what: str) -> T:
    if object_id not in items:
        raise not_found(f"{what} not found: {object_id}")
    return items[object_id]


class Emulator:
    def __init__(
        self, api_key: str, batch_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.api_key = api_key
        self.batch_seconds = batch_seconds
        self.clock = clock
        self.files: dict[str, StoredFile] = {}
        self.batches: dict[str, StoredBatch] = {}
        # Creation order of every id ever issued, so a cursor survives the deletion of its item.
        self.sequence: dict[str, int] = {}

    def remember(self, object_id: str) -> None:
        self.sequence[object_id] = len(self.sequence)

    def batch(self, batch_id: str) -> StoredBatch:
        return _found(self.batches, batch_id, "Message batch")

    def file(self, file_id: str) -> StoredFile:
        return _found(self.files, file_id, "File")

    # --- batch lifecycle -------------------------------------------------------------------------------
    def ends_at(self, batch: StoredBatch) -> float:
        end = float("inf") if batch.held else batch.started + self.batch_seconds
        if batch.cancel_at is not None:
            end = min(end, batch.cancel_at + min(CANCEL_SECONDS, self.batch_seconds))
        return end

    def status(self, batch: StoredBatch) -> str:
        if self.clock() >= self.ends_at(batch):
            return "ended"
        return "canceling" if batch.cancel_at is not None else "in_progress"

    def results_of(self, batch: StoredBatch) -> list[dict]:
        if batch.results is None:
            lines = []
            for position, item in enumerate(batch.requests, start=1):
                params = item["params"]
                # A held request is only seen here once its batch was cancelled: it never ran.
                result = (
                    {"type": "canceled"} if is_held(params) else reply_result(params, f"toolu_{position}")
                )
                lines.append({"custom_id": item["custom_id"], "result": result})
            # Real results come in no particular order; reversing makes callers match by custom_id.
            batch.results = lines[::-1]
        return batch.results

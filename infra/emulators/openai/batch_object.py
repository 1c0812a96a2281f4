"""The Batch object OpenAI answers, stamped from the batch's time-derived status."""

from __future__ import annotations

import time

from infra.emulators.openai.state import (
    CANCEL_SHARE,
    FINALIZING_SHARE,
    VALIDATING_SHARE,
    Emulator,
    StoredBatch,
)

COMPLETION_WINDOW_SECONDS = 24 * 3600


def _stamp(moment: float | None, reached: bool) -> int | None:
    return int(moment) if moment is not None and reached else None


def batch_json(emulator: Emulator, batch: StoredBatch) -> dict:
    now = time.time()
    status = emulator.status(batch, now)
    validated_at = emulator.at(batch, VALIDATING_SHARE)
    validated = now >= validated_at or status in ("failed", "cancelled")
    ran = validated and not batch.validation.errors
    end = emulator.at(batch, 1.0)
    cancel_end = (
        batch.cancel_requested + CANCEL_SHARE * emulator.batch_seconds if batch.cancel_requested else None
    )
    reached_in_progress = ran and (batch.cancel_requested is None or batch.cancel_requested >= validated_at)
    counts = (
        batch.counts
        if batch.finished_as
        else {"total": len(batch.validation.requests) if ran else 0, "completed": 0, "failed": 0}
    )
    return {
        "id": batch.id,
        "object": "batch",
        "endpoint": batch.endpoint,
        "model": batch.validation.model if validated else None,
        "errors": ({"object": "list", "data": batch.validation.errors} if status == "failed" else None),
        "input_file_id": batch.input_file_id,
        "completion_window": "24h",
        "status": status,
        "output_file_id": batch.output_file_id,
        "error_file_id": batch.error_file_id,
        "created_at": int(batch.started),
        "in_progress_at": _stamp(validated_at, reached_in_progress),
        "expires_at": int(batch.started) + COMPLETION_WINDOW_SECONDS,
        "finalizing_at": _stamp(emulator.at(batch, FINALIZING_SHARE), status in ("finalizing", "completed")),
        "completed_at": _stamp(end, status == "completed"),
        "failed_at": _stamp(validated_at, status == "failed"),
        "expired_at": _stamp(end, status == "expired"),
        "cancelling_at": _stamp(batch.cancel_requested, batch.cancel_requested is not None),
        "cancelled_at": _stamp(cancel_end, status == "cancelled"),
        "request_counts": counts,
        "metadata": batch.metadata,
        "usage": batch.usage,
    }

"""The MessageBatch object Anthropic answers, from the batch's time-derived status."""

from __future__ import annotations

from datetime import timedelta

from infra.emulators.anthropic.formats import rfc3339
from infra.emulators.anthropic.state import Emulator, StoredBatch

BATCH_LIFETIME = timedelta(hours=24)


def batch_json(emu: Emulator, batch: StoredBatch, base_url: str) -> dict:
    status = emu.status(batch)
    counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
    ended_at = results_url = None
    if status == "ended":
        for line in emu.results_of(batch):
            counts[line["result"]["type"]] += 1
        ended_at = rfc3339(batch.created_at + timedelta(seconds=emu.ends_at(batch) - batch.started))
        results_url = f"{base_url}v1/messages/batches/{batch.id}/results"
    else:
        counts["processing"] = len(batch.requests)
    return {
        "id": batch.id,
        "type": "message_batch",
        "processing_status": status,
        "request_counts": counts,
        "ended_at": ended_at,
        "created_at": rfc3339(batch.created_at),
        "expires_at": rfc3339(batch.created_at + BATCH_LIFETIME),
        "archived_at": None,
        "cancel_initiated_at": rfc3339(batch.cancel_initiated_at) if batch.cancel_initiated_at else None,
        "results_url": results_url,
    }

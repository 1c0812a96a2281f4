"""Lambda entry of PollerFunction (EventBridge Scheduler, every minute; locally a timer).

Refreshes every in-flight batch and materializes the ones whose shards have all ended. One failing batch
never stops the others.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from handlers.log import log_event
from handlers.services.batches import advance
from handlers.storage import table

WORKERS = 4


def _advance_one(batch) -> str:
    try:
        after = advance(batch, force=True)
    except Exception as exc:
        log_event(
            "poll_failed", logging.WARNING, batch_id=batch.id, provider=batch.provider, error=repr(exc)[:300]
        )
        return "failed"
    return after.state


def poll_once() -> dict[str, int]:
    summary: dict[str, int] = {}
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for state in pool.map(_advance_one, table.in_flight_batches()):
            summary[state] = summary.get(state, 0) + 1
    if summary:  # a quiet tick (nothing in flight) is not worth a log line every minute
        log_event("poll", **summary)
    return summary


def handler(event, context):
    return poll_once()

"""Turn ended shards into one Anthropic results JSONL in S3, streaming with bounded memory.

Every staged custom_id appears exactly once: the provider's outcome when it gave one, else the shard's
fallback (canceled / expired / errored). The batch only becomes ``ended`` after the object is complete, under
a lease, so a crash leaves it to be retried on the next poller tick.
"""

from __future__ import annotations

import json

import orjson

from handlers import aws
from handlers.config import settings
from handlers.ids import iso, utcnow
from handlers.log import log_event
from handlers.providers import get_provider
from handlers.storage import bucket, table
from handlers.storage.records import ENDED, EXPIRED, OVERDUE_SINCE, RESULT_TYPES, BatchRecord
from handlers.translate.errors import errored_result

_NO_OUTPUT = errored_result(500, "the provider returned no result for this request")


def _staged_requests(batch_id: str) -> tuple[dict[str, int], dict[str, dict]]:
    """custom_id → shard index (in input order), and the hints some providers need to translate back."""
    shard_of: dict[str, int] = {}
    hints: dict[str, dict] = {}
    for raw in bucket.iter_lines(bucket.index_key(batch_id)):
        entry = orjson.loads(raw)
        cid = entry["custom_id"]
        shard_of[cid] = entry["shard"]
        if "stop_sequences" in entry:
            hints[cid] = {"stop_sequences": entry["stop_sequences"]}
    return shard_of, hints


def result_line(custom_id: str, result: dict) -> bytes:
    # orjson: the results file is the hot path of the poller (100,000 lines and more per batch).
    return orjson.dumps({"custom_id": custom_id, "result": result})


def materialize(batch: BatchRecord) -> BatchRecord | None:
    """Write the batch's results and mark it ended; None if another worker holds it."""
    token = table.claim_for_materialization(batch.id)
    if token is None:
        return None
    try:
        counts, size = _write_results(batch)
    except BaseException:
        table.release_lease(batch.id, token)  # the batch stays in flight; the next tick retries at once
        raise
    batch.state = ENDED
    batch.ended_at = iso(utcnow())
    batch.counts = counts
    batch.results_bytes = size
    if not table.finish_materialization(batch, token):
        log_event("materialize_lease_lost", batch_id=batch.id)
        return None
    log_event("batch_ended", batch_id=batch.id, provider=batch.provider, **counts)
    publish_ended(batch)
    return batch


def _write_results(batch: BatchRecord) -> tuple[dict[str, int], int]:
    """Stream every shard's outcomes, then the fallbacks, into results/<id>.jsonl; (counts, bytes)."""
    provider = get_provider(batch.provider)
    shard_of, hints = _staged_requests(batch.id)
    counts = dict.fromkeys(RESULT_TYPES, 0)
    upload = bucket.StreamingUpload(bucket.results_key(batch.id))
    try:
        in_order: dict[int, list[str]] = {}
        for cid, index in shard_of.items():
            in_order.setdefault(index, []).append(cid)
        for shard in batch.shards:
            if shard.data.get("forced_end"):
                continue  # ended by the gateway at the batch's expiry: its requests take the fallback
            # Cancelled by the gateway at the batch's expiry: what the provider calls canceled has expired.
            overdue = OVERDUE_SINCE in shard.data
            for outcome in provider.iter_outcomes(shard, hints, in_order.get(shard.index, [])):
                # Unknown or repeated custom_ids are dropped: each staged request gets exactly one line.
                if shard_of.pop(outcome.custom_id, None) is None:
                    continue
                result, line = outcome.result, outcome.line
                if overdue and result["type"] == "canceled":
                    result, line = EXPIRED, None
                upload.write_line(line if line is not None else result_line(outcome.custom_id, result))
                counts[result["type"]] += 1
        fallbacks = {s.index: s.fallback or _NO_OUTPUT for s in batch.shards}
        for cid, index in shard_of.items():
            result = fallbacks.get(index, _NO_OUTPUT)
            upload.write_line(result_line(cid, result))
            counts[result["type"]] += 1
        return counts, upload.complete()
    except BaseException:
        upload.abort()  # nothing half-written ever becomes visible
        raise


def publish_ended(batch: BatchRecord) -> None:
    """Tell subscribers the batch ended, so they need not poll (EventBridge, bus from the template)."""
    bus = settings().event_bus
    if not bus:
        return
    detail = {
        "id": batch.id,
        "provider": batch.provider,
        "owner": batch.owner,
        "request_counts": {"processing": 0, **batch.counts},
        "results_url": f"{batch.base_url}/v1/messages/batches/{batch.id}/results",
    }
    try:
        aws.events().put_events(
            Entries=[
                {
                    "Source": "batchbridge",
                    "DetailType": "Message Batch Ended",
                    "Detail": json.dumps(detail),
                    "EventBusName": bus,
                }
            ]
        )
    except Exception as exc:  # the batch has ended either way; a lost notification must not undo that
        log_event("event_publish_failed", batch_id=batch.id, error=type(exc).__name__)

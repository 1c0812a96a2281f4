"""The long-running Operation a batch is answered as (create, get, list), with its stats and output."""

from __future__ import annotations

from typing import Any

from infra.emulators.gemini.state import ANSWERED_STATES, Batch, GeminiEmulator, timestamp

_BATCH_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch"
_OUTPUT_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput"


def operation(emulator: GeminiEmulator, batch: Batch, now: float) -> dict:
    state, updated, ended = emulator.state_of(batch, now)
    answered = emulator.answered(batch, state)
    failed = sum(1 for item in answered if "error" in item.outcome)
    stats = {
        "requestCount": len(batch.items),
        "successfulRequestCount": len(answered) - failed,
        "failedRequestCount": failed,
        "pendingRequestCount": len(batch.items) - len(answered),
    }
    metadata: dict[str, Any] = {
        "@type": _BATCH_TYPE,
        "model": f"models/{batch.model}",
        "displayName": batch.display_name,
        "inputConfig": batch.input_config,
        "createTime": timestamp(batch.created),
        "updateTime": timestamp(updated),
        "endTime": timestamp(ended) if ended is not None else None,
        "batchStats": {key: str(value) for key, value in stats.items() if value},
        "state": state,
        "name": f"batches/{batch.batch_id}",
    }
    result: dict[str, Any] = {"name": f"batches/{batch.batch_id}"}
    if state in ANSWERED_STATES:
        metadata["output"] = _output(emulator, batch, state)
    result["metadata"] = {key: value for key, value in metadata.items() if value is not None}
    if state in ANSWERED_STATES:
        result.update(done=True, response={"@type": _OUTPUT_TYPE, **metadata["output"]})
    elif state == "BATCH_STATE_EXPIRED":
        error = {"code": 4, "message": "The batch expired before it could be completed."}
        result.update(done=True, error=error)
    # while pending/running `done` is absent, as in real responses
    return result


def _output(emulator: GeminiEmulator, batch: Batch, state: str) -> dict:
    if batch.from_file:
        return {"responsesFile": f"files/{batch.output_file_id}"}
    responses = []
    for item in emulator.in_output_order(batch, state):
        entry = dict(item.outcome)
        if item.metadata is not None:
            entry["metadata"] = item.metadata
        responses.append(entry)
    return {"inlinedResponses": {"inlinedResponses": responses} if responses else {}}

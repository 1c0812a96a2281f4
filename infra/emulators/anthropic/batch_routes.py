"""Message Batches endpoints: create, list, retrieve, cancel, delete and results."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from infra.emulators.anthropic.batch_object import batch_json
from infra.emulators.anthropic.errors import EmulatorError, invalid
from infra.emulators.anthropic.formats import new_id
from infra.emulators.anthropic.paging import list_body, page_of, parse_limit
from infra.emulators.anthropic.state import Emulator, StoredBatch, is_held
from infra.emulators.anthropic.validation import validate_batch_body

MAX_BATCH_BYTES = 256 * 1024 * 1024


async def _read_json(request: Request) -> object:
    body = await request.body()
    if len(body) > MAX_BATCH_BYTES:
        raise EmulatorError(
            413, "request_too_large", f"Request exceeds the maximum size of {MAX_BATCH_BYTES} bytes"
        )
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise invalid("There was an issue with the request body: invalid JSON") from None


def batch_routes(emu: Emulator) -> list[tuple[str, str, Callable]]:
    def get_batch(request: Request) -> StoredBatch:
        return emu.batch(request.path_params["batch_id"])

    async def create_batch(request: Request) -> Response:
        requests = validate_batch_body(await _read_json(request), lambda fid: fid in emu.files)
        batch = StoredBatch(
            id=new_id("msgbatch_"),
            requests=requests,
            created_at=datetime.now(UTC),
            started=emu.clock(),
            held=any(is_held(item["params"]) for item in requests),
        )
        emu.batches[batch.id] = batch
        emu.remember(batch.id)
        return JSONResponse(batch_json(emu, batch, str(request.base_url)))

    async def list_batches(request: Request) -> Response:
        limit = parse_limit(request.query_params)
        newest_first = list(reversed(emu.batches))
        ids, has_more = page_of(newest_first, emu.sequence, request.query_params, limit)
        base = str(request.base_url)
        return JSONResponse(list_body([batch_json(emu, emu.batches[i], base) for i in ids], ids, has_more))

    async def retrieve_batch(request: Request) -> Response:
        return JSONResponse(batch_json(emu, get_batch(request), str(request.base_url)))

    async def cancel_batch(request: Request) -> Response:
        batch = get_batch(request)
        if batch.cancel_at is None and emu.status(batch) != "ended":
            batch.cancel_at = emu.clock()
            batch.cancel_initiated_at = datetime.now(UTC)
        return JSONResponse(batch_json(emu, batch, str(request.base_url)))

    async def delete_batch(request: Request) -> Response:
        batch = get_batch(request)
        if emu.status(batch) != "ended":
            raise invalid(
                f"Message batch {batch.id} cannot be deleted while it is processing; cancel it first "
                "and delete it once it has ended"
            )
        del emu.batches[batch.id]
        return JSONResponse({"id": batch.id, "type": "message_batch_deleted"})

    async def batch_results(request: Request) -> Response:
        batch = get_batch(request)
        if emu.status(batch) != "ended":
            raise invalid(
                f"Message batch {batch.id} has not ended yet; results are available once it has ended"
            )
        lines = emu.results_of(batch)

        def jsonl() -> Iterable[bytes]:
            for line in lines:
                yield (json.dumps(line, separators=(",", ":")) + "\n").encode()

        return StreamingResponse(jsonl(), media_type="application/x-jsonl")

    return [
        ("/v1/messages/batches", "POST", create_batch),
        ("/v1/messages/batches", "GET", list_batches),
        ("/v1/messages/batches/{batch_id}", "GET", retrieve_batch),
        ("/v1/messages/batches/{batch_id}", "DELETE", delete_batch),
        ("/v1/messages/batches/{batch_id}/cancel", "POST", cancel_batch),
        ("/v1/messages/batches/{batch_id}/results", "GET", batch_results),
    ]

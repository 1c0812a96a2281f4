"""Endpoints of the Gemini emulator other than uploads: files (list, get, delete, download) and batches."""

from __future__ import annotations

import hashlib
import re

from starlette.requests import Request
from starlette.responses import Response

from infra.emulators.gemini.batch_input import file_requests, inline_requests
from infra.emulators.gemini.errors import GoogleError, invalid
from infra.emulators.gemini.http import base_url, json_response, list_body, paginate, read_json
from infra.emulators.gemini.operations import operation
from infra.emulators.gemini.outcomes import last_turn, reply_for
from infra.emulators.gemini.proto import parse_message
from infra.emulators.gemini.state import (
    API_VERSION,
    FILE_TTL_SECONDS,
    Batch,
    BatchItem,
    GeminiEmulator,
    new_id,
    now,
)
from infra.emulators.replies import EXPIRE, HOLD

INLINE_LIMIT_BYTES = 20 * 1024 * 1024
# The model families that take batches; any other name is unknown, as on the real API.
_BATCH_MODEL = re.compile(r"(gemini|gemma)-[a-z0-9][a-z0-9.-]*")


class Handlers:
    def __init__(self, emulator: GeminiEmulator) -> None:
        self.emu = emulator

    # ---- files --------------------------------------------------------------------------------

    async def list_files(self, request: Request) -> Response:
        live = [f for f in self.emu.files.values() if now() < f.created + FILE_TTL_SECONDS]
        ordered = sorted(live, key=lambda f: (f.created, f.file_id), reverse=True)
        page, token = paginate(request, [f.file_id for f in ordered])
        files = [self.emu.files[file_id].resource(base_url(request)) for file_id in page]
        return json_response(list_body("files", files, token))

    async def get_file(self, request: Request, file_id: str) -> Response:
        return json_response(self.emu.get_file(file_id).resource(base_url(request)))

    async def delete_file(self, request: Request, file_id: str) -> Response:
        self.emu.get_file(file_id)
        del self.emu.files[file_id]
        return json_response({})

    async def download(self, request: Request, file_id: str) -> Response:
        stored = self.emu.get_file(file_id)
        if request.query_params.get("alt") != "media":
            raise invalid("Downloads require the query parameter alt=media.", "alt")
        if stored.source != "GENERATED":
            message = "Only generated files can be downloaded; uploaded files can't be downloaded."
            raise GoogleError(400, "FAILED_PRECONDITION", message)
        return Response(stored.data, media_type=stored.mime_type)

    # ---- batches ------------------------------------------------------------------------------

    async def create_batch(self, request: Request, model: str) -> Response:
        if not _BATCH_MODEL.fullmatch(model):
            raise GoogleError(
                404,
                "NOT_FOUND",
                f"models/{model} is not found for API version {API_VERSION}, or is not supported for "
                "batchGenerateContent. Call ListModels to see the list of available models and their "
                "supported methods.",
            )
        raw = await request.body()
        if len(raw) > INLINE_LIMIT_BYTES:
            raise invalid(f"Request payload size exceeds the limit: {INLINE_LIMIT_BYTES} bytes.")
        body = parse_message("BatchGenerateContentRequest", await read_json(request, raw))
        if "batch" not in body:
            raise invalid("* BatchGenerateContentRequest.batch: batch is not specified", "batch")
        spec = body["batch"]
        input_config = spec.get("inputConfig")
        if not input_config:
            raise invalid(
                "* GenerateContentBatch.input_config: input_config is not specified", "batch.input_config"
            )
        batch_id = new_id(32)
        if "fileName" in input_config:
            pairs = file_requests(self.emu, input_config["fileName"], model)
        else:
            pairs = inline_requests(self.emu, input_config.get("requests", {}).get("requests") or [], model)
        items = []
        turns = [last_turn(gen_request) for _, gen_request in pairs]
        for index, ((metadata, gen_request), turn) in enumerate(zip(pairs, turns, strict=True)):
            response_id = hashlib.sha256(f"{batch_id}:{index}".encode()).hexdigest()[:22]
            items.append(BatchItem(metadata, reply_for(gen_request, model, response_id), turn.asks(HOLD)))
        batch = Batch(
            batch_id=batch_id,
            model=model,
            display_name=spec.get("displayName"),
            input_config=input_config,
            from_file="fileName" in input_config,
            items=items,
            created=now(),
            hold=any(item.held for item in items),
            expire=any(turn.asks(EXPIRE) for turn in turns),
        )
        self.emu.batches[batch_id] = batch
        return json_response(operation(self.emu, batch, now()))

    async def get_batch(self, request: Request, batch_id: str) -> Response:
        return json_response(operation(self.emu, self.emu.get_batch(batch_id), now()))

    async def list_batches(self, request: Request) -> Response:
        ordered = sorted(self.emu.batches.values(), key=lambda b: (b.created, b.batch_id), reverse=True)
        page, token = paginate(request, [b.batch_id for b in ordered])
        moment = now()
        operations = [operation(self.emu, self.emu.batches[batch_id], moment) for batch_id in page]
        return json_response(list_body("operations", operations, token))

    async def cancel_batch(self, request: Request, batch_id: str) -> Response:
        batch = self.emu.get_batch(batch_id)
        state, _, _ = self.emu.state_of(batch, now())
        if state not in ("BATCH_STATE_PENDING", "BATCH_STATE_RUNNING"):
            message = (
                f"Batch batches/{batch_id} is already in a terminal state ({state}) and cannot be cancelled."
            )
            raise GoogleError(400, "FAILED_PRECONDITION", message)
        if batch.cancel_requested is None:
            batch.cancel_requested = now()
        return json_response({})

    async def delete_batch(self, request: Request, batch_id: str) -> Response:
        self.emu.get_batch(batch_id)
        del self.emu.batches[batch_id]
        return json_response({})

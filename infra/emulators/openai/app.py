"""HTTP layer of the emulated OpenAI API: auth, the routes of Files and Batches, and the error envelope."""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from infra.emulators.openai.batch_object import batch_json
from infra.emulators.openai.create_params import check_expires_after
from infra.emulators.openai.errors import OpenAIError, bad_request
from infra.emulators.openai.ids import request_id
from infra.emulators.openai.paging import limit_of, page
from infra.emulators.openai.state import Emulator

UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
# OpenAI serves the content of batch, batch_output, user_data, fine-tune... files, but answers 400 "Not allowed
# to download files of purpose: assistants" for assistants uploads (a long-standing, widely reported limit;
# the SDK's files.content has no purpose restriction of its own).
UNDOWNLOADABLE_PURPOSES = ("assistants",)
MAX_BATCH_FILE_BYTES = 200 * 1024 * 1024
BATCH_FILE_TTL_SECONDS = 30 * 24 * 3600


def _masked(key: str) -> str:
    return key[:3] + "*" * max(len(key) - 7, 0) + key[-4:] if len(key) > 8 else "*" * len(key)


def _check_auth(request: Request, api_key: str) -> None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise OpenAIError(
            401,
            "You didn't provide an API key. You need to provide your API key in an Authorization header using "
            "Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        )
    if token.strip() != api_key:
        raise OpenAIError(
            401, f"Incorrect API key provided: {_masked(token.strip())}.", code="invalid_api_key"
        )


def _file_routes(emulator: Emulator) -> list[tuple[str, str, Callable]]:
    async def upload_file(request: Request) -> JSONResponse:
        form = await request.form()
        purpose, upload = form.get("purpose"), form.get("file")
        if purpose is None:
            raise bad_request(
                "Missing required parameter: 'purpose'.", "purpose", "missing_required_parameter"
            )
        if upload is None or isinstance(upload, str):
            raise bad_request("Missing required parameter: 'file'.", "file", "missing_required_parameter")
        if purpose not in UPLOAD_PURPOSES:
            choices = ", ".join(f"'{p}'" for p in UPLOAD_PURPOSES)
            raise bad_request(
                f"Invalid value: '{purpose}'. Supported values are: {choices}.", "purpose", "invalid_value"
            )
        content, filename = await upload.read(), upload.filename or "upload"
        ttl = BATCH_FILE_TTL_SECONDS if purpose == "batch" else None
        if "expires_after[anchor]" in form or "expires_after[seconds]" in form:
            expires = {
                "anchor": form.get("expires_after[anchor]"),
                "seconds": form.get("expires_after[seconds]"),
            }
            ttl = check_expires_after(expires, "expires_after")
        if purpose == "batch":
            if not filename.endswith(".jsonl"):
                raise bad_request("Invalid file format for Batch API. Must be .jsonl", "file")
            if len(content) > MAX_BATCH_FILE_BYTES:
                raise bad_request("Batch input files can be at most 200 MB.", "file")
        return JSONResponse(emulator.add_file(filename, purpose, content, ttl).to_json())

    async def list_files(request: Request) -> JSONResponse:
        order = request.query_params.get("order", "desc")
        if order not in ("asc", "desc"):
            raise bad_request(
                f"Invalid value: '{order}'. Supported values are: 'asc' and 'desc'.", "order", "invalid_value"
            )
        purpose = request.query_params.get("purpose")
        # created_at has 1 s resolution; upload order breaks ties so the order is exact.
        files = [f for f in emulator.files.values() if purpose is None or f.purpose == purpose]
        if order == "desc":
            files.reverse()
        items = [f.to_json() for f in files]
        return JSONResponse(page(items, request.query_params.get("after"), limit_of(request, 10_000, 10_000)))

    async def get_file(request: Request) -> JSONResponse:
        return JSONResponse(emulator.file(request.path_params["file_id"]).to_json())

    async def file_content(request: Request) -> Response:
        stored = emulator.file(request.path_params["file_id"])
        if stored.purpose in UNDOWNLOADABLE_PURPOSES:
            raise bad_request(f"Not allowed to download files of purpose: {stored.purpose}")
        return Response(stored.content, media_type="application/octet-stream")

    async def delete_file(request: Request) -> JSONResponse:
        stored = emulator.file(request.path_params["file_id"])
        del emulator.files[stored.id]
        return JSONResponse({"id": stored.id, "object": "file", "deleted": True})

    return [
        ("/v1/files", "POST", upload_file),
        ("/v1/files", "GET", list_files),
        ("/v1/files/{file_id}", "GET", get_file),
        ("/v1/files/{file_id}", "DELETE", delete_file),
        ("/v1/files/{file_id}/content", "GET", file_content),
    ]


def _batch_routes(emulator: Emulator) -> list[tuple[str, str, Callable]]:
    async def create_batch(request: Request) -> JSONResponse:
        try:
            payload = json.loads(await request.body())
        except ValueError:
            raise bad_request(
                "We could not parse the JSON body of your request. The OpenAI API expects a JSON payload."
            ) from None
        return JSONResponse(batch_json(emulator, emulator.create_batch(payload)))

    async def list_batches(request: Request) -> JSONResponse:
        batches = sorted(emulator.batches.values(), key=lambda b: b.started, reverse=True)
        items = [batch_json(emulator, b) for b in batches]
        return JSONResponse(page(items, request.query_params.get("after"), limit_of(request, 20, 100)))

    async def get_batch(request: Request) -> JSONResponse:
        return JSONResponse(batch_json(emulator, emulator.batch(request.path_params["batch_id"])))

    async def cancel_batch(request: Request) -> JSONResponse:
        batch = emulator.batch(request.path_params["batch_id"])
        emulator.cancel(batch)
        return JSONResponse(batch_json(emulator, batch))

    return [
        ("/v1/batches", "POST", create_batch),
        ("/v1/batches", "GET", list_batches),
        ("/v1/batches/{batch_id}", "GET", get_batch),
        ("/v1/batches/{batch_id}/cancel", "POST", cancel_batch),
    ]


async def _invalid_url(request: Request) -> Response:
    raise OpenAIError(404, f"Invalid URL ({request.method} {request.url.path})")


def _endpoint(handler: Callable, api_key: str) -> Callable:
    async def run(request: Request) -> Response:
        request_id_header = request_id()
        try:
            _check_auth(request, api_key)
            response = await handler(request)
        except OpenAIError as problem:
            response = JSONResponse(problem.body(), status_code=problem.status)
        except Exception:  # noqa: BLE001 - answer like the real API instead of dropping the connection
            response = JSONResponse(
                OpenAIError(
                    500, "The server had an error while processing your request.", error_type="server_error"
                ).body(),
                status_code=500,
            )
        response.headers["x-request-id"] = request_id_header
        return response

    return run


_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def create_app(api_key: str = "emulator-key", *, batch_seconds: float = 1.0) -> Starlette:
    """An emulated OpenAI API; point clients at ``<server url>/v1``."""
    emulator = Emulator(batch_seconds)
    table = [
        *_file_routes(emulator),
        *_batch_routes(emulator),
        # Anything else, including DELETE /v1/batches/{id} (there is no batch delete), is an invalid URL.
        ("/{path:path}", "*", _invalid_url),
    ]
    routes = [
        Route(path, _endpoint(handler, api_key), methods=_ALL_METHODS if method == "*" else [method])
        for path, method, handler in table
    ]
    app = Starlette(routes=routes)
    app.state.emulator = emulator
    return app

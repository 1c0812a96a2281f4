"""HTTP layer of the emulated Gemini API: the route table, API-key checks and the error envelope."""

from __future__ import annotations

import re
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from infra.emulators.gemini.errors import GoogleError
from infra.emulators.gemini.handlers import Handlers
from infra.emulators.gemini.http import json_response
from infra.emulators.gemini.state import GeminiEmulator, now
from infra.emulators.gemini.uploads import Uploads

_SEGMENT = r"([^/:]+)"


def _routes(uploads: Uploads, handlers: Handlers) -> list[tuple[str, re.Pattern, Any, bool]]:
    """(method, path pattern, handler, always needs the API key)."""
    table = [
        ("POST", "/upload/v1beta/files", uploads.upload, False),
        ("GET", "/v1beta/files", handlers.list_files, True),
        ("GET", f"/v1beta/files/{_SEGMENT}:download", handlers.download, True),
        ("GET", f"/download/v1beta/files/{_SEGMENT}:download", handlers.download, True),
        ("GET", f"/v1beta/files/{_SEGMENT}", handlers.get_file, True),
        ("DELETE", f"/v1beta/files/{_SEGMENT}", handlers.delete_file, True),
        ("POST", f"/v1beta/models/{_SEGMENT}:batchGenerateContent", handlers.create_batch, True),
        ("GET", "/v1beta/batches", handlers.list_batches, True),
        ("POST", f"/v1beta/batches/{_SEGMENT}:cancel", handlers.cancel_batch, True),
        ("GET", f"/v1beta/batches/{_SEGMENT}", handlers.get_batch, True),
        ("DELETE", f"/v1beta/batches/{_SEGMENT}", handlers.delete_batch, True),
    ]
    return [(method, re.compile(pattern + "$"), handler, keyed) for method, pattern, handler, keyed in table]


def _check_key(request: Request, api_key: str) -> None:
    given = request.headers.get("x-goog-api-key") or request.query_params.get("key")
    if not given:
        message = (
            "Method doesn't allow unregistered callers (callers without established identity). "
            "Please use API Key or other form of API consumer identity to call this API."
        )
        raise GoogleError(403, "PERMISSION_DENIED", message)
    if not secrets.compare_digest(given.encode(), api_key.encode()):
        info = {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
            "metadata": {"service": "generativelanguage.googleapis.com"},
        }
        raise GoogleError(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", [info])


def create_app(api_key: str = "emulator-key", *, batch_seconds: float = 1.0):
    """ASGI app emulating the Gemini Developer API (v1beta) Files and Batch endpoints."""
    emulator = GeminiEmulator(api_key, batch_seconds)
    routes = _routes(Uploads(emulator), Handlers(emulator))

    async def app(scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        try:
            response = await _dispatch(request)
        except GoogleError as error:
            response = json_response(error.body(), error.code, error.headers)
        await response(scope, receive, send)

    async def _dispatch(request: Request) -> Response:
        path = request.url.path
        for method, pattern, handler, needs_key in routes:
            match = pattern.match(path)
            if match and request.method == method:
                # Upload session URLs carry no key: the session id authorises the chunks.
                if needs_key or "upload_id" not in request.query_params:
                    _check_key(request, api_key)
                emulator.settle(now())
                return await handler(request, *match.groups())
        raise GoogleError(404, "NOT_FOUND", f"Method not found: {request.method} {path}")

    app.emulator = emulator  # for tests that need to inspect state
    return app

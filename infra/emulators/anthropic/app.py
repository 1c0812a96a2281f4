"""HTTP layer of the emulated Anthropic API: auth, request ids, the route table and routing errors."""

from __future__ import annotations

from collections.abc import Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from infra.emulators.anthropic.batch_routes import batch_routes
from infra.emulators.anthropic.errors import EmulatorError, error_response, invalid
from infra.emulators.anthropic.file_routes import file_routes
from infra.emulators.anthropic.formats import new_id
from infra.emulators.anthropic.state import Emulator


def _authorize(request: Request, api_key: str) -> None:
    key = request.headers.get("x-api-key")
    bearer = request.headers.get("authorization", "")
    if key is None and bearer.lower().startswith("bearer "):
        key = bearer[7:].strip()
    if key is None:
        raise EmulatorError(401, "authentication_error", "x-api-key header is required")
    if key != api_key:
        raise EmulatorError(401, "authentication_error", "invalid x-api-key")
    if not request.headers.get("anthropic-version"):
        raise invalid("anthropic-version: header is required")


def _endpoint(handler: Callable, emu: Emulator) -> Callable:
    async def run(request: Request) -> Response:
        request_id = new_id("req_")
        try:
            _authorize(request, emu.api_key)
            response = await handler(request)
        except EmulatorError as exc:
            return error_response(exc, request_id)
        response.headers["request-id"] = request_id
        return response

    return run


async def _routing_error(request: Request, exc: HTTPException) -> Response:
    error_type = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
    message = "Not found" if exc.status_code == 404 else str(exc.detail)
    return error_response(EmulatorError(exc.status_code, error_type, message), new_id("req_"))


def create_app(api_key: str = "emulator-key", *, batch_seconds: float = 1.0) -> Starlette:
    """ASGI app emulating the Anthropic API for one key; state lives as long as the app."""
    emu = Emulator(api_key, batch_seconds)
    routes = [
        Route(path, _endpoint(handler, emu), methods=[method])
        for path, method, handler in [*batch_routes(emu), *file_routes(emu)]
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _routing_error})
    app.state.emulator = emu  # lets tests inspect or steer the in-memory state
    return app

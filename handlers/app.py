"""The FastAPI application: routes, the Anthropic error envelope, request ids and access logs."""

from __future__ import annotations

import logging
import time

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from handlers.errors import ApiError, error_envelope, error_type_for_status
from handlers.ids import new_request_id
from handlers.log import log_event
from handlers.routes import batches, files


def _error_response(
    request: Request, status: int, error_type: str, message: str, headers=None
) -> JSONResponse:
    request_id = getattr(request.state, "request_id", None)
    return JSONResponse(error_envelope(error_type, message, request_id), status_code=status, headers=headers)


async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    return _error_response(request, exc.status, exc.error_type, exc.message, exc.headers or None)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body"))
        parts.append(f"{loc}: {err.get('msg')}" if loc else str(err.get("msg")))
    return _error_response(request, 400, "invalid_request_error", "; ".join(parts) or "invalid request")


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    message = exc.detail if isinstance(exc.detail, str) else "request failed"
    if exc.status_code == 404:
        message = f"no such endpoint: {request.method} {request.url.path}"
    elif exc.status_code == 405:
        message = f"method {request.method} is not allowed on {request.url.path}"
    return _error_response(request, exc.status_code, error_type_for_status(exc.status_code), message)


def create_app() -> FastAPI:
    app = FastAPI(title="batchbridge", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(files.router)
    app.include_router(batches.router)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)

    @app.middleware("http")
    async def request_id_and_access_log(request: Request, call_next):
        request.state.request_id = new_request_id()
        started = time.perf_counter()
        try:
            response = await call_next(request)
        except Exception as exc:  # an unexpected bug still answers the Anthropic envelope, never a bare 500
            log_event(
                "unhandled_error", logging.ERROR, request_id=request.state.request_id, error=repr(exc)[:300]
            )
            response = _error_response(request, 500, "api_error", "internal error in the gateway")
        response.headers["request-id"] = request.state.request_id
        route = request.scope.get("route")
        log_event(
            "request",
            request_id=request.state.request_id,
            method=request.method,
            route=getattr(route, "path", request.url.path),
            provider=getattr(request.state, "provider", None),
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return response

    return app

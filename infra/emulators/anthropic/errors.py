"""Anthropic's error envelope: ``{"type": "error", "error": {type, message, details?}, "request_id"}``."""

from __future__ import annotations

from starlette.responses import JSONResponse


class EmulatorError(Exception):
    def __init__(self, status: int, error_type: str, message: str, details: dict | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.details = details


def invalid(message: str, details: dict | None = None) -> EmulatorError:
    return EmulatorError(400, "invalid_request_error", message, details)


def not_found(message: str) -> EmulatorError:
    return EmulatorError(404, "not_found_error", message)


def error_response(exc: EmulatorError, request_id: str) -> JSONResponse:
    error: dict = {"type": exc.error_type, "message": exc.message}
    if exc.details:
        error["details"] = exc.details
    body = {"type": "error", "error": error, "request_id": request_id}
    return JSONResponse(body, status_code=exc.status, headers={"request-id": request_id})

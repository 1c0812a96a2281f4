"""Errors that reach the client in Anthropic's envelope.

Everything the gateway refuses or fails with is an ``ApiError``; routes never build error bodies themselves.
"""

from __future__ import annotations

_TYPE_BY_STATUS = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    409: "invalid_request_error",
    413: "request_too_large",
    422: "invalid_request_error",
    429: "rate_limit_error",
    500: "api_error",
    502: "api_error",
    503: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


def error_type_for_status(status: int) -> str:
    """Anthropic ``error.type`` for an HTTP status (other 4xx → invalid_request_error, other 5xx → api_error)."""
    if status in _TYPE_BY_STATUS:
        return _TYPE_BY_STATUS[status]
    return "invalid_request_error" if 400 <= status < 500 else "api_error"


class ApiError(Exception):
    """An error answered to the client as ``{"type":"error","error":{"type","message"},"request_id"}``."""

    def __init__(
        self,
        status: int,
        message: str,
        error_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type or error_type_for_status(status)
        # Response headers the SDK acts on: retry-after(-ms), and x-should-retry to stop retries that cannot help.
        self.headers = dict(headers or {})


# Told to the SDK with an error that no retry can fix (the gateway's configuration), so it does not try thrice.
NO_RETRY = {"x-should-retry": "false"}


def invalid_request(message: str) -> ApiError:
    return ApiError(400, message)


def not_found(message: str) -> ApiError:
    return ApiError(404, message)


class UpstreamError(ApiError):
    """A provider answered an error (or could not be reached); carries the status to map for the client."""


def error_envelope(error_type: str, message: str, request_id: str | None) -> dict:
    body: dict = {"type": "error", "error": {"type": error_type, "message": message}}
    if request_id is not None:
        body["request_id"] = request_id
    return body

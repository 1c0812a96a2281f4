"""Google's error envelope: ``{"error": {"code", "message", "status", "details"?}}``, and its common cases."""

from __future__ import annotations


class GoogleError(Exception):
    def __init__(
        self, code: int, status: str, message: str, details: list | None = None, headers: dict | None = None
    ) -> None:
        super().__init__(message)
        self.code, self.status, self.message = code, status, message
        self.details, self.headers = details, headers or {}

    def body(self) -> dict:
        error = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            error["details"] = self.details
        return {"error": error}


def invalid(message: str, field_path: str | None = None) -> GoogleError:
    details = None
    if field_path:
        violation = {"field": field_path, "description": message}
        details = [{"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [violation]}]
    return GoogleError(400, "INVALID_ARGUMENT", message, details)


def file_missing(file_id: str) -> GoogleError:
    message = f"You do not have permission to access the File {file_id} or it may not exist."
    return GoogleError(403, "PERMISSION_DENIED", message)

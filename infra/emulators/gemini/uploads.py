"""Resumable uploads (``POST /upload/v1beta/files``): the start request, then chunks to the session URL."""

from __future__ import annotations

import re
import secrets

from starlette.requests import Request
from starlette.responses import Response

from infra.emulators.gemini.errors import GoogleError, invalid
from infra.emulators.gemini.http import base_url, json_response, read_json
from infra.emulators.gemini.proto import parse_message
from infra.emulators.gemini.state import API_VERSION, GeminiEmulator, StoredFile, UploadSession, new_id, now

MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024
_FILE_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")


class Uploads:
    def __init__(self, emulator: GeminiEmulator) -> None:
        self.emu = emulator

    async def upload(self, request: Request) -> Response:
        if "upload_id" in request.query_params:
            return await self._upload_chunk(request, request.query_params["upload_id"])
        return await self._upload_start(request)

    async def _upload_start(self, request: Request) -> Response:
        headers = request.headers
        if headers.get("x-goog-upload-protocol", "").lower() != "resumable":
            raise invalid(
                "Only the resumable upload protocol is supported: X-Goog-Upload-Protocol: resumable."
            )
        if headers.get("x-goog-upload-command", "").lower() != "start":
            raise invalid("X-Goog-Upload-Command must be 'start' to begin a resumable upload.")
        raw_size = headers.get("x-goog-upload-header-content-length", "")
        if not raw_size.isdigit():
            raise invalid("X-Goog-Upload-Header-Content-Length is missing or not a number.")
        size = int(raw_size)
        if size > MAX_FILE_BYTES:
            raise invalid(f"File size {size} exceeds the maximum of {MAX_FILE_BYTES} bytes.")
        metadata = parse_message("CreateFileRequest", await read_json(request)).get("file", {})
        if "sizeBytes" in metadata and metadata["sizeBytes"] != size:
            raise invalid(
                "file.size_bytes does not match X-Goog-Upload-Header-Content-Length.", "file.size_bytes"
            )
        mime_type = metadata.get("mimeType") or headers.get("x-goog-upload-header-content-type")
        if not mime_type:
            raise invalid("The file's MIME type is required (X-Goog-Upload-Header-Content-Type).")
        file_id = new_id()
        if metadata.get("name"):
            file_id = metadata["name"].removeprefix("files/")
            if not _FILE_ID.match(file_id):
                raise invalid(f"Invalid file name: {metadata['name']}", "file.name")
            if file_id in self.emu.files:
                raise GoogleError(409, "ALREADY_EXISTS", f"File files/{file_id} already exists.")
        session_id = secrets.token_urlsafe(24)
        self.emu.sessions[session_id] = UploadSession(size, mime_type, metadata.get("displayName"), file_id)
        upload_url = (
            f"{base_url(request)}/upload/{API_VERSION}/files?upload_id={session_id}&upload_protocol=resumable"
        )
        session_headers = {
            "x-goog-upload-url": upload_url,
            "x-goog-upload-status": "active",
            "x-goog-upload-chunk-granularity": "262144",
        }
        return Response(b"", headers=session_headers)

    async def _upload_chunk(self, request: Request, session_id: str) -> Response:
        session = self.emu.sessions.get(session_id)
        if session is None:
            raise GoogleError(
                404, "NOT_FOUND", "Upload session not found.", headers={"x-goog-upload-status": "final"}
            )
        commands = {
            part.strip().lower() for part in request.headers.get("x-goog-upload-command", "").split(",")
        }
        active = {"x-goog-upload-status": "active", "x-goog-upload-size-received": str(len(session.received))}
        if commands == {"query"}:
            return Response(b"", headers=active)
        if commands == {"cancel"}:
            del self.emu.sessions[session_id]
            return Response(b"", headers={"x-goog-upload-status": "cancelled"})
        if not commands or not commands <= {"upload", "finalize"}:
            raise invalid(
                "X-Goog-Upload-Command must be 'upload', 'upload, finalize', 'query' or 'cancel'.", None
            )
        offset = request.headers.get("x-goog-upload-offset", "")
        if not offset.isdigit():
            raise GoogleError(400, "INVALID_ARGUMENT", "X-Goog-Upload-Offset is missing.", headers=active)
        if int(offset) != len(session.received):
            message = (
                f"X-Goog-Upload-Offset {offset} does not match the {len(session.received)} bytes received."
            )
            raise GoogleError(400, "INVALID_ARGUMENT", message, headers=active)
        session.received += await request.body()
        if len(session.received) > session.declared_size or (
            "finalize" in commands and len(session.received) != session.declared_size
        ):
            del self.emu.sessions[session_id]
            message = (
                f"Upload size {len(session.received)} does not match the declared "
                f"X-Goog-Upload-Header-Content-Length {session.declared_size}."
            )
            raise GoogleError(400, "INVALID_ARGUMENT", message, headers={"x-goog-upload-status": "final"})
        if "finalize" not in commands:
            active["x-goog-upload-size-received"] = str(len(session.received))
            return Response(b"", headers=active)
        del self.emu.sessions[session_id]
        stored = StoredFile(
            session.file_id,
            session.display_name,
            session.mime_type,
            bytes(session.received),
            now(),
            "UPLOADED",
        )
        self.emu.files[stored.file_id] = stored
        body = {"file": stored.resource(base_url(request))}
        return json_response(body, headers={"x-goog-upload-status": "final"})

"""Files (beta) endpoints: upload, list, retrieve, download and delete."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from infra.emulators.anthropic.errors import EmulatorError, invalid
from infra.emulators.anthropic.formats import new_id
from infra.emulators.anthropic.multipart import disposition_params, parse_multipart
from infra.emulators.anthropic.paging import list_body, page_of, parse_limit
from infra.emulators.anthropic.state import Emulator, StoredFile

MAX_FILE_BYTES = 500 * 1024 * 1024
EXPIRES_MIN_SECONDS, EXPIRES_MAX_SECONDS = 3600, 7_776_000


async def _stored_upload(request: Request) -> StoredFile:
    """The file a multipart upload carries (not yet stored), with its name, type and expiry settled."""
    body = await request.body()
    if len(body) > MAX_FILE_BYTES:
        raise EmulatorError(
            413, "request_too_large", f"File exceeds the maximum size of {MAX_FILE_BYTES} bytes"
        )
    file_part = None
    expires_in = None
    for headers, data in parse_multipart(request.headers.get("content-type", ""), body):
        name, filename = disposition_params(headers.get("content-disposition", ""))
        if name == "file" and file_part is None:
            file_part = (headers, filename, data)
        elif name == "expires_in_seconds":
            expires_in = data.decode("utf-8", "replace").strip()
    if file_part is None:
        raise invalid("file: Field required")
    headers, filename, data = file_part
    mime_type = headers.get("content-type", "").split(";")[0].strip()
    if not mime_type:
        mime_type = (filename and mimetypes.guess_type(filename)[0]) or "application/octet-stream"
    if not filename:
        # What 2.x SDKs get when they send bytes without a name (see contracts A.1.1).
        filename = "unnamed" + (mimetypes.guess_extension(mime_type) or "")
    created_at = datetime.now(UTC)
    expires_at = None
    if expires_in is not None:
        if not expires_in.isdigit() or not EXPIRES_MIN_SECONDS <= int(expires_in) <= EXPIRES_MAX_SECONDS:
            raise invalid(
                f"expires_in_seconds: Input should be an integer between {EXPIRES_MIN_SECONDS} and "
                f"{EXPIRES_MAX_SECONDS}"
            )
        expires_at = created_at + timedelta(seconds=int(expires_in))
    return StoredFile(new_id("file_"), filename, mime_type, len(data), created_at, expires_at)


def file_routes(emu: Emulator) -> list[tuple[str, str, Callable]]:
    def get_file(request: Request) -> StoredFile:
        return emu.file(request.path_params["file_id"])

    async def upload_file(request: Request) -> Response:
        stored = await _stored_upload(request)
        emu.files[stored.id] = stored
        emu.remember(stored.id)
        return JSONResponse(stored.to_json())

    async def list_files(request: Request) -> Response:
        query = dict(request.query_params)
        limit = parse_limit(query)
        page = query.pop("page", None)
        if page is not None:
            if not page.startswith("page_"):
                raise invalid("page: invalid page token")
            query["after_id"] = page.removeprefix("page_")
        newest_first = list(reversed(emu.files))
        ids, has_more = page_of(newest_first, emu.sequence, query, limit)
        # The cursor style continues forward (older files) from the last item, whatever the request's direction.
        more_after = bool(ids) and any(emu.sequence[i] < emu.sequence[ids[-1]] for i in newest_first)
        body = list_body([emu.files[i].to_json() for i in ids], ids, has_more)
        body["next_page"] = f"page_{ids[-1]}" if more_after else None
        return JSONResponse(body)

    async def retrieve_file(request: Request) -> Response:
        return JSONResponse(get_file(request).to_json())

    async def download_file(request: Request) -> Response:
        stored = get_file(request)
        # Only files produced by tools are downloadable; everything uploaded here is a user upload.
        raise invalid(
            f"File {stored.id} is not downloadable: only files created by tools can be downloaded",
            details={"error_code": "file_not_downloadable"},
        )

    async def delete_file(request: Request) -> Response:
        stored = get_file(request)
        del emu.files[stored.id]
        return JSONResponse({"id": stored.id, "type": "file_deleted"})

    return [
        ("/v1/files", "POST", upload_file),
        ("/v1/files", "GET", list_files),
        ("/v1/files/{file_id}", "GET", retrieve_file),
        ("/v1/files/{file_id}", "DELETE", delete_file),
        ("/v1/files/{file_id}/content", "GET", download_file),
    ]

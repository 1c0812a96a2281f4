"""/v1/files routes: upload (multipart), list (both paging styles), metadata, content, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from handlers.config import settings
from handlers.errors import ApiError, invalid_request
from handlers.ids import is_gateway_file_id, iso
from handlers.routes.common import Context, context, paging_cursor
from handlers.services import files as service
from handlers.services import paging
from handlers.storage import bucket
from handlers.storage.records import FileRecord
from handlers.wire.files import DeletedFileOut, FileListOut, FileMetadataOut
from handlers.wire.multipart import upload_form

router = APIRouter(prefix="/anthropic/v1/files")


def present(record: FileRecord) -> FileMetadataOut:
    return FileMetadataOut(
        id=record.id,
        filename=record.filename,
        mime_type=record.mime_type,
        size_bytes=record.size_bytes,
        created_at=record.created_at,
        downloadable=record.downloadable,
        expires_at=record.expires_at,
    )


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"file too large: this gateway accepts uploads up to {limit} bytes")


@router.post("")
async def upload_file(request: Request, ctx: Annotated[Context, Depends(context)]) -> FileMetadataOut:
    limit = settings().max_upload_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + 64 * 1024:  # multipart framing allowance
        raise _too_large(limit)
    provider = ctx.provider_for_create()
    body = await request.body()
    part, fields = upload_form(request.headers.get("content-type", ""), body)
    content = part.content
    if len(content) > limit:
        raise _too_large(limit)
    expires_in = service.parse_expires_in(fields.get("expires_in_seconds"))
    record = await run_in_threadpool(
        service.upload_file, ctx.owner, provider, part.filename, part.content_type, content, expires_in
    )
    return present(record)


@router.get("")
def list_files(
    request: Request,
    ctx: Annotated[Context, Depends(context)],
    limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
    after_id: str | None = None,
    before_id: str | None = None,
    page: str | None = None,
    scope_id: str | None = None,
) -> FileListOut:
    # 2.x SDKs may ask for specific files: ids[]=a&ids[]=b (≤ 100 after de-duplication, instead of paging).
    ids = list(dict.fromkeys(request.query_params.getlist("ids[]") + request.query_params.getlist("ids")))
    if scope_id is not None:
        # Files of a session scope come from Anthropic's agent sessions; the gateway's uploads have no scope.
        found, has_more = [], False
    elif ids:
        if len(ids) > 100:
            raise invalid_request("ids: at most 100 file ids per request")
        if limit is not None or page is not None:
            raise invalid_request("ids cannot be combined with limit or page")
        found, has_more = service.files_by_ids(ctx.owner, ids, ctx.provider_header), False
    else:
        if page is not None:
            after_id = paging.decode_page_token(page)
        after_id = paging_cursor("page" if page is not None else "after_id", after_id, "file_")
        before_id = paging_cursor("before_id", before_id, "file_")
        if after_id and before_id:
            raise invalid_request("send at most one of after_id, before_id and page")
        found, has_more = service.list_files(ctx.owner, limit or 20, after_id, before_id, ctx.provider_header)
    data = [present(r) for r in found]
    last_id = data[-1].id if data else None
    return FileListOut(
        data=data,
        has_more=has_more,
        first_id=data[0].id if data else None,
        last_id=last_id,
        next_page=paging.encode_page_token(last_id) if (has_more and last_id) else None,
    )


def _raw_provider(ctx: Context, file_id: str) -> str | None:
    """A provider's own file id (e.g. OpenAI ``file-abc123``) is passed through, but only where owner isolation
    does not apply: open mode or an admin key, with a provider header naming where the id lives."""
    if is_gateway_file_id(file_id) or ctx.provider_header in (None, "anthropic"):
        return None
    return ctx.provider_header if ctx.caller.admin else None


def _owned_or_raw(ctx: Context, file_id: str) -> tuple[FileRecord | None, str | None]:
    """The caller's gateway file, or the provider to pass a raw id to. Files Anthropic's tools made (code
    execution outputs, named in results) were never uploaded through the gateway: where raw ids are allowed,
    an unknown ``file_…`` id is asked of Anthropic itself."""
    raw = _raw_provider(ctx, file_id)
    if raw:
        return None, raw
    try:
        return service.get_owned_file(ctx.owner, file_id), None
    except ApiError as exc:
        tool_file = (
            ctx.caller.admin and ctx.provider_header in (None, "anthropic") and file_id.startswith("file_")
        )
        if exc.status == 404 and tool_file and service.provider_configured("anthropic"):
            return None, "anthropic"
        raise


@router.get("/{file_id}")
def retrieve_file(file_id: str, ctx: Annotated[Context, Depends(context)]) -> FileMetadataOut:
    record, raw = _owned_or_raw(ctx, file_id)
    if raw:
        up = service.raw_upstream_file(raw, file_id)
        return FileMetadataOut(
            id=file_id,
            filename=up.filename,
            mime_type=up.mime_type,
            size_bytes=up.size_bytes,
            created_at=iso(up.created_at),
            downloadable=up.downloadable,
        )
    return present(record)


@router.get("/{file_id}/content")
def download_file(file_id: str, ctx: Annotated[Context, Depends(context)]) -> Response:
    limit = settings().results_redirect_bytes
    record, raw = _owned_or_raw(ctx, file_id)
    if raw:
        key = bucket.raw_download_key(raw, file_id)
        if limit is not None and bucket.size_of(key) is not None:
            return RedirectResponse(bucket.presigned_get(key), status_code=302)  # staged by an earlier call
        content = service.raw_download(raw, file_id)
        if limit is not None and len(content) > limit:
            # Too big for a Lambda response (e.g. an OpenAI batch output): staged once (provider files do not
            # change), then handed out presigned.
            bucket.put_bytes(key, content)
            return RedirectResponse(bucket.presigned_get(key), status_code=302)
        return Response(content, media_type="application/octet-stream")
    if limit is not None and record.size_bytes > limit:
        # Behind Lambda a response may not exceed 6 MB: hand out the staged copy by presigned URL instead.
        return RedirectResponse(bucket.presigned_get(bucket.upload_key(record.id)), status_code=302)
    content, mime_type = service.download_file(record)  # the record _owned_or_raw already read
    return Response(content, media_type=mime_type)


@router.delete("/{file_id}")
def delete_file(file_id: str, ctx: Annotated[Context, Depends(context)]) -> DeletedFileOut:
    raw = _raw_provider(ctx, file_id)
    if raw:
        service.raw_delete(raw, file_id)
    else:
        service.delete_file(ctx.owner, file_id)
    return DeletedFileOut(id=file_id)

"""/v1/messages/batches routes: parse and check the Anthropic request, call the batch service, present."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, StreamingResponse
from pydantic import ValidationError

from handlers.config import settings
from handlers.errors import ApiError, invalid_request
from handlers.log import log_event
from handlers.routes.common import Context, context, json_body, paging_cursor, public_base_url
from handlers.services import batches as service
from handlers.storage import bucket
from handlers.storage.records import ENDED, BatchRecord
from handlers.wire.batches import (
    BatchListOut,
    CreateBatchIn,
    DeletedBatchOut,
    MessageBatchOut,
    RequestCounts,
)
from handlers.wire.validation import describe

router = APIRouter(prefix="/anthropic/v1/messages/batches")

# A retrieve finishes a batch itself when this small; bigger ones are materialized by the poller.
INLINE_MATERIALIZE_MAX_REQUESTS = 2_000


def present(batch: BatchRecord, base_url: str) -> MessageBatchOut:
    ended = batch.state == ENDED
    # Anthropic semantics: everything is processing until the whole batch has ended.
    counts = RequestCounts(**batch.counts) if ended else RequestCounts(processing=batch.request_count)
    if ended:
        status = "ended"
    elif batch.cancel_initiated_at:
        status = "canceling"
    else:
        status = "in_progress"
    return MessageBatchOut(
        id=batch.id,
        processing_status=status,
        request_counts=counts,
        created_at=batch.created_at,
        ended_at=batch.ended_at,
        expires_at=batch.expires_at,
        cancel_initiated_at=batch.cancel_initiated_at,
        results_url=f"{base_url}/v1/messages/batches/{batch.id}/results" if ended else None,
    )


@router.post("")
async def create_batch(request: Request, ctx: Annotated[Context, Depends(context)]) -> MessageBatchOut:
    body = await json_body(request)
    try:
        CreateBatchIn.model_validate(body)
    except ValidationError as exc:
        raise invalid_request(describe(exc)) from exc
    provider = ctx.provider_for_create()
    base_url = public_base_url(request)
    fingerprint = hashlib.sha256(f"{provider}\n".encode() + await request.body()).hexdigest()
    if _is_sdk_retry(request):
        # The SDK retries a create whose answer it never got (timeouts, 5xx); answer with the batch the
        # first attempt made rather than start a duplicate.
        earlier = await run_in_threadpool(service.batch_created_by, ctx.owner, fingerprint)
        if earlier is not None:
            return present(earlier, base_url)
    # The validated body is passed on as sent, so nothing the user wrote is rewritten by model defaults.
    batch = await run_in_threadpool(
        service.create_batch,
        ctx.owner,
        provider,
        base_url,
        body["requests"],
        fingerprint,
        client_betas(request),
    )
    return present(batch, base_url)


def client_betas(request: Request) -> list[str]:
    """Every ``anthropic-beta`` value the client sent (comma-separated, possibly repeated), in order, once."""
    values = request.headers.getlist("anthropic-beta")
    return list(dict.fromkeys(beta.strip() for value in values for beta in value.split(",") if beta.strip()))


def _is_sdk_retry(request: Request) -> bool:
    count = request.headers.get("x-stainless-retry-count", "0")
    return count.isdigit() and int(count) > 0


@router.get("")
def list_batches(
    request: Request,
    ctx: Annotated[Context, Depends(context)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 20,
    after_id: str | None = None,
    before_id: str | None = None,
) -> BatchListOut:
    after_id = paging_cursor("after_id", after_id, "msgbatch_")
    before_id = paging_cursor("before_id", before_id, "msgbatch_")
    if after_id and before_id:
        raise invalid_request("send at most one of after_id and before_id")
    found, has_more = service.list_batches(ctx.owner, limit, after_id, before_id, ctx.provider_header)
    base_url = public_base_url(request)
    data = [present(b, base_url) for b in found]
    return BatchListOut(
        data=data,
        has_more=has_more,
        first_id=data[0].id if data else None,
        last_id=data[-1].id if data else None,
    )


@router.get("/{batch_id}")
def retrieve_batch(
    batch_id: str, request: Request, ctx: Annotated[Context, Depends(context)]
) -> MessageBatchOut:
    batch = service.get_owned_batch(ctx.owner, batch_id)
    try:
        batch = service.advance(batch, materialize_up_to=INLINE_MATERIALIZE_MAX_REQUESTS)
    except ApiError as exc:
        # The stored state is still a true answer; the poller will catch up once the provider does.
        log_event("refresh_failed", batch_id=batch_id, provider=batch.provider, status=exc.status)
    return present(batch, public_base_url(request))


@router.post("/{batch_id}/cancel")
def cancel_batch(
    batch_id: str, request: Request, ctx: Annotated[Context, Depends(context)]
) -> MessageBatchOut:
    return present(service.cancel_batch(ctx.owner, batch_id), public_base_url(request))


@router.delete("/{batch_id}")
def delete_batch(batch_id: str, ctx: Annotated[Context, Depends(context)]) -> DeletedBatchOut:
    service.delete_batch(ctx.owner, batch_id)
    return DeletedBatchOut(id=batch_id)


@router.get("/{batch_id}/results")
def batch_results(batch_id: str, ctx: Annotated[Context, Depends(context)]):
    batch = service.get_owned_batch(ctx.owner, batch_id)
    if batch.state != ENDED:
        raise invalid_request(f"message batch {batch_id!r} has not ended yet; its results are not available")
    key = bucket.results_key(batch.id)
    limit = settings().results_redirect_bytes
    if limit is not None and (batch.results_bytes or 0) > limit:
        # Behind Lambda a response may not exceed 6 MB: send the client to a short-lived presigned URL instead.
        return RedirectResponse(bucket.presigned_get(key), status_code=302)
    chunks = bucket.open_chunks(key)
    if chunks is None:
        raise ApiError(404, f"the results of message batch {batch_id!r} are no longer available")
    return StreamingResponse(chunks, media_type="application/x-jsonl")

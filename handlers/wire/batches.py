"""Pydantic models of the Anthropic Message Batches wire contract (contracts.md A.2)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

CustomId = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9_-]{1,64}$")]
MAX_REQUESTS = 100_000


class MessageParamsIn(BaseModel):
    """A Messages create body. Only what the gateway itself checks is typed; the rest passes through."""

    model_config = ConfigDict(extra="allow")

    # Strict types, as Anthropic's own validation: "5", true or 1.0 are not a max_tokens.
    model: Annotated[str, StringConstraints(min_length=1, strict=True)]
    max_tokens: Annotated[int, Field(ge=1, strict=True)]
    messages: Annotated[list[dict], Field(min_length=1)]
    stream: Annotated[bool, Field(strict=True)] | None = None

    @field_validator("stream")
    @classmethod
    def _no_streaming(cls, value: bool | None) -> bool | None:
        if value:
            raise ValueError(
                "streaming is not supported in message batches; remove `stream` or set it to false"
            )
        return value


class BatchRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    custom_id: CustomId
    params: MessageParamsIn


class CreateBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    requests: Annotated[list[BatchRequestIn], Field(min_length=1, max_length=MAX_REQUESTS)]

    @model_validator(mode="after")
    def _unique_custom_ids(self) -> CreateBatchIn:
        seen: set[str] = set()
        for item in self.requests:
            if item.custom_id in seen:
                raise ValueError(
                    f"custom_id {item.custom_id!r} is used more than once; custom_ids must be unique"
                )
            seen.add(item.custom_id)
        return self


class RequestCounts(BaseModel):
    processing: int = 0
    succeeded: int = 0
    errored: int = 0
    canceled: int = 0
    expired: int = 0


class MessageBatchOut(BaseModel):
    id: str
    type: Literal["message_batch"] = "message_batch"
    processing_status: Literal["in_progress", "canceling", "ended"]
    request_counts: RequestCounts
    created_at: str
    ended_at: str | None = None
    expires_at: str
    archived_at: str | None = None
    cancel_initiated_at: str | None = None
    results_url: str | None = None


class BatchListOut(BaseModel):
    data: list[MessageBatchOut]
    has_more: bool
    first_id: str | None
    last_id: str | None


class DeletedBatchOut(BaseModel):
    id: str
    type: Literal["message_batch_deleted"] = "message_batch_deleted"

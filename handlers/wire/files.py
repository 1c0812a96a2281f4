"""Pydantic models of the Anthropic Files wire contract (contracts.md A.1)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, computed_field


class FileMetadataOut(BaseModel):
    id: str
    type: Literal["file"] = "file"
    filename: str
    mime_type: str
    size_bytes: int
    created_at: str
    downloadable: bool = False
    expires_at: str | None = None  # null: kept until deleted (uploaded without expires_in_seconds)

    @computed_field
    @property
    def size(self) -> int:
        """``size_bytes`` again: the reference page's List Files example prints ``file.size``, which the SDK
        (whose models keep unknown fields) only has when the answer carries it."""
        return self.size_bytes


class FileListOut(BaseModel):
    """Both paging styles in one envelope: 0.x–1.1 SDKs read has_more/first_id/last_id, ≥1.2 read next_page."""

    data: list[FileMetadataOut]
    has_more: bool
    first_id: str | None
    last_id: str | None
    next_page: str | None


class DeletedFileOut(BaseModel):
    id: str
    type: Literal["file_deleted"] = "file_deleted"

"""In-memory files, upload sessions and batches of one emulated account, and each batch's time-derived state.

No background threads: a batch is PENDING, then RUNNING, then SUCCEEDED (or EXPIRED) ``batch_seconds`` after
creation, judged at each request; ``[[hold]]`` keeps it RUNNING until cancelled.
"""

from __future__ import annotations

import base64
import hashlib
import random
import re
import secrets
import string
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlparse

from infra.emulators.gemini.errors import GoogleError, file_missing
from infra.emulators.gemini.proto import json_text
from infra.emulators.replies import shuffled

API_VERSION = "v1beta"
FILE_TTL_SECONDS = 48 * 3600
PENDING_FRACTION = 0.2
CANCEL_FRACTION = 0.1
# States in which a batch has answered requests (all of them, or those not held when cancelled).
ANSWERED_STATES = ("BATCH_STATE_SUCCEEDED", "BATCH_STATE_CANCELLED")
_ID_ALPHABET = string.ascii_lowercase + string.digits


class Clock:
    """The emulator's time: tests move ``offset`` forward to age files (48 h lifetime) and batches."""

    offset = 0.0


CLOCK = Clock()


def now() -> float:
    return time.time() + CLOCK.offset


def timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_id(length: int = 12) -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


@dataclass
class StoredFile:
    file_id: str
    display_name: str | None
    mime_type: str
    data: bytes
    created: float
    source: str  # UPLOADED | GENERATED

    def resource(self, base_url: str) -> dict:
        digest = hashlib.sha256(self.data).hexdigest().encode()
        resource = {
            "name": f"files/{self.file_id}",
            "displayName": self.display_name,
            "mimeType": self.mime_type,
            "sizeBytes": str(len(self.data)),
            "createTime": timestamp(self.created),
            "updateTime": timestamp(self.created),
            "expirationTime": timestamp(self.created + FILE_TTL_SECONDS),
            "sha256Hash": base64.b64encode(digest).decode(),
            "uri": f"{base_url}/{API_VERSION}/files/{self.file_id}",
            "state": "ACTIVE",
            "source": self.source,
        }
        if self.source == "GENERATED":
            resource["downloadUri"] = (
                f"{base_url}/download/{API_VERSION}/files/{self.file_id}:download?alt=media"
            )
        return {key: value for key, value in resource.items() if value is not None}


@dataclass
class UploadSession:
    declared_size: int
    mime_type: str
    display_name: str | None
    file_id: str
    received: bytearray = field(default_factory=bytearray)


@dataclass
class BatchItem:
    metadata: dict | None  # inline: echoed metadata; file: {"key": ...}
    outcome: dict  # {"response": ...} | {"error": ...}
    held: bool


@dataclass
class Batch:
    batch_id: str
    model: str
    display_name: str | None
    input_config: dict
    from_file: bool
    items: list[BatchItem]
    created: float
    hold: bool
    expire: bool
    cancel_requested: float | None = None
    output_file_id: str | None = None


class GeminiEmulator:
    def __init__(self, api_key: str, batch_seconds: float) -> None:
        self.api_key = api_key
        self.batch_seconds = batch_seconds
        self.files: dict[str, StoredFile] = {}
        self.sessions: dict[str, UploadSession] = {}
        self.batches: dict[str, Batch] = {}

    # ---- batch timeline ------------------------------------------------------------------------

    def state_of(self, batch: Batch, now: float) -> tuple[str, float, float | None]:
        """(state, updateTime, endTime) at ``now``."""
        running_at = batch.created + PENDING_FRACTION * self.batch_seconds
        if batch.cancel_requested is not None:
            cancelled_at = batch.cancel_requested + CANCEL_FRACTION * self.batch_seconds
            if now >= cancelled_at:
                return "BATCH_STATE_CANCELLED", cancelled_at, cancelled_at
        if now < running_at:
            return "BATCH_STATE_PENDING", batch.created, None
        finished_at = batch.created + self.batch_seconds
        if batch.hold or batch.cancel_requested is not None or now < finished_at:
            return "BATCH_STATE_RUNNING", running_at, None
        return ("BATCH_STATE_EXPIRED" if batch.expire else "BATCH_STATE_SUCCEEDED"), finished_at, finished_at

    def answered(self, batch: Batch, state: str) -> list[BatchItem]:
        if state == "BATCH_STATE_SUCCEEDED":
            return batch.items
        if state == "BATCH_STATE_CANCELLED":
            return [item for item in batch.items if not item.held]
        return []

    def in_output_order(self, batch: Batch, state: str) -> list[BatchItem]:
        """The answered items, shuffled per batch: outputs never follow input order, so consumers match by key."""
        return shuffled(self.answered(batch, state), random.Random(batch.batch_id))

    def settle(self, now: float) -> None:
        """Materialise the responses file of file-input batches that have ended."""
        for batch in self.batches.values():
            if not batch.from_file or batch.output_file_id:
                continue
            state, _, end = self.state_of(batch, now)
            if state not in ANSWERED_STATES:
                continue
            lines = [
                json_text({"key": (item.metadata or {}).get("key"), **item.outcome})
                for item in self.in_output_order(batch, state)
            ]
            data = "".join(line + "\n" for line in lines).encode()
            file_id = f"batch-{batch.batch_id}"
            self.files[file_id] = StoredFile(file_id, None, "application/jsonl", data, end, "GENERATED")
            batch.output_file_id = file_id

    # ---- lookups --------------------------------------------------------------------------------

    def get_file(self, file_id: str) -> StoredFile:
        stored = self.files.get(file_id)
        if stored is None or now() >= stored.created + FILE_TTL_SECONDS:
            self.files.pop(file_id, None)  # Gemini deletes files 48 h after upload
            raise file_missing(file_id)
        return stored

    def get_batch(self, batch_id: str) -> Batch:
        if batch_id not in self.batches:
            raise GoogleError(404, "NOT_FOUND", "Requested entity was not found.")
        return self.batches[batch_id]

    def resolve_file_uri(self, uri: str) -> bool:
        parsed = urlparse(uri)
        match = re.fullmatch(rf"/{API_VERSION}/files/([a-z0-9-]+)", parsed.path)
        if parsed.scheme not in ("http", "https") or not match:
            return False
        self.get_file(match.group(1))  # a URI of ours naming a missing file is a 403, as for real
        return True

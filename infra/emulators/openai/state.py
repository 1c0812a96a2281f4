"""In-memory files and batches of one emulated account, and each batch's time-derived status.

No background threads: a batch moves validating → in_progress → finalizing → completed over ``batch_seconds``,
judged at each request, and its output/error files are written the first time it is seen finished.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

from infra.emulators.openai.completion import batch_usage
from infra.emulators.openai.create_params import check_create_params
from infra.emulators.openai.errors import OpenAIError, bad_request
from infra.emulators.openai.ids import random_id
from infra.emulators.openai.input_file import Validation, validate_input_file
from infra.emulators.openai.result_lines import finished_lines, jsonl, request_turn
from infra.emulators.replies import EXPIRE, HOLD

# Fractions of ``batch_seconds``: validating ends, finalizing starts; cancelling lasts CANCEL_SHARE.
VALIDATING_SHARE, FINALIZING_SHARE, CANCEL_SHARE = 0.2, 0.8, 0.2
TERMINAL_STATUSES = ("completed", "failed", "expired", "cancelled")


@dataclass
class StoredFile:
    id: str
    filename: str
    purpose: str
    content: bytes
    created_at: int
    expires_at: int | None

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.content),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
            "expires_at": self.expires_at,
            "status_details": None,
        }


@dataclass
class StoredBatch:
    id: str
    endpoint: str
    input_file_id: str
    metadata: dict | None
    output_ttl: int | None
    started: float
    validation: Validation
    cancel_requested: float | None = None
    finished_as: str | None = None  # terminal status once its files are written
    output_file_id: str | None = None
    error_file_id: str | None = None
    counts: dict = field(default_factory=lambda: {"total": 0, "completed": 0, "failed": 0})
    usage: dict = field(default_factory=lambda: batch_usage(0, 0))
    held: bool = False  # some request has [[hold]]: never finishes until cancelled
    expiring: bool = False  # some request has [[expire]]: the batch ends "expired"


class Emulator:
    """All state of one emulated account; every method maps to one endpoint."""

    def __init__(self, batch_seconds: float) -> None:
        self.batch_seconds = batch_seconds
        self.files: dict[str, StoredFile] = {}
        self.batches: dict[str, StoredBatch] = {}

    # -- files

    def add_file(self, filename: str, purpose: str, content: bytes, ttl: int | None) -> StoredFile:
        now = int(time.time())
        stored = StoredFile(
            random_id("file-", 22), filename, purpose, content, now, now + ttl if ttl else None
        )
        self.files[stored.id] = stored
        return stored

    def file(self, file_id: str) -> StoredFile:
        if file_id not in self.files:
            raise OpenAIError(404, f"No such File object: {file_id}", param="id")
        return self.files[file_id]

    # -- batches

    def create_batch(self, payload: dict) -> StoredBatch:
        endpoint, input_file_id = check_create_params(payload)
        stored = self.files.get(input_file_id)
        if stored is None:
            raise bad_request(f"Invalid 'input_file_id': no such file '{input_file_id}'.", "input_file_id")
        if stored.purpose != "batch":
            raise bad_request(
                f"Invalid 'input_file_id': file '{input_file_id}' has purpose '{stored.purpose}'; "
                "batch input files must be uploaded with purpose 'batch'.",
                "input_file_id",
            )
        output_ttl = (payload.get("output_expires_after") or {}).get("seconds")
        batch = StoredBatch(
            id="batch_" + secrets.token_hex(16),
            endpoint=endpoint,
            input_file_id=input_file_id,
            metadata=payload.get("metadata"),
            output_ttl=output_ttl,
            started=time.time(),
            validation=validate_input_file(stored.content, endpoint),
        )
        turns = [request_turn(r) for r in batch.validation.requests]
        batch.held = any(turn.asks(HOLD) for turn in turns)
        batch.expiring = any(turn.asks(EXPIRE) for turn in turns)
        self.batches[batch.id] = batch
        return batch

    def batch(self, batch_id: str) -> StoredBatch:
        if batch_id not in self.batches:
            raise OpenAIError(404, f"No batch found with id '{batch_id}'.")
        return self.batches[batch_id]

    def cancel(self, batch: StoredBatch) -> None:
        status = self.status(batch, time.time())
        if status in TERMINAL_STATUSES:
            # Real answer: 409 {"message": "Cannot cancel a batch with status 'completed'.", code null}.
            raise OpenAIError(409, f"Cannot cancel a batch with status '{status}'.")
        if batch.cancel_requested is None:
            batch.cancel_requested = time.time()

    # -- timeline

    def at(self, batch: StoredBatch, share: float) -> float:
        """The moment ``share`` of the batch's run time has passed."""
        return batch.started + share * self.batch_seconds

    def status(self, batch: StoredBatch, now: float) -> str:
        if batch.finished_as:
            return batch.finished_as
        if batch.cancel_requested is not None:
            cancelled = now >= batch.cancel_requested + CANCEL_SHARE * self.batch_seconds
            return self._finish(batch, "cancelled") if cancelled else "cancelling"
        if now < self.at(batch, VALIDATING_SHARE):
            return "validating"
        if batch.validation.errors:
            return self._finish(batch, "failed")
        if batch.held or now < self.at(batch, FINALIZING_SHARE):
            return "in_progress"
        if batch.expiring:
            # An expiring batch never finalizes on time: it ends "expired" with partial output.
            return self._finish(batch, "expired") if now >= self.at(batch, 1.0) else "in_progress"
        return self._finish(batch, "completed") if now >= self.at(batch, 1.0) else "finalizing"

    def _finish(self, batch: StoredBatch, status: str) -> str:
        """Write the output/error files once, when the batch is first seen in a terminal status."""
        batch.finished_as = status
        if batch.validation.errors or not batch.validation.requests:
            return status  # an invalid file produces no output, even when cancelled while validating
        output, errors = finished_lines(batch.validation.requests, status, int(time.time()), batch.id)
        ttl = batch.output_ttl
        if output:
            batch.output_file_id = self.add_file(
                f"{batch.id}_output.jsonl", "batch_output", jsonl(output), ttl
            ).id
        if errors:
            batch.error_file_id = self.add_file(
                f"{batch.id}_error.jsonl", "batch_output", jsonl(errors), ttl
            ).id
        batch.counts = {
            "total": len(batch.validation.requests),
            "completed": len(output),
            "failed": len(errors),
        }
        usages = [line["response"]["body"]["usage"] for line in output]
        batch.usage = batch_usage(
            sum(u["prompt_tokens"] for u in usages), sum(u["completion_tokens"] for u in usages)
        )
        return status

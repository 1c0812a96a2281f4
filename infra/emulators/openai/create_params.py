"""Validation of the create-batch parameters and of ``expires_after`` (shared with file uploads)."""

from __future__ import annotations

from typing import Any

from infra.emulators.openai.errors import bad_request
from infra.emulators.openai.field_checks import metadata_problem

BATCH_ENDPOINTS = (
    "/v1/responses",
    "/v1/chat/completions",
    "/v1/embeddings",
    "/v1/completions",
    "/v1/moderations",
    "/v1/images/generations",
    "/v1/images/edits",
    "/v1/videos",
)
EMULATED_ENDPOINT = "/v1/chat/completions"
EXPIRES_MIN_SECONDS, EXPIRES_MAX_SECONDS = 3600, 2_592_000


def check_create_params(payload: Any) -> tuple[str, str]:
    """(endpoint, input_file_id) of a valid create-batch body."""
    if not isinstance(payload, dict):
        raise bad_request("The request body must be a JSON object.")
    allowed = {"input_file_id", "endpoint", "completion_window", "metadata", "output_expires_after"}
    for key in payload:
        if key not in allowed:
            raise bad_request(f"Unrecognized request argument supplied: {key}", key, "unknown_parameter")
    for key in ("input_file_id", "endpoint", "completion_window"):
        if key not in payload:
            raise bad_request(f"Missing required parameter: '{key}'.", key, "missing_required_parameter")
        if not isinstance(payload[key], str):
            raise bad_request(f"Invalid type for '{key}': expected a string.", key, "invalid_type")
    endpoint = payload["endpoint"]
    if endpoint not in BATCH_ENDPOINTS:
        choices = ", ".join(f"'{e}'" for e in BATCH_ENDPOINTS)
        raise bad_request(
            f"Invalid value: '{endpoint}'. Supported values are: {choices}.", "endpoint", "invalid_value"
        )
    if endpoint != EMULATED_ENDPOINT:
        # A limit of the emulator, not of OpenAI: only Chat Completions requests are executed here.
        raise bad_request(
            f"The emulator only runs '{EMULATED_ENDPOINT}' batches.", "endpoint", "invalid_value"
        )
    if payload["completion_window"] != "24h":
        raise bad_request(
            f"Invalid value: '{payload['completion_window']}'. Supported values are: '24h'.",
            "completion_window",
            "invalid_value",
        )
    if payload.get("metadata") is not None and (problem := metadata_problem(payload["metadata"], "metadata")):
        raise bad_request(problem, "metadata", "invalid_value")
    if "output_expires_after" in payload:
        check_expires_after(payload["output_expires_after"], "output_expires_after")
    return endpoint, payload["input_file_id"]


def check_expires_after(value: Any, param: str) -> int:
    if not isinstance(value, dict) or value.get("anchor") != "created_at":
        raise bad_request(
            f"Invalid '{param}': 'anchor' must be 'created_at'.", f"{param}.anchor", "invalid_value"
        )
    seconds = value.get("seconds")
    if isinstance(seconds, str) and seconds.isdigit():
        seconds = int(seconds)  # multipart fields arrive as text
    if (
        not isinstance(seconds, int)
        or isinstance(seconds, bool)
        or not EXPIRES_MIN_SECONDS <= seconds <= EXPIRES_MAX_SECONDS
    ):
        raise bad_request(
            f"Invalid '{param}.seconds': expected an integer between {EXPIRES_MIN_SECONDS} and {EXPIRES_MAX_SECONDS}.",
            f"{param}.seconds",
            "invalid_value",
        )
    return seconds

"""The requests of a batch, read from its inline requests or its JSONL input file and checked like the API."""

from __future__ import annotations

import json

from infra.emulators.gemini.errors import GoogleError, invalid
from infra.emulators.gemini.proto import parse_message
from infra.emulators.gemini.request_checks import check_request
from infra.emulators.gemini.state import GeminiEmulator

# (metadata, GenerateContentRequest): inline metadata is echoed back; a file line's key comes back as {"key"}.
Pair = tuple[dict | None, dict]


def inline_requests(emulator: GeminiEmulator, requests: list, model: str) -> list[Pair]:
    if not requests:
        message = "* GenerateContentBatch.input_config.requests: at least one request is required"
        raise invalid(message, "batch.input_config.requests.requests")
    pairs = []
    for i, item in enumerate(requests):
        path = f"batch.input_config.requests.requests[{i}].request"
        if "request" not in item:
            raise invalid(f"* {path}: request is not specified", path)
        check_request(item["request"], path, emulator.resolve_file_uri, model)
        pairs.append((item.get("metadata"), item["request"]))
    return pairs


def file_requests(emulator: GeminiEmulator, file_name: str, model: str) -> list[Pair]:
    stored = emulator.get_file(file_name.removeprefix("files/"))
    pairs = []
    for number, line in enumerate(stored.data.decode("utf-8", errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = parse_message("BatchInputLine", json.loads(line))
            if "request" not in entry:
                raise invalid("request is not specified", "request")
            check_request(entry["request"], "request", emulator.resolve_file_uri, model)
        except json.JSONDecodeError:
            raise invalid(f"Input file {file_name} line {number}: invalid JSON.") from None
        except GoogleError as error:
            error.message = f"Input file {file_name} line {number}: {error.message}"
            raise
        pairs.append(({"key": entry["key"]} if "key" in entry else None, entry["request"]))
    if not pairs:
        raise invalid(f"Input file {file_name} contains no requests.", "batch.input_config.file_name")
    return pairs

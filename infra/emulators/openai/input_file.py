"""The ``validating`` phase: checks every line of a batch input file; any error fails the whole batch."""

from __future__ import annotations

import json
from dataclasses import dataclass

from infra.emulators.openai.chat_body import check_chat_body
from infra.emulators.openai.errors import LineError

MAX_BATCH_LINES = 50_000


@dataclass
class InputRequest:
    line: int
    custom_id: str
    body: dict


@dataclass
class Validation:
    requests: list[InputRequest]
    errors: list[dict]
    model: str | None


def validate_input_file(content: bytes, endpoint: str) -> Validation:
    """What the real ``validating`` phase checks; any error fails the whole batch with per-line entries."""
    text = content.decode("utf-8", errors="replace").rstrip("\r\n")
    if not text.strip():
        return Validation(
            [], [_batch_error("empty_file", "The batch input file is empty.", None, None)], None
        )
    lines = text.split("\n")
    if len(lines) > MAX_BATCH_LINES:
        message = f"The batch input file has {len(lines)} requests; the maximum is {MAX_BATCH_LINES}."
        return Validation([], [_batch_error("too_many_tasks", message, None, None)], None)
    requests, errors, seen = [], [], set()
    model: str | None = None
    for number, raw in enumerate(lines, start=1):
        try:
            request = _check_line(raw, number, endpoint, seen)
            if model is None:
                model = request.body["model"]
            elif request.body["model"] != model:
                raise LineError(
                    "mismatched_model",
                    f"The model '{request.body['model']}' does not match the model '{model}' used by the other "
                    "requests. Each input file can only include requests to a single model.",
                    "body.model",
                )
            requests.append(request)
        except LineError as problem:
            errors.append(_batch_error(problem.code, problem.message, problem.param, number))
    return Validation(requests, errors, model)


def _check_line(raw: str, number: int, endpoint: str, seen: set[str]) -> InputRequest:
    try:
        item = json.loads(raw)
    except ValueError:
        raise LineError("invalid_json_line", "This line is not parseable as valid JSON.") from None
    if not isinstance(item, dict):
        raise LineError("invalid_json_line", "This line is not a JSON object.")
    custom_id = item.get("custom_id")
    if custom_id is None:
        raise LineError("missing_required_parameter", "Missing required parameter: 'custom_id'.", "custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        raise LineError("invalid_request", "Invalid 'custom_id': expected a non-empty string.", "custom_id")
    if custom_id in seen:
        raise LineError(
            "duplicate_custom_id",
            "The custom_id for this request is a duplicate of another request. The custom_id parameter must be "
            "unique for each individual request in a batch.",
            "custom_id",
        )
    seen.add(custom_id)
    if item.get("method") != "POST":
        raise LineError("invalid_method", "The method for this request must be 'POST'.", "method")
    if item.get("url") != endpoint:
        raise LineError(
            "invalid_url",
            f"The URL provided for this request does not match the batch endpoint '{endpoint}'.",
            "url",
        )
    if "body" not in item:
        raise LineError("missing_required_parameter", "Missing required parameter: 'body'.", "body")
    check_chat_body(item["body"])
    return InputRequest(number, custom_id, item["body"])


def _batch_error(code: str, message: str, param: str | None, line: int | None) -> dict:
    return {"code": code, "message": message, "param": param, "line": line}

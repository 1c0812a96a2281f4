"""The output and error files of a finished batch: one line per request, never in input order."""

from __future__ import annotations

import json
import random
import secrets

from infra.emulators.openai.completion import chat_completion, last_turn, tool_names
from infra.emulators.openai.input_file import InputRequest
from infra.emulators.replies import EXPIRE, HOLD, LastTurn, ReplyKind, reply_to, shuffled

EXPIRED_MESSAGE = "This request could not be executed before the completion window expired."
CANCELLED_MESSAGE = "This request was not executed because the batch was cancelled."


def request_turn(request: InputRequest) -> LastTurn:
    return last_turn(request.body["messages"])


def _response_line(custom_id: str, status: int, body: dict) -> dict:
    return {
        "id": "batch_req_" + secrets.token_hex(16),
        "custom_id": custom_id,
        "response": {"status_code": status, "request_id": secrets.token_hex(16), "body": body},
        "error": None,
    }


def _error_line(custom_id: str, code: str, message: str) -> dict:
    return {
        "id": "batch_req_" + secrets.token_hex(16),
        "custom_id": custom_id,
        "response": None,
        "error": {"code": code, "message": message},
    }


def result_line(request: InputRequest, created: int) -> dict:
    """The output/error-file line for a request that ran ([[error]] → a 400 response line)."""
    reply = reply_to(request_turn(request), tool_names(request.body))
    if reply.kind is ReplyKind.ERROR:
        error = {
            "message": "Emulated invalid request (the last user turn contains [[error]]).",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
        return _response_line(request.custom_id, 400, {"error": error})
    return _response_line(request.custom_id, 200, chat_completion(request.body, reply, request.line, created))


def finished_lines(
    requests: list[InputRequest], status: str, created: int, seed: str
) -> tuple[list[dict], list[dict]]:
    """(output lines, error lines) of a batch that ended in ``status``."""
    output, errors = [], []
    for request in requests:
        turn = request_turn(request)
        if status == "cancelled" and (turn.asks(HOLD) or turn.asks(EXPIRE)):
            errors.append(_error_line(request.custom_id, "batch_cancelled", CANCELLED_MESSAGE))
        elif status == "expired" and turn.asks(EXPIRE):
            errors.append(_error_line(request.custom_id, "batch_expired", EXPIRED_MESSAGE))
        else:
            line = result_line(request, created)
            (output if line["response"]["status_code"] == 200 else errors).append(line)
    # Output order never follows input order (OpenAI Batch guide); shuffle deterministically per batch.
    shuffler = random.Random(seed)
    return shuffled(output, shuffler), shuffled(errors, shuffler)


def jsonl(lines: list[dict]) -> bytes:
    return "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines).encode()

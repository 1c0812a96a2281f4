"""What one GenerateContentRequest answers: the shared reply rule read from and written to Gemini's shapes."""

from __future__ import annotations

from infra.emulators.gemini.proto import json_text
from infra.emulators.replies import TOOL_ARGUMENTS, LastTurn, ReplyKind, count_words, reply_to


def _text_of(parts: list) -> str:
    return " ".join(part["text"] for part in parts if "text" in part and not part.get("thought"))


def _last_user_parts(request: dict) -> list:
    for content in reversed(request.get("contents") or []):
        if content.get("role", "user") in ("", "user"):
            return content.get("parts") or []
    return []


def _tool_output(function_response: dict) -> str:
    """The functionResponse.response's "content" or "output" value (or all of it), as text."""
    payload = function_response.get("response") or {}
    value = payload.get("content", payload.get("output", payload))
    return value if isinstance(value, str) else json_text(value)


def last_turn(request: dict) -> LastTurn:
    parts = _last_user_parts(request)
    function_responses = [part["functionResponse"] for part in parts if "functionResponse" in part]
    tool_result = _tool_output(function_responses[-1]) if function_responses else None
    return LastTurn(_text_of(parts), tool_result)


def _function_names(request: dict) -> list[str]:
    return [d["name"] for tool in request.get("tools") or [] for d in tool.get("functionDeclarations") or []]


def _input_words(request: dict) -> int:
    contents = list(request.get("contents") or [])
    if request.get("systemInstruction"):
        contents.append(request["systemInstruction"])
    return count_words(part.get("text", "") for content in contents for part in content.get("parts", []))


def _usage(prompt: int, output: int) -> dict:
    counts = {"promptTokenCount": prompt, "candidatesTokenCount": output, "totalTokenCount": prompt + output}
    return {key: value for key, value in counts.items() if value}  # proto3 JSON omits zeros


def reply_for(request: dict, model: str, response_id: str) -> dict:
    """The per-request outcome: {"response": GenerateContentResponse} or {"error": Status}."""
    reply = reply_to(last_turn(request), _function_names(request))
    if reply.kind is ReplyKind.ERROR:
        return {
            "error": {
                "code": 400,
                "message": "Request contains an invalid argument.",
                "status": "INVALID_ARGUMENT",
            }
        }
    prompt_words = _input_words(request)
    common = {"modelVersion": model, "responseId": response_id}
    if reply.kind is ReplyKind.REFUSAL:
        return {
            "response": {
                "promptFeedback": {"blockReason": "SAFETY"},
                "usageMetadata": _usage(prompt_words, 0),
                **common,
            }
        }
    if reply.kind is ReplyKind.TOOL_CALL:
        reply_parts = [{"functionCall": {"name": reply.tool_name, "args": dict(TOOL_ARGUMENTS)}}]
        output_words = (
            0  # unlike the other emulators, a function call has always counted no output words here
        )
    else:
        reply_parts = [{"text": reply.text}]
        output_words = reply.output_words
    candidate = {"content": {"role": "model", "parts": reply_parts}, "finishReason": "STOP", "index": 0}
    return {
        "response": {"candidates": [candidate], "usageMetadata": _usage(prompt_words, output_words), **common}
    }

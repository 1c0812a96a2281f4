"""The result a batch request gets: the shared reply rule read from and written to Anthropic's shapes."""

from __future__ import annotations

from infra.emulators.anthropic.formats import new_id
from infra.emulators.replies import EXPIRE, TOOL_ARGUMENTS, LastTurn, ReplyKind, count_words, reply_to


def _as_blocks(content: object) -> list[dict]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def _tool_result_text(block: dict) -> str:
    return " ".join(b["text"] for b in _as_blocks(block.get("content")) if b.get("type") == "text")


def _input_words(params: dict) -> int:
    """Words of all input text: system, text blocks and tool results."""
    texts = [b["text"] for b in _as_blocks(params.get("system")) if b.get("type") == "text"]
    for message in params["messages"]:
        for block in _as_blocks(message.get("content")):
            if block.get("type") == "text":
                texts.append(block["text"])
            elif block.get("type") == "tool_result":
                texts.append(_tool_result_text(block))
    return count_words(texts)


def last_turn(params: dict) -> LastTurn:
    """The last user message: its text blocks, and the last of its tool results."""
    blocks: list[dict] = []
    for message in reversed(params["messages"]):
        if message.get("role") == "user":
            blocks = _as_blocks(message.get("content"))
            break
    text = " ".join(b["text"] for b in blocks if b.get("type") == "text")
    tool_results = [b for b in blocks if b.get("type") == "tool_result"]
    return LastTurn(text, _tool_result_text(tool_results[-1]) if tool_results else None)


def _message(params: dict, content: list[dict], stop_reason: str, output_tokens: int) -> dict:
    return {
        "id": new_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": params["model"],
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": _input_words(params),
            "output_tokens": output_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
            "server_tool_use": None,
            "service_tier": "batch",
        },
    }


def reply_result(params: dict, tool_use_id: str) -> dict:
    """The batch result for one (not held) request, by the shared deterministic rule.

    ``tool_use_id`` is "toolu_<position of the request in the batch>", like the OpenAI emulator's call ids.
    """
    turn = last_turn(params)
    if turn.asks(EXPIRE):
        return {"type": "expired"}
    reply = reply_to(turn, [tool["name"] for tool in params.get("tools") or []])
    if reply.kind is ReplyKind.ERROR:
        message = "Emulated invalid request: the last user message asked for [[error]]"
        error = {"type": "invalid_request_error", "message": message}
        return {"type": "errored", "error": {"type": "error", "error": error, "request_id": new_id("req_")}}
    if reply.kind is ReplyKind.REFUSAL:
        content, stop_reason = [], "refusal"
    elif reply.kind is ReplyKind.TOOL_CALL:
        call = {"type": "tool_use", "id": tool_use_id, "name": reply.tool_name, "input": dict(TOOL_ARGUMENTS)}
        content, stop_reason = [call], "tool_use"
    else:
        content, stop_reason = [{"type": "text", "text": reply.text}], "end_turn"
    return {"type": "succeeded", "message": _message(params, content, stop_reason, reply.output_words)}

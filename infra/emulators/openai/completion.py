"""The Chat Completion a request gets: the shared reply rule read from and written to OpenAI's shapes."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from infra.emulators.openai.ids import random_id
from infra.emulators.replies import TOOL_ARGUMENTS, LastTurn, Reply, ReplyKind, count_words


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def last_turn(messages: list[dict]) -> LastTurn:
    """The last user message, or the trailing tool results (whose text triggers are then read from)."""
    for index in range(len(messages) - 1, -1, -1):
        role = messages[index]["role"]
        if role == "user":
            return LastTurn(_text_of(messages[index]["content"]))
        if role == "tool":
            start = index
            while start > 0 and messages[start - 1]["role"] == "tool":
                start -= 1
            text = " ".join(_text_of(m["content"]) for m in messages[start : index + 1])
            return LastTurn(text, tool_result=text)
    return LastTurn("")


def tool_names(body: dict) -> list[str]:
    return [tool[tool["type"]]["name"] for tool in body.get("tools") or []]


def _usage(prompt: int, completion: int) -> dict:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def batch_usage(prompt: int, completion: int) -> dict:
    """A batch's ``usage``: the sums over its completed requests."""
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": prompt + completion,
    }


def _tool_call(kind: str, name: str, line: int) -> dict:
    # Ids are "call_<line number>": unique within a conversation and stable across runs.
    field = "input" if kind == "custom" else "arguments"
    return {"id": f"call_{line}", "type": kind, kind: {"name": name, field: json.dumps(TOOL_ARGUMENTS)}}


def chat_completion(body: dict, reply: Reply, line: int, created: int) -> dict:
    """The 200 body for a request that did not ask for [[error]]."""
    message: dict = {"role": "assistant", "content": reply.text, "refusal": None, "annotations": []}
    finish = "stop"
    if reply.kind is ReplyKind.REFUSAL:
        message["content"], finish = None, "content_filter"
    elif reply.kind is ReplyKind.TOOL_CALL:
        call = _tool_call(body["tools"][0]["type"], reply.tool_name, line)
        message["content"], message["tool_calls"], finish = None, [call], "tool_calls"
    choices = [
        {"index": i, "message": dict(message), "logprobs": None, "finish_reason": finish}
        for i in range(body.get("n") or 1)
    ]
    input_words = count_words(_text_of(m.get("content")) for m in body["messages"])
    return {
        "id": random_id("chatcmpl-", 29),
        "object": "chat.completion",
        "created": created,
        "model": body["model"],
        "choices": choices,
        "usage": _usage(input_words, reply.output_words * len(choices)),
        "service_tier": "default",
        "system_fingerprint": "fp_" + hashlib.sha256(body["model"].encode()).hexdigest()[:10],
    }

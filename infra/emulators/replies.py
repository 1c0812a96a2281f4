"""The deterministic reply rule every emulated upstream follows, on neutral inputs.

End-to-end tests assert exact content whichever provider ran, so the rule lives once, here. Each emulator reads
its own wire shapes into a ``LastTurn`` (the text triggers are read from, and the tool result if the last user
turn is one), asks ``reply_to`` with the names of the request's tools, and writes the ``Reply`` back in its own
shapes. Batch-level triggers (``[[expire]]``, ``[[hold]]``) are read with ``LastTurn.asks``; what they do
differs per provider, so the emulators apply them.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

TOOL = "[[tool]]"
ERROR = "[[error]]"
BLOCK = "[[block]]"
EXPIRE = "[[expire]]"
HOLD = "[[hold]]"

# The arguments/input of every emulated tool call.
TOOL_ARGUMENTS = {"query": "value"}

T = TypeVar("T")


def count_words(texts: Iterable[str]) -> int:
    """Usage tokens: whitespace-separated words of all the given texts."""
    return sum(len(text.split()) for text in texts)


@dataclass(frozen=True)
class LastTurn:
    """The last user turn, reduced to what the rule reads."""

    text: str  # the text triggers are read from (markers left in)
    tool_result: str | None = None  # set when the turn answers a tool call

    def asks(self, marker: str) -> bool:
        return marker in self.text


class ReplyKind(Enum):
    ERROR = "error"  # the request fails with a 400 invalid-request error
    REFUSAL = "refusal"  # blocked: no content
    TOOL_CALL = "tool_call"  # one call to the first tool with TOOL_ARGUMENTS
    TEXT = "text"


@dataclass(frozen=True)
class Reply:
    kind: ReplyKind
    text: str = ""  # TEXT only
    tool_name: str = ""  # TOOL_CALL only
    output_words: int = 0


def reply_to(turn: LastTurn, tool_names: Sequence[str]) -> Reply:
    """The reply for one request; triggers win in this order: error, block, tool."""
    if turn.asks(ERROR):
        return Reply(ReplyKind.ERROR)
    if turn.asks(BLOCK):
        return Reply(ReplyKind.REFUSAL)
    if tool_names and turn.asks(TOOL):
        return Reply(
            ReplyKind.TOOL_CALL,
            tool_name=tool_names[0],
            output_words=count_words([json.dumps(TOOL_ARGUMENTS)]),
        )
    text = "Tool said: " + turn.tool_result if turn.tool_result is not None else "Reply to: " + turn.text
    return Reply(ReplyKind.TEXT, text=text, output_words=count_words([text]))


def shuffled(items: Sequence[T], rng: random.Random) -> list[T]:
    """A deterministic order (per ``rng`` seed) that never equals the input order for two or more items.

    Batch outputs do not follow input order, so consumers must match results by id/key.
    """
    order = list(items)
    rng.shuffle(order)
    if len(order) > 1 and all(a is b for a, b in zip(order, items, strict=True)):
        order = order[1:] + order[:1]
    return order

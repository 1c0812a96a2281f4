"""What a batch request may contain, read from the installed ``anthropic`` SDK's own types.

Deriving the lists from the SDK keeps the emulator exactly as strict as the API the SDK was generated from.
"""

from __future__ import annotations

import re
import typing

from anthropic.types.beta.beta_content_block_param import BetaContentBlockParam
from anthropic.types.beta.message_create_params import (
    MessageCreateParamsNonStreaming as BetaMessageCreateParamsNonStreaming,
)
from anthropic.types.content_block_param import ContentBlockParam
from anthropic.types.message_create_params import MessageCreateParamsNonStreaming


def _typed_dict_keys(*typed_dicts) -> frozenset[str]:
    return frozenset(k for td in typed_dicts for k in td.__required_keys__ | td.__optional_keys__)


def _union_members(union) -> list:
    if typing.get_origin(union) is typing.Annotated:
        return _union_members(typing.get_args(union)[0])
    if typing.get_origin(union) is typing.Union:
        return [m for arg in typing.get_args(union) for m in _union_members(arg)]
    return [union]


def _type_literals(cls) -> list[str]:
    # Annotations are strings (postponed evaluation); the Literal's value is all we need.
    for klass in cls.__mro__:
        annotation = getattr(klass, "__annotations__", {}).get("type")
        if annotation is not None:
            return re.findall(r"Literal\[\s*[\"']([^\"']+)", str(annotation))
    return []


# What a batch request's params may contain: the SDK's own non-streaming create params (stable and beta,
# since beta features ride the same endpoint); "betas" is an SDK argument sent as a header, never a field.
ALLOWED_PARAMS = _typed_dict_keys(MessageCreateParamsNonStreaming, BetaMessageCreateParamsNonStreaming) - {
    "betas"
}
CONTENT_BLOCK_TYPES = frozenset(
    t
    for m in _union_members(ContentBlockParam) + _union_members(BetaContentBlockParam)
    for t in _type_literals(m)
)

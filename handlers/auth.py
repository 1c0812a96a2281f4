"""Who is calling, and with which provider: virtual keys, owners, the x-model-provider header."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from handlers.config import PROVIDERS, settings
from handlers.errors import ApiError
from handlers.storage import table

LOCAL_OWNER = "local"
BEDROCK_MESSAGE = (
    "Bedrock batch and file operations are not supported through the Anthropic SDK: Bedrock batch inference "
    "needs file-based input stored in S3. Use the Bedrock SDK (CreateModelInvocationJob) directly."
)


@dataclass(frozen=True)
class Caller:
    owner: str
    providers: tuple[str, ...]
    admin: bool


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_from_headers(headers) -> str | None:
    key = headers.get("x-api-key")
    if key:
        return key.strip()
    auth = headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def requested_provider(headers) -> str | None:
    """The provider named by ``x-model-provider`` (None when absent), refusing bedrock and unknown values."""
    raw = headers.get("x-model-provider")
    if raw is None or not raw.strip():
        return None
    name = raw.strip().lower()
    if name == "bedrock":
        raise ApiError(400, BEDROCK_MESSAGE)
    if name not in PROVIDERS:
        accepted = ", ".join(PROVIDERS)
        raise ApiError(400, f"x-model-provider {raw.strip()!r} is not supported; accepted values: {accepted}")
    return name


def authenticate(headers) -> Caller:
    key = api_key_from_headers(headers)
    if settings().auth_mode == "open":
        # Locally any key (even a dummy) is fine and everything belongs to one owner.
        return Caller(owner=LOCAL_OWNER, providers=PROVIDERS, admin=True)
    if not key:
        raise ApiError(401, "missing API key: send it as x-api-key or Authorization: Bearer")
    record = table.get_key(hash_key(key))
    if record is None or record.revoked:
        raise ApiError(401, "invalid API key")
    return Caller(owner=record.owner, providers=tuple(record.providers), admin=record.admin)


def authorize_provider(caller: Caller, provider: str) -> None:
    if provider not in caller.providers:
        raise ApiError(403, f"this API key may not use the {provider} provider")

"""What every route needs: the caller, the provider header, the public base URL, JSON bodies."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from fastapi import Request

from handlers.auth import Caller, authenticate, authorize_provider, requested_provider
from handlers.errors import invalid_request

DEFAULT_PROVIDER = "anthropic"


@dataclass(frozen=True)
class Context:
    caller: Caller
    provider_header: str | None  # None when the client sent no x-model-provider

    @property
    def owner(self) -> str:
        return self.caller.owner

    def provider_for_create(self) -> str:
        """The provider a new batch or file goes to (the header, defaulting to Anthropic), if allowed."""
        provider = self.provider_header or DEFAULT_PROVIDER
        authorize_provider(self.caller, provider)
        return provider


_CURSOR = re.compile(r"[A-Za-z0-9_]+")


def paging_cursor(name: str, value: str | None, prefix: str) -> str | None:
    """A list cursor (``after_id`` / ``before_id``) as the table reads it: an id of the listed kind, which
    need not exist any more. Anything else is the caller's 400, never a failed query."""
    if value is None:
        return None
    if not value.startswith(prefix) or not _CURSOR.fullmatch(value):
        raise invalid_request(f"{name}: {value!r} is not an id of the listed kind ({prefix}…)")
    return value


def context(request: Request) -> Context:
    """FastAPI dependency: validate x-model-provider first (bedrock/unknown → 400), then authenticate."""
    provider = requested_provider(request.headers)
    caller = authenticate(request.headers)
    request.state.provider = provider
    return Context(caller=caller, provider_header=provider)


def public_base_url(request: Request) -> str:
    """The gateway's own base URL as the client sees it (…/anthropic), from this request's host and path."""
    headers = request.headers
    scheme = headers.get("x-forwarded-proto") or request.url.scheme
    # Host, never X-Forwarded-Host: a client could point results_url (and the published event) elsewhere.
    host = headers.get("host") or request.url.netloc
    path = request.url.path
    prefix = path[: path.index("/v1/")] if "/v1/" in path else ""
    return f"{scheme}://{host}{prefix}"


async def json_body(request: Request) -> object:
    raw = await request.body()
    if not raw:
        raise invalid_request("request body is empty; expected a JSON object")
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise invalid_request(f"request body is not valid JSON: {exc}") from exc

"""Provider registry: the ``x-model-provider`` value → the provider module behind it, built once."""

from __future__ import annotations

import importlib
from functools import cache

from handlers.config import PROVIDERS, provider_api_key, provider_base_url
from handlers.errors import NO_RETRY, ApiError
from handlers.providers.base import Provider


@cache
def get_provider(name: str) -> Provider:
    if name not in PROVIDERS:
        raise ApiError(400, f"unknown provider {name!r}")
    key = provider_api_key(name)
    if not key:
        raise ApiError(
            500,
            f"the {name} provider is not configured on this gateway (no {name.upper()}_API_KEY)",
            "api_error",
            NO_RETRY,
        )
    try:
        module = importlib.import_module(f"handlers.providers.{name}")
    except ModuleNotFoundError as exc:  # pragma: no cover - every listed provider ships a module
        raise ApiError(501, f"the {name} provider is not implemented yet", "api_error") from exc
    return module.build(key, provider_base_url(name))


def reset_providers() -> None:
    get_provider.cache_clear()

"""Configuration from the environment (and, in AWS, provider keys from one Secrets Manager secret)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache

PROVIDERS = ("anthropic", "openai", "gemini")

DEFAULT_BASE_URLS = {
    "anthropic": "https://api.anthropic.com",
    "openai": "https://api.openai.com/v1",
    "gemini": "https://generativelanguage.googleapis.com",
}

# Anthropic's Files API takes up to 500 MB; behind Lambda the template lowers this to what fits in 6 MB.
DEFAULT_MAX_UPLOAD_BYTES = 500 * 1024 * 1024


@dataclass(frozen=True)
class Settings:
    table: str
    bucket: str
    event_bus: str | None
    auth_mode: str  # "open" | "keys"
    secret_name: str | None
    max_upload_bytes: int
    results_redirect_bytes: int | None  # only behind Lambda (6 MB response limit)
    retention_days: int  # records expire with the bucket's lifecycle (template ResultsRetentionDays)


@lru_cache(maxsize=1)
def settings() -> Settings:
    env = os.environ
    in_lambda = bool(env.get("AWS_LAMBDA_FUNCTION_NAME"))
    redirect = env.get("BATCHBRIDGE_RESULTS_REDIRECT_BYTES")
    return Settings(
        table=env.get("BATCHBRIDGE_TABLE", "batchbridge"),
        bucket=env.get("BATCHBRIDGE_BUCKET", "batchbridge"),
        event_bus=env.get("BATCHBRIDGE_EVENT_BUS") or None,
        auth_mode=env.get("BATCHBRIDGE_AUTH", "open"),
        secret_name=env.get("BATCHBRIDGE_SECRET_NAME") or None,
        max_upload_bytes=int(env.get("BATCHBRIDGE_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES)),
        results_redirect_bytes=int(redirect) if (redirect and in_lambda) else None,
        retention_days=int(env.get("BATCHBRIDGE_RETENTION_DAYS", "30")),
    )


def provider_base_url(provider: str) -> str:
    return os.environ.get(f"BATCHBRIDGE_{provider.upper()}_BASE_URL") or DEFAULT_BASE_URLS[provider]


@lru_cache(maxsize=1)
def _secret_keys() -> dict[str, str]:
    """Provider keys from the Secrets Manager secret, read once per container and never logged."""
    name = settings().secret_name
    if not name:
        return {}
    import boto3  # only deployed functions with a secret need this client

    value = boto3.client("secretsmanager").get_secret_value(SecretId=name)["SecretString"]
    data = json.loads(value)
    return {k: str(v) for k, v in data.items() if isinstance(v, str) and v}


def provider_api_key(provider: str) -> str | None:
    var = f"{provider.upper()}_API_KEY"
    return os.environ.get(var) or _secret_keys().get(var)


def reset_caches() -> None:
    """For tests that change the environment between cases."""
    settings.cache_clear()
    _secret_keys.cache_clear()

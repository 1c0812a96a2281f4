"""boto3 clients, created once per container (module scope keeps Lambda warm starts cheap)."""

from __future__ import annotations

from functools import lru_cache

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3})


@lru_cache(maxsize=1)
def dynamodb():
    return boto3.client("dynamodb", config=_CONFIG)


@lru_cache(maxsize=1)
def s3():
    return boto3.client("s3", config=_CONFIG)


@lru_cache(maxsize=1)
def events():
    return boto3.client("events", config=_CONFIG)


def reset_clients() -> None:
    """For tests that point boto3 at a different endpoint between cases."""
    for fn in (dynamodb, s3, events):
        fn.cache_clear()

"""boto3 clients, created once per container (module scope keeps Lambda warm starts cheap)."""

from __future__ import annotations

from functools import lru_cache

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3})
# Bodies carry a CRC32 checksum, which over TLS is what botocore already settles for; saying so explicitly
# also spares the local http endpoint a SHA-256 pass over every results part.
_S3_CONFIG = _CONFIG.merge(Config(s3={"payload_signing_enabled": False}))


@lru_cache(maxsize=1)
def dynamodb():
    return boto3.client("dynamodb", config=_CONFIG)


@lru_cache(maxsize=1)
def s3():
    return boto3.client("s3", config=_S3_CONFIG)


@lru_cache(maxsize=1)
def events():
    return boto3.client("events", config=_CONFIG)


def reset_clients() -> None:
    """For tests that point boto3 at a different endpoint between cases."""
    for fn in (dynamodb, s3, events):
        fn.cache_clear()

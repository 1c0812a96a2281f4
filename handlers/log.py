"""Structured JSON log lines on stdout (CloudWatch in Lambda). Callers pass named fields; nothing here ever
receives a key or a request body."""

from __future__ import annotations

import json
import logging
import sys
import time


def log_event(event: str, level: int = logging.INFO, **fields) -> None:
    record = {"ts": round(time.time(), 3), "level": logging.getLevelName(level).lower(), "event": event}
    record.update({k: v for k, v in fields.items() if v is not None})
    sys.stdout.write(json.dumps(record, default=str, separators=(",", ":")) + "\n")

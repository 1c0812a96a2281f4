"""Structured JSON log lines. Callers pass named fields; nothing here ever receives a key or a body."""

from __future__ import annotations

import json
import logging
import sys
import time

logger = logging.getLogger("batchbridge")
if not logger.handlers:
    _handler = logging.StreamHandler(sys.stdout)
    _handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(_handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def log_event(event: str, level: int = logging.INFO, **fields) -> None:
    record = {"ts": round(time.time(), 3), "level": logging.getLevelName(level).lower(), "event": event}
    record.update({k: v for k, v in fields.items() if v is not None})
    logger.log(level, json.dumps(record, default=str, separators=(",", ":")))

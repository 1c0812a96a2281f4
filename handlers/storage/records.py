"""What the gateway stores about a batch and a file (plain dataclasses; the table module maps them)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from handlers.ids import parse_iso
from handlers.providers.base import ShardRef

# Internal batch states. The client only ever sees in_progress / canceling / ended.
SUBMITTING = "submitting"
IN_PROGRESS = "in_progress"
ENDED = "ended"

RESULT_TYPES = ("succeeded", "errored", "canceled", "expired")
EXPIRED = {"type": "expired"}

# ShardRef.data key: epoch seconds at which the gateway cancelled the shard because its batch had expired.
OVERDUE_SINCE = "overdue_since"


@dataclass
class BatchRecord:
    id: str
    owner: str
    provider: str
    created_at: str  # RFC 3339
    expires_at: str
    request_count: int
    base_url: str  # public gateway base (…/anthropic) of the creating request, for results_url in events
    state: str = SUBMITTING
    shards: list[ShardRef] = field(default_factory=list)
    cancel_initiated_at: str | None = None
    ended_at: str | None = None
    counts: dict[str, int] = field(default_factory=dict)  # final counts, set when ended
    results_bytes: int | None = None
    refreshed_at: float = 0.0  # epoch seconds of the last upstream refresh

    def shards_as_dicts(self) -> list[dict]:
        return [asdict(s) for s in self.shards]


@dataclass
class FileRecord:
    id: str
    owner: str
    provider: str
    filename: str
    mime_type: str
    size_bytes: int
    created_at: str
    provider_file_id: str
    downloadable: bool = False
    uri: str | None = None
    expires_at: str | None = None  # RFC 3339, when uploaded with expires_in_seconds; None: kept until deleted

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and parse_iso(self.expires_at) <= now


@dataclass
class KeyRecord:
    key_hash: str
    owner: str
    providers: list[str]
    admin: bool
    created_at: str
    label: str = ""
    revoked: bool = False

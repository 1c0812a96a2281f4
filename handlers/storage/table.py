"""The DynamoDB table: one item per batch, file and virtual key, keyed ``pk``.

Key layout (hidden from callers):
- ``pk`` = ``batch#<id>`` | ``file#<id>`` | ``key#<sha256>``
- ``owner-index`` (owner_kind, created_key): an owner's batches or files, newest first.
- ``inflight-index`` (inflight, created_key): sparse; only batches that have not ended carry ``inflight``,
  so the poller queries it instead of scanning the table.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from decimal import Decimal

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from handlers import aws
from handlers.config import settings
from handlers.ids import iso, parse_iso, utcnow
from handlers.providers.base import ShardRef
from handlers.storage.records import ENDED, BatchRecord, FileRecord, KeyRecord

OWNER_INDEX = "owner-index"
INFLIGHT_INDEX = "inflight-index"
INFLIGHT = "1"

_ser = TypeSerializer()
_de = TypeDeserializer()


def _plain(value):
    """DynamoDB numbers come back as Decimal; give callers ints/floats."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _to_item(data: dict) -> dict:
    return {k: _ser.serialize(_dynamo_safe(v)) for k, v in data.items() if v is not None}


def _dynamo_safe(value):
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, list):
        return [_dynamo_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: _dynamo_safe(v) for k, v in value.items() if v is not None}
    return value


def _from_item(item: dict) -> dict:
    return {k: _plain(_de.deserialize(v)) for k, v in item.items()}


def _expiry() -> int:
    """DynamoDB TTL: records go when the bucket's lifecycle removes their objects."""
    return int(time.time()) + settings().retention_days * 24 * 3600


def _created_key(id_: str) -> str:
    # Gateway ids start with their creation time (handlers.ids), so the id itself orders an owner's items.
    return id_


def _client():
    return aws.dynamodb()


def _table() -> str:
    return settings().table


# --- batches ---------------------------------------------------------------------------------------------


def _batch_item(b: BatchRecord) -> dict:
    data = {
        "pk": f"batch#{b.id}",
        "kind": "batch",
        "id": b.id,
        "owner": b.owner,
        "provider": b.provider,
        "owner_kind": f"{b.owner}#batch",
        "created_key": _created_key(b.id),
        "created_at": b.created_at,
        "expires_at": b.expires_at,
        "request_count": b.request_count,
        "base_url": b.base_url,
        "state": b.state,
        "shards": b.shards_as_dicts(),
        "cancel_initiated_at": b.cancel_initiated_at,
        "ended_at": b.ended_at,
        "counts": b.counts or None,
        "results_bytes": b.results_bytes,
        "refreshed_at": b.refreshed_at,
        "expires_ttl": _expiry(),
    }
    if b.state != ENDED:
        data["inflight"] = INFLIGHT
    return data


def _batch_from(data: dict) -> BatchRecord:
    return BatchRecord(
        id=data["id"],
        owner=data["owner"],
        provider=data["provider"],
        created_at=data["created_at"],
        expires_at=data["expires_at"],
        request_count=data["request_count"],
        base_url=data.get("base_url", ""),
        state=data["state"],
        shards=[ShardRef(**{"model": None, **s}) for s in data.get("shards", [])],  # None is not stored
        cancel_initiated_at=data.get("cancel_initiated_at"),
        ended_at=data.get("ended_at"),
        counts=data.get("counts") or {},
        results_bytes=data.get("results_bytes"),
        refreshed_at=data.get("refreshed_at", 0.0),
    )


def put_new_batch(batch: BatchRecord) -> None:
    _client().put_item(
        TableName=_table(), Item=_to_item(_batch_item(batch)), ConditionExpression="attribute_not_exists(pk)"
    )


def _update_in_flight(batch_id: str, expression: str, values: dict) -> dict | None:
    """Update a batch that has not ended (never resurrects a deleted one); the new item, or None."""
    try:
        out = _client().update_item(
            TableName=_table(),
            Key={"pk": {"S": f"batch#{batch_id}"}},
            UpdateExpression=expression,
            ConditionExpression="attribute_exists(pk) AND #s <> :ended",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":ended": {"S": ENDED}, **values},
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return None
        raise
    return _from_item(out["Attributes"])


def _shards_value(batch: BatchRecord) -> dict:
    return _ser.serialize(_dynamo_safe(batch.shards_as_dicts()))


def update_progress(batch: BatchRecord, state: str | None = None) -> bool:
    """Store the shards (and optionally the state) of an in-flight batch, touching nothing else: the
    materialization lease and a concurrent cancel's fields stay as they are."""
    expression = "SET shards = :shards, refreshed_at = :r"
    values = {":shards": _shards_value(batch), ":r": {"N": repr(batch.refreshed_at)}}
    if state is not None:
        expression += ", #s = :state"
        values[":state"] = {"S": state}
    return _update_in_flight(batch.id, expression, values) is not None


def record_cancel(batch: BatchRecord, cancel_at: str) -> BatchRecord | None:
    """Set cancel_initiated_at once (the first cancel wins) and store the shards' cancel marks."""
    item = _update_in_flight(
        batch.id,
        "SET cancel_initiated_at = if_not_exists(cancel_initiated_at, :now), shards = :shards",
        {":now": {"S": cancel_at}, ":shards": _shards_value(batch)},
    )
    return _batch_from(item) if item else None


def get_batch(batch_id: str) -> BatchRecord | None:
    item = _client().get_item(TableName=_table(), Key={"pk": {"S": f"batch#{batch_id}"}}, ConsistentRead=True)
    data = item.get("Item")
    return _batch_from(_from_item(data)) if data else None


def delete_batch(batch_id: str) -> None:
    _client().delete_item(TableName=_table(), Key={"pk": {"S": f"batch#{batch_id}"}})


def claim_for_materialization(batch_id: str, lease_seconds: int = 360) -> str | None:
    """Take a lease on a batch so one worker writes its results; returns the lease token or None.

    The lease outlasts the poller's 300 s timeout. A crashed worker's lease simply runs out and the next poller tick claims the batch again, so a batch is
    never left half-ended: it only becomes ``ended`` in ``finish_materialization``.
    """
    now = time.time()
    token = secrets.token_hex(16)
    try:
        _client().update_item(
            TableName=_table(),
            Key={"pk": {"S": f"batch#{batch_id}"}},
            UpdateExpression="SET lease_until = :until, lease_token = :token",
            ConditionExpression="attribute_exists(pk) AND #s <> :ended AND "
            "(attribute_not_exists(lease_until) OR lease_until < :now)",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={
                ":until": {"N": str(now + lease_seconds)},
                ":token": {"S": token},
                ":ended": {"S": ENDED},
                ":now": {"N": str(now)},
            },
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return None
        raise
    return token


def release_lease(batch_id: str, token: str) -> None:
    """Give a lease back after a failed attempt, so the next poller tick retries at once."""
    try:
        _client().update_item(
            TableName=_table(),
            Key={"pk": {"S": f"batch#{batch_id}"}},
            UpdateExpression="REMOVE lease_until, lease_token",
            ConditionExpression="lease_token = :token",
            ExpressionAttributeValues={":token": {"S": token}},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise


def finish_materialization(batch: BatchRecord, token: str) -> bool:
    """Mark the batch ended with its counts, only if this worker still holds the lease."""
    item = _batch_item(batch)
    item.pop("inflight", None)
    try:
        _client().put_item(
            TableName=_table(),
            Item=_to_item(item),
            ConditionExpression="lease_token = :token",
            ExpressionAttributeValues={":token": {"S": token}},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def in_flight_batches() -> Iterator[BatchRecord]:
    kwargs = {
        "TableName": _table(),
        "IndexName": INFLIGHT_INDEX,
        "KeyConditionExpression": "inflight = :f",
        "ExpressionAttributeValues": {":f": {"S": INFLIGHT}},
    }
    while True:
        page = _client().query(**kwargs)
        for item in page.get("Items", []):
            yield _batch_from(_from_item(item))
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


# --- create fingerprints (so an SDK retry of a create whose answer was lost finds the batch it made) ---------


def remember_create(owner: str, fingerprint: str, batch_id: str, ttl_seconds: int = 3600) -> None:
    _client().put_item(
        TableName=_table(),
        Item=_to_item(
            {
                "pk": f"create#{owner}#{fingerprint}",
                "kind": "create",
                "batch_id": batch_id,
                "expires_ttl": int(time.time()) + ttl_seconds,
            }
        ),
    )


def created_by(owner: str, fingerprint: str) -> str | None:
    item = (
        _client().get_item(TableName=_table(), Key={"pk": {"S": f"create#{owner}#{fingerprint}"}}).get("Item")
    )
    if not item or int(item["expires_ttl"]["N"]) < time.time():  # TTL deletion lags; expired is expired
        return None
    return item["batch_id"]["S"]


def forget_create(owner: str, fingerprint: str) -> None:
    _client().delete_item(TableName=_table(), Key={"pk": {"S": f"create#{owner}#{fingerprint}"}})


# --- owner listings (batches and files share the paging logic) -------------------------------------------


def list_owned(
    owner: str,
    kind: str,
    limit: int,
    *,
    after_id: str | None = None,
    before_id: str | None = None,
    provider: str | None = None,
) -> tuple[list[dict], bool]:
    """Up to ``limit`` of an owner's items of ``kind``, newest first, and whether more exist that way.

    ``after_id`` continues towards older items, ``before_id`` towards newer ones (the page is still newest
    first). The cursor id need not exist any more: ids sort by creation time.
    """
    newer = before_id is not None
    cond = "owner_kind = :o"
    values: dict = {":o": {"S": f"{owner}#{kind}"}}
    if after_id is not None:
        cond += " AND created_key < :c"
        values[":c"] = {"S": _created_key(after_id)}
    elif newer:
        cond += " AND created_key > :c"
        values[":c"] = {"S": _created_key(before_id)}
    kwargs: dict = {
        "TableName": _table(),
        "IndexName": OWNER_INDEX,
        "KeyConditionExpression": cond,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": newer,
        "Limit": limit + 1,
    }
    filters = []
    if provider:
        filters.append("provider = :p")
        values[":p"] = {"S": provider}
    if kind == "file":
        # DynamoDB's TTL removes an expired file only eventually; until then the listing skips it.
        filters.append("(attribute_not_exists(expires_at) OR expires_at > :now)")  # RFC 3339 sorts as text
        values[":now"] = {"S": iso(utcnow())}
    if filters:
        kwargs["FilterExpression"] = " AND ".join(filters)
    found: list[dict] = []
    while len(found) <= limit:
        page = _client().query(**kwargs)
        found.extend(_from_item(i) for i in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    has_more = len(found) > limit
    found = found[:limit]
    if newer:
        found.reverse()
    return found, has_more


batch_from_item = _batch_from


# --- files -----------------------------------------------------------------------------------------------


def _file_item(f: FileRecord) -> dict:
    item = {
        "pk": f"file#{f.id}",
        "kind": "file",
        "id": f.id,
        "owner": f.owner,
        "provider": f.provider,
        "owner_kind": f"{f.owner}#file",
        "created_key": _created_key(f.id),
        "created_at": f.created_at,
        "filename": f.filename,
        "mime_type": f.mime_type,
        "size_bytes": f.size_bytes,
        "provider_file_id": f.provider_file_id,
        "downloadable": f.downloadable,
        "uri": f.uri,
        "expires_at": f.expires_at,
    }
    if f.expires_at is not None:
        # Only files uploaded with expires_in_seconds go by themselves; the others stay until deleted.
        item["expires_ttl"] = int(parse_iso(f.expires_at).timestamp())
    return item


def file_from_item(data: dict) -> FileRecord:
    return FileRecord(
        id=data["id"],
        owner=data["owner"],
        provider=data["provider"],
        filename=data["filename"],
        mime_type=data["mime_type"],
        size_bytes=data["size_bytes"],
        created_at=data["created_at"],
        provider_file_id=data["provider_file_id"],
        downloadable=data.get("downloadable", False),
        uri=data.get("uri"),
        expires_at=data.get("expires_at"),
    )


def put_file(f: FileRecord) -> None:
    _client().put_item(TableName=_table(), Item=_to_item(_file_item(f)))


def get_file(file_id: str) -> FileRecord | None:
    item = _client().get_item(TableName=_table(), Key={"pk": {"S": f"file#{file_id}"}}).get("Item")
    return file_from_item(_from_item(item)) if item else None


def get_files(file_ids: list[str]) -> dict[str, FileRecord]:
    found: dict[str, FileRecord] = {}
    ids = list(dict.fromkeys(file_ids))
    for start in range(0, len(ids), 100):
        keys = [{"pk": {"S": f"file#{i}"}} for i in ids[start : start + 100]]
        request = {_table(): {"Keys": keys}}
        while request:
            page = _client().batch_get_item(RequestItems=request)
            for item in page.get("Responses", {}).get(_table(), []):
                rec = file_from_item(_from_item(item))
                found[rec.id] = rec
            request = page.get("UnprocessedKeys") or None
    return found


def delete_file(file_id: str) -> None:
    _client().delete_item(TableName=_table(), Key={"pk": {"S": f"file#{file_id}"}})


# --- virtual keys ----------------------------------------------------------------------------------------


def put_key(k: KeyRecord) -> None:
    _client().put_item(
        TableName=_table(),
        Item=_to_item(
            {
                "pk": f"key#{k.key_hash}",
                "kind": "key",
                "owner": k.owner,
                "providers": k.providers,
                "admin": k.admin,
                "created_at": k.created_at,
                "label": k.label,
                "revoked": k.revoked,
            }
        ),
    )


def _key_from(data: dict) -> KeyRecord:
    return KeyRecord(
        key_hash=data["pk"].removeprefix("key#"),
        owner=data["owner"],
        providers=list(data.get("providers", [])),
        admin=bool(data.get("admin", False)),
        created_at=data["created_at"],
        label=data.get("label", ""),
        revoked=bool(data.get("revoked", False)),
    )


def get_key(key_hash: str) -> KeyRecord | None:
    item = _client().get_item(TableName=_table(), Key={"pk": {"S": f"key#{key_hash}"}}).get("Item")
    return _key_from(_from_item(item)) if item else None


def list_keys() -> list[KeyRecord]:
    """All virtual keys (an admin command; keys are few, so a filtered scan is fine here)."""
    kwargs = {
        "TableName": _table(),
        "FilterExpression": "kind = :k",
        "ExpressionAttributeValues": {":k": {"S": "key"}},
    }
    keys: list[KeyRecord] = []
    while True:
        page = _client().scan(**kwargs)
        keys.extend(_key_from(_from_item(i)) for i in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return keys
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

"""The poller: a failure mid-materialization leaves the batch retryable, and one bad batch never stops others."""

from __future__ import annotations

import json
import time

from handlers import poller
from handlers.providers import get_provider
from handlers.services import batches as service
from handlers.storage import bucket, table

PARAMS = {"model": "claude-x", "max_tokens": 10, "messages": [{"role": "user", "content": "hello"}]}


def _create(n: int = 3):
    requests = [{"custom_id": f"r{i}", "params": PARAMS} for i in range(n)]
    return service.create_batch("local", "anthropic", "https://gw.test/anthropic", requests)


def _wait_for_shards(batch_id: str):
    deadline = time.monotonic() + 20
    while True:
        batch = service.refresh(table.get_batch(batch_id), force=True)
        if service.all_shards_ended(batch):
            return batch
        assert time.monotonic() < deadline
        time.sleep(0.1)


class Boom(RuntimeError):
    pass


def test_a_crash_while_writing_results_leaves_the_batch_in_flight_and_the_next_tick_finishes_it(
    aws, providers_env, monkeypatch
):
    batch = _wait_for_shards(_create().id)
    provider = get_provider("anthropic")
    real = provider.iter_outcomes

    def crash_after_one(shard, hints, custom_ids=()):
        outcomes = real(shard, hints, custom_ids)
        yield next(outcomes)
        raise Boom("connection reset while streaming results")

    monkeypatch.setattr(provider, "iter_outcomes", crash_after_one)
    assert poller.poll_once() == {"failed": 1}
    after = table.get_batch(batch.id)
    assert after.state != "ended" and after.ended_at is None
    assert bucket.size_of(bucket.results_key(batch.id)) is None  # nothing half-written is visible

    monkeypatch.setattr(provider, "iter_outcomes", real)
    assert poller.poll_once() == {"ended": 1}
    done = table.get_batch(batch.id)
    assert done.state == "ended" and done.counts["succeeded"] == 3
    lines = list(bucket.iter_lines(bucket.results_key(batch.id)))
    assert len(lines) == 3


def test_one_failing_batch_does_not_stop_the_others(aws, providers_env, monkeypatch):
    good, bad = _create(2), _create(2)
    _wait_for_shards(good.id), _wait_for_shards(bad.id)
    provider = get_provider("anthropic")
    real = provider.iter_outcomes

    def fail_for_bad(shard, hints, custom_ids=()):
        if shard.provider_batch_id == table.get_batch(bad.id).shards[0].provider_batch_id:
            raise Boom("upstream results unavailable")
        return real(shard, hints, custom_ids)

    monkeypatch.setattr(provider, "iter_outcomes", fail_for_bad)
    assert poller.poll_once() == {"ended": 1, "failed": 1}
    assert table.get_batch(good.id).state == "ended"
    assert table.get_batch(bad.id).state != "ended"


def test_a_submission_that_never_finished_is_ended_with_errored_results(aws, providers_env, monkeypatch):
    held = {**PARAMS, "messages": [{"role": "user", "content": "[[hold]]"}]}
    batch = service.create_batch(
        "local", "anthropic", "https://gw.test/anthropic", [{"custom_id": "h", "params": held}]
    )
    record = table.get_batch(batch.id)
    table.update_progress(record, state="submitting")  # as if the creating call died after its first shard
    monkeypatch.setattr(service, "STALE_SUBMISSION_SECONDS", -1)
    assert poller.poll_once() == {"ended": 1}
    ended = table.get_batch(batch.id)
    assert ended.counts == {"succeeded": 0, "errored": 1, "canceled": 0, "expired": 0}
    upstream = get_provider("anthropic").refresh_shard(record.shards[0])
    assert upstream.phase in ("canceling", "ended")  # the shard it had submitted was cancelled upstream


def test_an_upload_over_the_limit_is_a_413_with_the_limit(gateway, monkeypatch):
    from handlers import config

    monkeypatch.setenv("BATCHBRIDGE_MAX_UPLOAD_BYTES", "1024")
    config.reset_caches()
    response = gateway.post(
        "/anthropic/v1/files",
        files={"file": ("big.bin", b"x" * 2048, "application/octet-stream")},
        headers={"x-api-key": "d"},
    )
    assert response.status_code == 413
    assert response.json()["error"] == {
        "type": "request_too_large",
        "message": response.json()["error"]["message"],
    }
    assert "1024" in response.json()["error"]["message"]


def _poll_until_ended(batch_id: str) -> None:
    deadline = time.monotonic() + 20
    while table.get_batch(batch_id).state != "ended":
        assert time.monotonic() < deadline, table.get_batch(batch_id)
        poller.poll_once()
        time.sleep(0.1)


def test_a_batch_past_its_expiry_keeps_what_the_provider_finished_and_expires_the_rest(
    aws, providers_env, monkeypatch
):
    held = {**PARAMS, "messages": [{"role": "user", "content": "[[hold]]"}]}
    requests = [{"custom_id": "h", "params": held}, {"custom_id": "done", "params": PARAMS}]
    batch = service.create_batch("local", "anthropic", "https://gw.test/anthropic", requests)
    assert poller.poll_once() == {"in_progress": 1}  # the provider is still working on it
    monkeypatch.setattr(service, "OVERDUE_GRACE", service.timedelta(hours=-25))  # as if 25 h had passed

    assert poller.poll_once() == {"in_progress": 1}  # cancelled upstream; its finished requests are coming
    assert get_provider("anthropic").refresh_shard(table.get_batch(batch.id).shards[0]).phase in (
        "canceling",
        "ended",
    )
    _poll_until_ended(batch.id)
    ended = table.get_batch(batch.id)
    assert ended.counts == {"succeeded": 1, "errored": 0, "canceled": 0, "expired": 1}
    lines = [json.loads(line) for line in bucket.iter_lines(bucket.results_key(batch.id))]
    by_id = {line["custom_id"]: line["result"] for line in lines}
    assert by_id["h"] == {"type": "expired"}  # never run: expired, not canceled, as on Anthropic
    assert by_id["done"]["message"]["content"][0]["text"] == "Reply to: hello"


def test_a_provider_that_never_reports_the_end_after_the_expiry_cancel_is_ended_by_the_gateway(
    aws, providers_env, monkeypatch
):
    held = {**PARAMS, "messages": [{"role": "user", "content": "[[hold]]"}]}
    batch = service.create_batch(
        "local", "anthropic", "https://gw.test/anthropic", [{"custom_id": "h", "params": held}]
    )
    monkeypatch.setattr(service, "OVERDUE_GRACE", service.timedelta(hours=-25))
    provider = get_provider("anthropic")
    monkeypatch.setattr(provider, "cancel_shard", lambda shard: None)  # the cancel is lost upstream
    assert poller.poll_once() == {"in_progress": 1}
    monkeypatch.setattr(service, "OVERDUE_CANCEL_WAIT_SECONDS", -1)  # as if the wait had run out
    assert poller.poll_once() == {"ended": 1}
    ended = table.get_batch(batch.id)
    assert ended.counts == {"succeeded": 0, "errored": 0, "canceled": 0, "expired": 1}


def test_a_batch_the_user_cancelled_keeps_canceled_when_it_is_ended_at_its_expiry(
    aws, providers_env, monkeypatch
):
    held = {**PARAMS, "messages": [{"role": "user", "content": "[[hold]]"}]}
    batch = service.create_batch(
        "local", "anthropic", "https://gw.test/anthropic", [{"custom_id": "h", "params": held}]
    )
    provider = get_provider("anthropic")
    monkeypatch.setattr(provider, "cancel_shard", lambda shard: None)  # the provider never acts on it
    service.cancel_batch("local", batch.id)
    monkeypatch.setattr(service, "OVERDUE_GRACE", service.timedelta(hours=-25))
    assert poller.poll_once() == {"in_progress": 1}
    monkeypatch.setattr(service, "OVERDUE_CANCEL_WAIT_SECONDS", -1)
    assert poller.poll_once() == {"ended": 1}
    assert table.get_batch(batch.id).counts == {"succeeded": 0, "errored": 0, "canceled": 1, "expired": 0}

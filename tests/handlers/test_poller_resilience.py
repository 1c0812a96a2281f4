"""The poller: a failure mid-materialization leaves the batch retryable, and one bad batch never stops others."""

from __future__ import annotations

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


def test_a_batch_past_its_expiry_whose_provider_never_finishes_ends_expired(aws, providers_env, monkeypatch):
    held = {**PARAMS, "messages": [{"role": "user", "content": "[[hold]]"}]}
    batch = service.create_batch(
        "local", "anthropic", "https://gw.test/anthropic", [{"custom_id": "h", "params": held}]
    )
    assert poller.poll_once() == {"in_progress": 1}  # the provider is still working on it
    monkeypatch.setattr(service, "OVERDUE_GRACE", service.timedelta(hours=-25))  # as if 25 h had passed
    assert poller.poll_once() == {"ended": 1}
    ended = table.get_batch(batch.id)
    assert ended.counts == {"succeeded": 0, "errored": 0, "canceled": 0, "expired": 1}
    assert get_provider("anthropic").refresh_shard(ended.shards[0]).phase in ("canceling", "ended")

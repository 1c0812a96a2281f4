"""AnthropicProvider end to end against the emulated Anthropic API, plus its pure file-id rewriting."""

from __future__ import annotations

import pytest

from handlers.errors import ApiError, UpstreamError
from handlers.providers.anthropic import AnthropicProvider, build
from handlers.providers.base import FileRef, ShardRef, ShardUpdate
from infra.emulators.anthropic import create_app
from infra.servers import BackgroundServer

KEY = "provider-key"
BATCH_SECONDS = 1.0


class ManualClock:
    """Stands in for the emulator's monotonic clock so phase checks are not races with the machine."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="module")
def server(clock):
    app = create_app(KEY, batch_seconds=BATCH_SECONDS)
    app.state.emulator.clock = clock
    srv = BackgroundServer(app).start()
    yield srv
    srv.stop()


@pytest.fixture
def provider(server) -> AnthropicProvider:
    return build(KEY, server.url)


def anthropic_file(gateway_id: str, provider_id: str, provider: str = "anthropic") -> FileRef:
    return FileRef(gateway_id, provider, provider_id, "doc.pdf", "application/pdf")


def request(custom_id: str, content, **params) -> dict:
    body = {"model": "claude-test", "max_tokens": 32, "messages": [{"role": "user", "content": content}]}
    return {"custom_id": custom_id, "params": body | params}


def document(file_id: str) -> dict:
    return {"type": "document", "source": {"type": "file", "file_id": file_id}}


def end_now(provider: AnthropicProvider, shard: ShardRef, clock: ManualClock) -> ShardUpdate:
    clock.advance(BATCH_SECONDS)
    update = provider.refresh_shard(shard)
    assert update.phase == "ended"
    return update


def submit(provider: AnthropicProvider, requests: list[dict], files=None) -> ShardRef:
    (shard,) = provider.prepare_shards(requests, files or {})
    return provider.submit_shard(shard, batch_id="msgbatch_gw", index=0)


# --- prepare (pure) --------------------------------------------------------------------------------------


def test_prepare_rewrites_gateway_file_ids_without_touching_the_input():
    nested = {"type": "tool_result", "tool_use_id": "t1", "content": [document("file_gw2")]}
    requests = [
        request("a", [document("file_gw1"), {"type": "text", "text": "Read"}]),
        request("b", [nested]),
        request("c", "plain"),
    ]
    files = {
        "file_gw1": anthropic_file("file_gw1", "file_up1"),
        "file_gw2": anthropic_file("file_gw2", "file_up2"),
    }

    (shard,) = AnthropicProvider(client=None).prepare_shards(requests, files)

    assert shard.model is None and shard.custom_ids == ["a", "b", "c"]
    assert shard.payload[0]["params"]["messages"][0]["content"][0]["source"] == {
        "type": "file",
        "file_id": "file_up1",
    }
    assert (
        shard.payload[1]["params"]["messages"][0]["content"][0]["content"][0]["source"]["file_id"]
        == "file_up2"
    )
    assert shard.payload[2] == requests[2]
    assert requests[0]["params"]["messages"][0]["content"][0]["source"]["file_id"] == "file_gw1"
    assert shard.size_bytes > 0


def test_prepare_refuses_a_file_held_by_another_provider():
    requests = [request("needs-file", [document("file_gw1")])]
    files = {"file_gw1": anthropic_file("file_gw1", "file-abc", provider="openai")}
    with pytest.raises(ApiError) as info:
        AnthropicProvider(client=None).prepare_shards(requests, files)
    assert info.value.status == 400
    assert "needs-file" in info.value.message and "anthropic provider" in info.value.message


def test_prepare_splits_beyond_the_shard_limit():
    provider = AnthropicProvider(client=None)
    provider.max_requests_per_shard = 2
    shards = provider.prepare_shards([request(f"r{i}", "hi") for i in range(5)], {})
    assert [s.custom_ids for s in shards] == [["r0", "r1"], ["r2", "r3"], ["r4"]]


# --- batches against the emulator -------------------------------------------------------------------------


def test_submit_refresh_and_outcomes(provider, clock):
    shard = submit(provider, [request("hello", "Hi there"), request("bad", "x [[error]]")])
    assert shard.provider_batch_id.startswith("msgbatch_")
    assert (shard.request_count, shard.model, shard.data) == (2, None, {})
    assert provider.refresh_shard(shard).phase == "running"

    update = end_now(provider, shard, clock)
    assert update.ending == "completed" and update.fallback == {"type": "expired"}
    assert update.data["results_url"].endswith(f"/v1/messages/batches/{shard.provider_batch_id}/results")

    shard.data.update(update.data)
    outcomes = {o.custom_id: o.result for o in provider.iter_outcomes(shard, {})}
    assert set(outcomes) == {"hello", "bad"}
    assert outcomes["hello"]["type"] == "succeeded"
    assert outcomes["hello"]["message"]["content"] == [{"type": "text", "text": "Reply to: Hi there"}]
    assert outcomes["bad"]["type"] == "errored"
    assert outcomes["bad"]["error"]["error"]["type"] == "invalid_request_error"

    provider.delete_shard(shard)
    with pytest.raises(UpstreamError) as info:
        provider.refresh_shard(shard)
    assert info.value.status == 404
    provider.delete_shard(shard)  # already gone: tolerated


def test_cancel_then_canceled_fallback_and_partial_outcomes(provider, clock):
    shard = submit(provider, [request("held", "wait [[hold]]"), request("quick", "go")])
    provider.delete_shard(shard)  # not ended yet: tolerated, nothing deleted
    clock.advance(BATCH_SECONDS * 100)
    assert provider.refresh_shard(shard).phase == "running"

    provider.cancel_shard(shard)
    assert provider.refresh_shard(shard).phase == "canceling"
    update = end_now(provider, shard, clock)
    assert update.ending == "cancelled" and update.fallback == {"type": "canceled"}

    shard.data.update(update.data)
    outcomes = {o.custom_id: o.result for o in provider.iter_outcomes(shard, {})}
    assert outcomes["held"] == {"type": "canceled"}
    assert outcomes["quick"]["message"]["content"][0]["text"] == "Reply to: go"


def test_rewritten_file_reaches_upstream(provider, clock):
    upstream = provider.upload_file("doc.pdf", "application/pdf", b"%PDF-1.4 data")
    files = {"file_gateway": anthropic_file("file_gateway", upstream.provider_file_id)}
    shard = submit(
        provider, [request("doc", [document("file_gateway"), {"type": "text", "text": "Sum up"}])], files
    )
    shard.data.update(end_now(provider, shard, clock).data)
    (outcome,) = provider.iter_outcomes(shard, {})
    assert outcome.result["message"]["content"][0]["text"] == "Reply to: Sum up"


def test_unknown_upstream_file_is_refused_by_upstream(provider):
    files = {"file_gateway": anthropic_file("file_gateway", "file_01gone")}
    with pytest.raises(UpstreamError) as info:
        submit(provider, [request("doc", [document("file_gateway")])], files)
    assert info.value.status == 400 and "file_01gone" in info.value.message


# --- files -----------------------------------------------------------------------------------------------


def test_file_operations(provider):
    uploaded = provider.upload_file("notes.txt", "text/plain", b"hello world")
    assert uploaded.provider_file_id.startswith("file_")
    assert (uploaded.filename, uploaded.mime_type, uploaded.size_bytes) == ("notes.txt", "text/plain", 11)
    assert uploaded.downloadable is False and uploaded.created_at.tzinfo is not None

    assert provider.get_file(uploaded.provider_file_id) == uploaded
    assert provider.download_file(uploaded.provider_file_id) is None

    provider.delete_file(uploaded.provider_file_id)
    with pytest.raises(UpstreamError) as info:
        provider.get_file(uploaded.provider_file_id)
    assert info.value.status == 404
    with pytest.raises(UpstreamError):
        provider.download_file(uploaded.provider_file_id)


def test_wrong_key_is_a_gateway_configuration_error(server):
    with pytest.raises(UpstreamError) as info:
        build("not-the-key", server.url).get_file("file_01x")
    assert info.value.status == 502 and "credentials" in info.value.message

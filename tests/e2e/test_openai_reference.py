"""The reference page's OpenAI-provider snippets (and the OpenAI lifecycle around them) with the real SDK.

Most tests talk over HTTP to ``python -m infra.local`` with the emulated OpenAI upstream (``sdk("openai")``).
The emulator answers deterministically: "Reply to: <last user text>", with ``[[tool]]``, ``[[error]]``,
``[[expire]]``, ``[[block]]`` and ``[[hold]]`` triggers, and token counts equal to word counts.

Two tests need to see or change what is inside the gateway (shard limits, upstream file ids), which a
subprocess hides; they run the same SDK through the Lambda handler in-process (``lambda_sdk``) under moto.
"""

from __future__ import annotations

import time

import anthropic
import httpx
import pytest

from tests.conftest import EMULATOR_KEY
from tests.e2e.conftest import wait_until_ended

# The reference page's upload example, byte for byte (without the indentation its tabbed layout adds).
REFERENCE_JSONL = (
    b'{"custom_id": "request-1", "method": "POST", "url": "/v1/chat/completions", "body": {"model": '
    b'"gpt-4o-mini", "messages": [{"role": "user", "content": "Hello!"}], "max_tokens": 100}}\n'
    b'{"custom_id": "request-2", "method": "POST", "url": "/v1/chat/completions", "body": {"model": '
    b'"gpt-4o-mini", "messages": [{"role": "user", "content": "How are you?"}], "max_tokens": 100}}'
)

LOOKUP_TOOL = {
    "name": "lookup",
    "description": "Look a term up.",
    "input_schema": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
}


def _request(custom_id: str, prompt: str, model: str = "gpt-4o-mini") -> dict:
    return {
        "custom_id": custom_id,
        "params": {"model": model, "max_tokens": 100, "messages": [{"role": "user", "content": prompt}]},
    }


def _results(client: anthropic.Anthropic, batch_id: str) -> dict:
    """Results by custom_id, checking that no custom_id comes back twice."""
    lines = list(client.beta.messages.batches.results(batch_id))
    by_id = {r.custom_id: r.result for r in lines}
    assert len(by_id) == len(lines), [r.custom_id for r in lines]
    return by_id


def _ended(client: anthropic.Anthropic, batch_id: str):
    batch = wait_until_ended(client, batch_id, timeout=20)
    assert batch.processing_status == "ended", batch
    return batch


def _assert_reply(result, prompt: str, model: str = "gpt-4o-mini") -> None:
    """A succeeded result holding the true Anthropic message the emulator's reply translates to."""
    assert result.type == "succeeded", result
    message = result.message
    reply = f"Reply to: {prompt}"
    assert message.id.startswith("msg_") and message.type == "message" and message.role == "assistant"
    assert message.model == model
    assert [(b.type, b.text) for b in message.content] == [("text", reply)]
    assert message.stop_reason == "end_turn" and message.stop_sequence is None
    usage = message.usage
    assert (usage.input_tokens, usage.output_tokens) == (len(prompt.split()), len(reply.split()))
    assert usage.cache_read_input_tokens == 0 and usage.cache_creation_input_tokens == 0
    assert usage.service_tier == "batch"


# --------------------------------------------------------------------------------- the page's snippets


def test_reference_upload_list_download_and_delete_of_a_batch_jsonl_file(sdk):
    client = sdk("openai")

    response = client.beta.files.upload(file=("batch_input.jsonl", REFERENCE_JSONL, "application/jsonl"))
    assert response.id.startswith("file_") and response.filename == "batch_input.jsonl"
    assert response.mime_type == "application/jsonl" and response.size_bytes == len(REFERENCE_JSONL)
    assert response.downloadable is True

    listed = {file.id: file.filename for file in client.beta.files.list().data}
    assert listed[response.id] == "batch_input.jsonl"

    # The page reads the download with ``response.text()``; the SDK's BinaryAPIResponse offers exactly that.
    download = client.beta.files.download(response.id)
    assert download.text() == REFERENCE_JSONL.decode()
    assert client.beta.files.download(response.id).read() == REFERENCE_JSONL

    deleted = client.beta.files.delete(response.id)
    assert deleted.id == response.id and deleted.type == "file_deleted"
    assert response.id not in [file.id for file in client.beta.files.list().data]
    with pytest.raises(anthropic.NotFoundError):
        client.beta.files.download(response.id)


def test_reference_raw_openai_file_id_is_passed_through_to_openai(sdk):
    client = sdk("openai")
    file_id = "file-abc123"  # the page's id: not a gateway id, so OpenAI itself is asked (and knows none)
    with pytest.raises(anthropic.NotFoundError, match="file-abc123"):
        client.beta.files.download(file_id)
    with pytest.raises(anthropic.NotFoundError, match="file-abc123"):
        client.beta.files.delete(file_id)


def test_reference_inline_batch_create_retrieve_list_results_and_cancel_once_ended(sdk):
    client = sdk("openai")
    batch_requests = [
        {
            "custom_id": "request-1",
            "params": {
                "model": "gpt-4o-mini",
                "max_tokens": 100,
                "messages": [{"role": "user", "content": "What is 2+2?"}],
            },
        },
        {
            "custom_id": "request-2",
            "params": {
                "model": "gpt-4o-mini",
                "max_tokens": 100,
                "messages": [{"role": "user", "content": "What is the capital of France?"}],
            },
        },
    ]
    batch = client.beta.messages.batches.create(requests=batch_requests)
    assert batch.id.startswith("msgbatch_") and batch.processing_status == "in_progress"
    assert batch.request_counts.processing == 2 and batch.results_url is None

    retrieved = client.beta.messages.batches.retrieve(batch.id)
    assert retrieved.id == batch.id and retrieved.processing_status in ("in_progress", "ended")

    batch = _ended(client, batch.id)
    counts = batch.request_counts
    assert (counts.processing, counts.succeeded, counts.errored, counts.canceled, counts.expired) == (
        0,
        2,
        0,
        0,
        0,
    )
    assert batch.results_url.endswith(f"/v1/messages/batches/{batch.id}/results")

    listed = {b.id: b for b in client.beta.messages.batches.list(limit=10).data}
    assert listed[batch.id].processing_status == "ended" and listed[batch.id].request_counts.succeeded == 2

    results = _results(client, batch.id)
    assert set(results) == {"request-1", "request-2"}
    _assert_reply(results["request-1"], "What is 2+2?")
    _assert_reply(results["request-2"], "What is the capital of France?")

    # The page's cancel: "canceling" or "ended" — for a batch that has already ended, it stays as it was.
    canceled = client.beta.messages.batches.cancel(batch.id)
    assert canceled.processing_status == "ended" and canceled.cancel_initiated_at is None
    assert canceled.request_counts.succeeded == 2


def test_reference_cross_provider_batch_workflow(sdk):
    client = sdk("openai")
    batch_requests = [
        {
            "custom_id": "openai-request-1",
            "params": {
                "model": "gpt-4o-mini",
                "max_tokens": 100,
                "messages": [{"role": "user", "content": "Explain AI in one sentence."}],
            },
        },
        {
            "custom_id": "openai-request-2",
            "params": {
                "model": "gpt-4o-mini",
                "max_tokens": 100,
                "messages": [{"role": "user", "content": "What is machine learning?"}],
            },
        },
    ]
    batch = client.beta.messages.batches.create(requests=batch_requests)
    assert batch.processing_status == "in_progress"

    for _ in range(80):  # the page polls 10 times every 5 s; the emulator is done in well under a second
        batch = client.beta.messages.batches.retrieve(batch.id)
        if batch.processing_status in ["ended", "completed"]:
            break
        time.sleep(0.25)
    assert batch.processing_status == "ended"

    results = _results(client, batch.id)
    assert set(results) == {"openai-request-1", "openai-request-2"}
    _assert_reply(results["openai-request-1"], "Explain AI in one sentence.")
    _assert_reply(results["openai-request-2"], "What is machine learning?")


# ------------------------------------------------------------------------------- the OpenAI lifecycle


def test_a_mixed_model_batch_runs_as_one_batch_per_model_and_merges_the_results(sdk):
    client = sdk("openai")
    prompts = {f"mini-{i}": ("gpt-4o-mini", f"Question {i} for mini") for i in range(3)}
    prompts |= {f"four-one-{i}": ("gpt-4.1-mini", f"Question {i} for four one") for i in range(2)}
    # Interleaved, so a per-model split has to regroup them (OpenAI refuses two models in one input file).
    order = ["mini-0", "four-one-0", "mini-1", "four-one-1", "mini-2"]
    batch = client.beta.messages.batches.create(
        requests=[_request(cid, prompts[cid][1], prompts[cid][0]) for cid in order]
    )
    batch = _ended(client, batch.id)
    assert batch.request_counts.succeeded == 5 and batch.request_counts.errored == 0

    custom_ids = [r.custom_id for r in client.beta.messages.batches.results(batch.id)]
    assert sorted(custom_ids) == sorted(order)  # every custom_id exactly once
    results = _results(client, batch.id)
    for custom_id, (model, prompt) in prompts.items():
        _assert_reply(results[custom_id], prompt, model)


def test_a_tool_use_round_trip_over_two_batches(sdk):
    client = sdk("openai")
    question = {"role": "user", "content": "Find the weather in Paris [[tool]]"}
    first = client.beta.messages.batches.create(
        requests=[
            {
                "custom_id": "ask",
                "params": {
                    "model": "gpt-4o-mini",
                    "max_tokens": 100,
                    "tools": [LOOKUP_TOOL],
                    "messages": [question],
                },
            }
        ]
    )
    _ended(client, first.id)
    asked = _results(client, first.id)["ask"]
    assert asked.type == "succeeded"
    message = asked.message
    assert message.stop_reason == "tool_use" and message.role == "assistant"
    assert len(message.content) == 1
    call = message.content[0]
    assert call.type == "tool_use" and call.name == "lookup" and call.input == {"query": "value"}
    assert call.id == "call_1"  # OpenAI's call id, kept so the tool_result can answer it

    followup = [
        question,
        {
            "role": "assistant",
            "content": message.content,  # the SDK's own blocks sent back, as Anthropic's docs do
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "Sunny, 21 C"}],
        },
    ]
    second = client.beta.messages.batches.create(
        requests=[
            {
                "custom_id": "answer",
                "params": {
                    "model": "gpt-4o-mini",
                    "max_tokens": 100,
                    "tools": [LOOKUP_TOOL],
                    "messages": followup,
                },
            }
        ]
    )
    _ended(client, second.id)
    answered = _results(client, second.id)["answer"]
    assert answered.type == "succeeded"
    assert [(b.type, b.text) for b in answered.message.content] == [("text", "Tool said: Sunny, 21 C")]
    assert answered.message.stop_reason == "end_turn"


def test_errored_and_refused_items_come_back_per_custom_id(sdk):
    client = sdk("openai")
    batch = client.beta.messages.batches.create(
        requests=[
            _request("ok", "hello there"),
            _request("bad", "please [[error]]"),
            _request("blocked", "[[block]]"),
        ]
    )
    batch = _ended(client, batch.id)
    assert (batch.request_counts.succeeded, batch.request_counts.errored) == (2, 1)
    results = _results(client, batch.id)
    assert set(results) == {"ok", "bad", "blocked"}
    _assert_reply(results["ok"], "hello there")

    bad = results["bad"]
    assert bad.type == "errored"
    assert bad.error.type == "error"  # the whole Anthropic error envelope, nested in the result
    assert bad.error.error.type == "invalid_request_error"
    assert bad.error.error.message == "Emulated invalid request (the last user turn contains [[error]])."

    blocked = results["blocked"]
    assert blocked.type == "succeeded"
    assert blocked.message.stop_reason == "refusal" and blocked.message.content == []
    assert blocked.message.stop_details is not None and blocked.message.stop_details.type == "refusal"


def test_an_expired_item_is_expired_and_the_others_keep_their_output(sdk):
    client = sdk("openai")
    batch = client.beta.messages.batches.create(
        requests=[_request("done", "quick one"), _request("late", "[[expire]]")]
    )
    batch = _ended(client, batch.id)
    assert (batch.request_counts.succeeded, batch.request_counts.expired) == (1, 1)
    results = _results(client, batch.id)
    _assert_reply(results["done"], "quick one")
    assert results["late"].type == "expired"


def test_cancel_reports_canceling_then_ends_with_canceled_lines_for_held_requests(sdk):
    client = sdk("openai")
    batch = client.beta.messages.batches.create(
        requests=[
            _request("quick", "hi"),
            _request("held-1", "wait [[hold]]"),
            _request("held-2", "[[hold]] too"),
        ]
    )
    time.sleep(0.3)  # held requests keep the OpenAI batch in progress however long we wait
    assert client.beta.messages.batches.retrieve(batch.id).processing_status == "in_progress"

    canceled = client.beta.messages.batches.cancel(batch.id)
    assert canceled.processing_status == "canceling" and canceled.cancel_initiated_at is not None
    assert canceled.request_counts.processing == 3

    batch = _ended(client, batch.id)
    counts = batch.request_counts
    assert (counts.succeeded, counts.canceled, counts.processing) == (1, 2, 0)
    results = _results(client, batch.id)
    assert results["held-1"].type == "canceled" and results["held-2"].type == "canceled"
    _assert_reply(results["quick"], "hi")  # OpenAI keeps the partial output of a cancelled batch


# ----------------------------------------------------------------------------------------- in-process


def _drive_to_end(batch_id: str):
    """What the poller does, synchronously: refresh every shard and materialize once all have ended."""
    from handlers.services.batches import advance
    from handlers.storage import table

    deadline = time.monotonic() + 20
    while True:
        batch = advance(table.get_batch(batch_id), force=True)
        if batch.state == "ended":
            return batch
        assert time.monotonic() < deadline, f"batch {batch_id} did not end: {batch}"
        time.sleep(0.1)


def test_a_batch_too_big_for_one_openai_file_is_split_by_size_and_merged(lambda_sdk, monkeypatch):
    from handlers.providers.openai import OpenAIProvider
    from handlers.storage import table
    from handlers.translate.openai import encode_line, request_line

    requests = [_request(f"big-{i}", f"Item {i} " + "payload " * 30) for i in range(7)]
    line_bytes = {len(encode_line(request_line(r))) + 1 for r in requests}
    assert len(line_bytes) == 1  # equal lines, so the split points are known
    # Room for three lines per OpenAI input file; the line-count limit stays at OpenAI's 50,000.
    monkeypatch.setattr(OpenAIProvider, "max_bytes_per_shard", 3 * line_bytes.pop() + 5)

    client = lambda_sdk("openai")
    created = client.beta.messages.batches.create(requests=requests)
    assert created.processing_status == "in_progress" and created.request_counts.processing == 7

    record = _drive_to_end(created.id)
    assert [(s.model, s.request_count) for s in record.shards] == [("gpt-4o-mini", 3)] * 2 + [
        ("gpt-4o-mini", 1)
    ]
    assert len({s.provider_batch_id for s in record.shards}) == 3
    assert table.get_batch(created.id).state == "ended"

    batch = client.beta.messages.batches.retrieve(created.id)
    assert batch.processing_status == "ended" and batch.request_counts.succeeded == 7

    results = _results(client, created.id)
    assert sorted(results) == sorted(r["custom_id"] for r in requests)
    for request in requests:
        _assert_reply(results[request["custom_id"]], request["params"]["messages"][0]["content"])


def test_raw_openai_file_ids_download_and_retrieve_through_the_gateway_in_open_mode(
    lambda_sdk, providers_env
):
    from handlers.storage import table

    client = lambda_sdk("openai")
    uploaded = client.beta.files.upload(file=("batch_input.jsonl", REFERENCE_JSONL, "application/jsonl"))
    upstream_input_id = table.get_file(uploaded.id).provider_file_id
    assert upstream_input_id.startswith("file-")
    # The page's download example with a real OpenAI id: OpenAI's own copy of the upload comes back.
    assert client.beta.files.download(upstream_input_id).text() == REFERENCE_JSONL.decode()

    created = client.beta.messages.batches.create(requests=[_request("only", "What is 2+2?")])
    record = _drive_to_end(created.id)
    output_file_id = record.shards[0].data["output_file_id"]

    upstream = httpx.get(
        f"{providers_env['openai']}/files/{output_file_id}/content",
        headers={"Authorization": f"Bearer {EMULATOR_KEY}"},
    )
    assert upstream.status_code == 200 and b'"custom_id":"only"' in upstream.content
    downloaded = client.beta.files.download(output_file_id)
    assert downloaded.read() == upstream.content

    meta = client.beta.files.retrieve_metadata(output_file_id)
    assert meta.id == output_file_id and meta.filename.endswith("_output.jsonl")
    assert meta.size_bytes == len(upstream.content) and meta.downloadable is True

    # Without the openai header a raw id means nothing to the gateway.
    with pytest.raises(anthropic.NotFoundError):
        lambda_sdk().beta.files.download(output_file_id)


def test_raw_openai_file_ids_need_an_admin_key_when_keys_are_enforced(lambda_sdk, monkeypatch):
    """Raw ids bypass owner isolation, so with virtual keys only an admin key may use them."""
    from handlers import config
    from handlers.auth import hash_key
    from handlers.storage import table
    from handlers.storage.records import KeyRecord

    monkeypatch.setenv("BATCHBRIDGE_AUTH", "keys")
    config.reset_caches()
    for key, admin in (("admin-key", True), ("user-key", False)):
        table.put_key(
            KeyRecord(
                hash_key(key), owner=key, providers=["openai"], admin=admin, created_at="2025-01-01T00:00:00Z"
            )
        )
    user = lambda_sdk("openai", api_key="user-key")
    admin = lambda_sdk("openai", api_key="admin-key")

    uploaded = user.beta.files.upload(file=("batch_input.jsonl", REFERENCE_JSONL, "application/jsonl"))
    raw_id = table.get_file(uploaded.id).provider_file_id
    assert user.beta.files.download(uploaded.id).read() == REFERENCE_JSONL  # its own gateway id works

    with pytest.raises(anthropic.NotFoundError):
        user.beta.files.download(raw_id)
    with pytest.raises(anthropic.NotFoundError):
        user.beta.files.retrieve_metadata(raw_id)
    with pytest.raises(anthropic.NotFoundError):
        user.beta.files.delete(raw_id)
    assert admin.beta.files.download(raw_id).read() == REFERENCE_JSONL
    assert admin.beta.files.retrieve_metadata(raw_id).filename == "batch_input.jsonl"

"""The reference page's Gemini examples and the Gemini-specific paths, run with the real Anthropic SDK.

Most tests drive the local stack (``python -m infra.local`` with the emulated Gemini upstream); the shard over
the inline limit runs in-process through the Lambda handler so the limit can be lowered for the test.
"""

from __future__ import annotations

import time
from collections import Counter

import anthropic
import pytest

from tests.e2e.conftest import wait_until_ended

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
LOOKUP_TOOL = {
    "name": "lookup",
    "description": "Look something up.",
    "input_schema": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
}


def _request(custom_id: str, content, model: str = "gemini-1.5-flash", **params) -> dict:
    messages = content if isinstance(content, list) else [{"role": "user", "content": content}]
    return {
        "custom_id": custom_id,
        "params": {"model": model, "max_tokens": 100, "messages": messages, **params},
    }


def _results(client: anthropic.Anthropic, batch_id: str) -> dict:
    """Results by custom_id, after checking each custom_id comes back exactly once."""
    lines = list(client.beta.messages.batches.results(batch_id))
    repeated = [cid for cid, n in Counter(r.custom_id for r in lines).items() if n > 1]
    assert not repeated, f"custom_ids returned more than once: {repeated}"
    return {r.custom_id: r.result for r in lines}


def _assert_reply(result, text: str, model: str = "gemini-1.5-flash") -> None:
    assert result.type == "succeeded", result
    message = result.message
    assert message.id.startswith("msg_") and message.type == "message" and message.role == "assistant"
    assert message.model == model
    assert [(block.type, block.text) for block in message.content] == [("text", text)]
    assert message.stop_reason == "end_turn" and message.stop_sequence is None
    assert message.usage.service_tier == "batch"
    assert message.usage.output_tokens == len(text.split())


# --- the reference page, as written ------------------------------------------------------------------


def test_reference_files_flow_with_the_gemini_header(sdk):
    client = sdk("gemini")
    text_content = b"This is a test file for Files API integration."
    response = client.beta.files.upload(file=("test_upload.txt", text_content, "text/plain"))
    assert response.id.startswith("file_") and response.filename == "test_upload.txt"
    assert response.mime_type == "text/plain" and response.size_bytes == len(text_content)

    listed = client.beta.files.list()
    assert response.id in [f.id for f in listed.data]
    assert listed.data[[f.id for f in listed.data].index(response.id)].size_bytes == len(text_content)

    meta = client.beta.files.retrieve_metadata(response.id)
    assert (meta.id, meta.filename, meta.size_bytes) == (response.id, "test_upload.txt", len(text_content))
    # Gemini serves only files it generated: the user's own upload comes back from the staged copy.
    content = client.beta.files.download(response.id)
    assert content.read() == text_content

    deleted = client.beta.files.delete(response.id)
    assert deleted.id == response.id and deleted.type == "file_deleted"
    with pytest.raises(anthropic.NotFoundError):
        client.beta.files.retrieve_metadata(response.id)
    assert response.id not in [f.id for f in client.beta.files.list().data]


def test_reference_gemini_batch_create_list_retrieve_results(sdk):
    client = sdk("gemini")
    batch_requests = [
        {
            "custom_id": "request-1",
            "params": {
                "model": "gemini-1.5-flash",
                "max_tokens": 100,
                "messages": [{"role": "user", "content": "What is 2+2?"}],
            },
        },
        {
            "custom_id": "request-2",
            "params": {
                "model": "gemini-1.5-flash",
                "max_tokens": 100,
                "messages": [{"role": "user", "content": "What is the capital of France?"}],
            },
        },
    ]
    batch = client.beta.messages.batches.create(requests=batch_requests)
    assert batch.id.startswith("msgbatch_") and batch.processing_status == "in_progress"
    assert batch.request_counts.processing == 2 and batch.results_url is None

    response = client.beta.messages.batches.list(limit=10)
    assert batch.id in [b.id for b in response.data]

    batch = wait_until_ended(client, batch.id)
    assert batch.processing_status == "ended" and batch.ended_at is not None
    counts = batch.request_counts
    assert (counts.processing, counts.succeeded, counts.errored, counts.canceled, counts.expired) == (
        0,
        2,
        0,
        0,
        0,
    )
    assert batch.results_url.endswith(f"/anthropic/v1/messages/batches/{batch.id}/results")
    assert batch.id in [b.id for b in client.beta.messages.batches.list(limit=20).data]

    results = _results(client, batch.id)
    assert set(results) == {"request-1", "request-2"}
    _assert_reply(results["request-1"], "Reply to: What is 2+2?")
    _assert_reply(results["request-2"], "Reply to: What is the capital of France?")
    assert results["request-1"].message.usage.input_tokens == 3
    assert results["request-2"].message.usage.input_tokens == 6
    assert results["request-1"].message.id != results["request-2"].message.id


def test_reference_cancel_holds_back_held_requests(sdk):
    client = sdk("gemini")
    batch = client.beta.messages.batches.create(
        requests=[_request("quick", "hi"), _request("held", "wait for me [[hold]]")]
    )
    canceled = client.beta.messages.batches.cancel(batch.id)
    assert canceled.id == batch.id
    assert canceled.processing_status == "canceling" and canceled.cancel_initiated_at is not None
    assert client.beta.messages.batches.retrieve(batch.id).processing_status in ("canceling", "ended")

    batch = wait_until_ended(client, batch.id)
    assert batch.processing_status == "ended"
    assert (batch.request_counts.succeeded, batch.request_counts.canceled) == (1, 1)
    results = _results(client, batch.id)
    # Gemini answers what it had finished before the cancel (partial output); the held request never is.
    _assert_reply(results["quick"], "Reply to: hi")
    assert results["held"].type == "canceled"


# --- beyond the page ---------------------------------------------------------------------------------


def test_mixed_model_batch_is_two_gemini_batches_merged_under_one_id(sdk):
    client = sdk("gemini")
    requests = [
        _request("flash-1", "first question"),
        _request("two-1", "second question", model="models/gemini-2.0-flash"),
        _request("flash-2", "third question"),
        _request("two-2", "fourth question", model="models/gemini-2.0-flash"),
    ]
    batch = client.beta.messages.batches.create(requests=requests)
    assert batch.request_counts.processing == 4

    batch = wait_until_ended(client, batch.id)
    assert batch.processing_status == "ended" and batch.request_counts.succeeded == 4
    results = _results(client, batch.id)
    assert set(results) == {"flash-1", "two-1", "flash-2", "two-2"}
    # Each request was answered by its own model's batch (the model comes back without "models/").
    _assert_reply(results["flash-1"], "Reply to: first question", "gemini-1.5-flash")
    _assert_reply(results["flash-2"], "Reply to: third question", "gemini-1.5-flash")
    _assert_reply(results["two-1"], "Reply to: second question", "gemini-2.0-flash")
    _assert_reply(results["two-2"], "Reply to: fourth question", "gemini-2.0-flash")

    deleted = client.beta.messages.batches.delete(batch.id)
    assert deleted.id == batch.id and deleted.type == "message_batch_deleted"
    with pytest.raises(anthropic.NotFoundError):
        client.beta.messages.batches.retrieve(batch.id)


def test_shard_over_the_inline_limit_goes_through_an_uploaded_jsonl_file(lambda_sdk, monkeypatch):
    from handlers.providers import reset_providers
    from handlers.providers.gemini import GeminiProvider
    from handlers.services.batches import advance
    from handlers.storage import table

    monkeypatch.setattr(GeminiProvider, "INLINE_LIMIT_BYTES", 2000)
    reset_providers()
    client = lambda_sdk("gemini")
    filler = " ".join(["word"] * 150)  # ~750 bytes per request: three of them are over the lowered limit
    big = [_request(f"big-{i}", f"{i} {filler}") for i in range(3)]
    small = [_request("small", "short one", model="gemini-2.0-flash")]
    batch = client.beta.messages.batches.create(requests=big + small)

    record = table.get_batch(batch.id)
    shards = {shard.model: shard for shard in record.shards}
    assert set(shards) == {"models/gemini-1.5-flash", "models/gemini-2.0-flash"}
    assert shards["models/gemini-1.5-flash"].data["input_file"].startswith("files/")
    assert "input_file" not in shards["models/gemini-2.0-flash"].data  # the small shard stays inline

    deadline = time.monotonic() + 20
    while record.state != "ended" and time.monotonic() < deadline:
        time.sleep(0.1)
        record = advance(table.get_batch(batch.id), force=True)
    assert record.state == "ended"
    # The file-input shard's answers came from Gemini's responses file.
    ended_shards = {shard.model: shard for shard in table.get_batch(batch.id).shards}
    assert ended_shards["models/gemini-1.5-flash"].data.get("responses_file", "").startswith("files/")
    assert "responses_file" not in ended_shards["models/gemini-2.0-flash"].data

    ended = client.beta.messages.batches.retrieve(batch.id)
    assert ended.processing_status == "ended" and ended.request_counts.succeeded == 4
    results = _results(client, batch.id)
    assert set(results) == {"big-0", "big-1", "big-2", "small"}
    for i in range(3):
        _assert_reply(results[f"big-{i}"], f"Reply to: {i} {filler}")
    _assert_reply(results["small"], "Reply to: short one", "gemini-2.0-flash")


def test_tool_use_round_trip_looks_up_the_tool_name_for_the_result(sdk):
    client = sdk("gemini")
    question = [{"role": "user", "content": "Find the answer [[tool]]"}]
    first = client.beta.messages.batches.create(requests=[_request("ask", question, tools=[LOOKUP_TOOL])])
    first = wait_until_ended(client, first.id)
    asked = _results(client, first.id)["ask"]
    assert asked.type == "succeeded" and asked.message.stop_reason == "tool_use"
    [call] = asked.message.content
    assert call.type == "tool_use" and call.name == "lookup" and call.input == {"query": "value"}
    assert call.id.startswith("toolu_")  # Gemini sends no call id: the gateway made one up

    conversation = [
        *question,
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": call.id, "name": call.name, "input": call.input}],
        },
        # Anthropic's tool_result names no tool: the gateway finds "lookup" from the tool_use id.
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "42 apples"}],
        },
    ]
    second = client.beta.messages.batches.create(
        requests=[_request("answer", conversation, tools=[LOOKUP_TOOL])]
    )
    second = wait_until_ended(client, second.id)
    assert second.request_counts.succeeded == 1
    _assert_reply(_results(client, second.id)["answer"], "Tool said: 42 apples")


def test_blocked_and_errored_items_come_back_per_custom_id(sdk):
    client = sdk("gemini")
    batch = client.beta.messages.batches.create(
        requests=[
            _request("ok", "hello there"),
            _request("blocked", "something unsafe [[block]]"),
            _request("bad", "please fail [[error]]"),
        ]
    )
    batch = wait_until_ended(client, batch.id)
    counts = batch.request_counts
    assert (counts.succeeded, counts.errored, counts.canceled, counts.expired) == (2, 1, 0, 0)
    results = _results(client, batch.id)
    _assert_reply(results["ok"], "Reply to: hello there")

    blocked = results["blocked"]
    assert blocked.type == "succeeded"
    assert blocked.message.stop_reason == "refusal" and blocked.message.content == []
    assert blocked.message.usage.output_tokens == 0 and blocked.message.usage.service_tier == "batch"

    bad = results["bad"]
    assert bad.type == "errored"
    assert bad.error.type == "error" and bad.error.error.type == "invalid_request_error"
    assert "INVALID_ARGUMENT" in bad.error.error.message


def test_expired_gemini_batch_expires_every_request(sdk):
    client = sdk("gemini")
    batch = client.beta.messages.batches.create(
        requests=[_request("late", "too slow [[expire]]"), _request("other", "innocent bystander")]
    )
    batch = wait_until_ended(client, batch.id)
    assert batch.processing_status == "ended"
    assert (batch.request_counts.expired, batch.request_counts.succeeded) == (2, 0)
    results = _results(client, batch.id)
    assert {cid: result.type for cid, result in results.items()} == {"late": "expired", "other": "expired"}


def test_document_from_an_uploaded_gemini_file_is_read_by_the_batch(sdk):
    client = sdk("gemini")
    uploaded = client.beta.files.upload(file=("brief.pdf", PDF_BYTES, "application/pdf"))
    assert uploaded.mime_type == "application/pdf" and uploaded.size_bytes == len(PDF_BYTES)
    content = [
        {"type": "document", "source": {"type": "file", "file_id": uploaded.id}},
        {"type": "text", "text": "Summarise this document."},
    ]
    batch = client.beta.messages.batches.create(
        requests=[_request("doc", [{"role": "user", "content": content}])]
    )
    batch = wait_until_ended(client, batch.id)
    assert batch.request_counts.succeeded == 1
    result = _results(client, batch.id)["doc"]
    _assert_reply(result, "Reply to: Summarise this document.")
    assert result.message.usage.input_tokens == 3


def test_a_file_uploaded_through_another_provider_is_copied_to_gemini_for_the_batch(sdk):
    elsewhere = sdk().beta.files.upload(file=("notes.txt", b"kept by anthropic", "text/plain"))
    content = [
        {"type": "document", "source": {"type": "file", "file_id": elsewhere.id}},
        {"type": "text", "text": "Read it."},
    ]
    client = sdk("gemini")
    batch = client.beta.messages.batches.create(
        requests=[_request("cross", [{"role": "user", "content": content}])]
    )
    batch = wait_until_ended(client, batch.id)
    assert batch.request_counts.succeeded == 1
    _assert_reply(_results(client, batch.id)["cross"], "Reply to: Read it.")

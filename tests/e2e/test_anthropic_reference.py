"""The reference page's Anthropic-provider snippets, run with the real SDK against the local stack."""

from __future__ import annotations

import anthropic
import pytest

from tests.e2e.conftest import wait_until_ended


def _results(client, batch_id) -> dict:
    return {r.custom_id: r.result for r in client.beta.messages.batches.results(batch_id)}


def test_upload_list_retrieve_download_delete_a_file(sdk):
    client = sdk()
    text_content = b"This is a test file for Files API integration."
    response = client.beta.files.upload(file=("test_upload.txt", text_content, "text/plain"))
    assert response.id.startswith("file_") and response.filename == "test_upload.txt"
    assert response.mime_type == "text/plain" and response.size_bytes == len(text_content)

    listed = client.beta.files.list()
    assert response.id in [f.id for f in listed.data]
    assert client.beta.files.retrieve_metadata(response.id).filename == "test_upload.txt"
    # The user's own upload can always be downloaded back (from the staged copy).
    assert client.beta.files.download(response.id).read() == text_content

    deleted = client.beta.files.delete(response.id)
    assert deleted.id == response.id and deleted.type == "file_deleted"
    with pytest.raises(anthropic.NotFoundError):
        client.beta.files.retrieve_metadata(response.id)


def test_upload_of_raw_bytes_without_a_name_gets_a_sensible_name(sdk):
    meta = sdk().beta.files.upload(file=b"%PDF-1.4 tiny")
    assert meta.mime_type == "application/pdf"
    assert meta.filename in ("upload", "unnamed.pdf")  # 0.x SDKs send "upload", 2.x none


def test_anthropic_batch_workflow(sdk):
    client = sdk()
    batch_requests = [
        {
            "custom_id": "math-question",
            "params": {
                "model": "claude-3-sonnet-20240229",
                "max_tokens": 100,
                "messages": [{"role": "user", "content": "What is 15 * 7?"}],
            },
        },
        {
            "custom_id": "geography-question",
            "params": {
                "model": "claude-3-sonnet-20240229",
                "max_tokens": 100,
                "messages": [{"role": "user", "content": "What is the largest ocean?"}],
            },
        },
    ]
    batch = client.beta.messages.batches.create(requests=batch_requests)
    assert batch.id.startswith("msgbatch_") and batch.processing_status == "in_progress"
    assert batch.request_counts.processing == 2 and batch.results_url is None
    assert (batch.expires_at - batch.created_at).total_seconds() == 24 * 3600

    batch = wait_until_ended(client, batch.id)
    assert batch.processing_status == "ended"
    assert batch.request_counts.succeeded == 2 and batch.request_counts.processing == 0
    assert batch.results_url.endswith(f"/anthropic/v1/messages/batches/{batch.id}/results")

    batch_list = client.beta.messages.batches.list(limit=20)
    assert batch.id in [b.id for b in batch_list.data]

    results = _results(client, batch.id)
    assert results["math-question"].type == "succeeded"
    assert results["math-question"].message.content[0].text == "Reply to: What is 15 * 7?"
    assert results["geography-question"].message.content[0].text == "Reply to: What is the largest ocean?"
    assert results["math-question"].message.usage.service_tier == "batch"


def test_errored_expired_and_refused_items_come_back_per_custom_id(sdk):
    client = sdk()
    params = {"model": "claude-3-haiku", "max_tokens": 50}
    batch = client.beta.messages.batches.create(
        requests=[
            {"custom_id": "ok", "params": {**params, "messages": [{"role": "user", "content": "hello"}]}},
            {
                "custom_id": "bad",
                "params": {**params, "messages": [{"role": "user", "content": "[[error]]"}]},
            },
            {
                "custom_id": "late",
                "params": {**params, "messages": [{"role": "user", "content": "[[expire]]"}]},
            },
        ]
    )
    batch = wait_until_ended(client, batch.id)
    assert batch.request_counts.succeeded == 1
    assert batch.request_counts.errored == 1 and batch.request_counts.expired == 1
    results = _results(client, batch.id)
    assert results["ok"].type == "succeeded"
    assert results["bad"].type == "errored" and results["bad"].error.error.type == "invalid_request_error"
    assert results["late"].type == "expired"


def test_cancel_then_results_has_canceled_lines(sdk):
    client = sdk()
    params = {"model": "claude-3-haiku", "max_tokens": 50}
    batch = client.beta.messages.batches.create(
        requests=[
            {"custom_id": "quick", "params": {**params, "messages": [{"role": "user", "content": "hi"}]}},
            {
                "custom_id": "held",
                "params": {**params, "messages": [{"role": "user", "content": "[[hold]]"}]},
            },
        ]
    )
    canceled = client.beta.messages.batches.cancel(batch.id)
    assert canceled.processing_status == "canceling" and canceled.cancel_initiated_at is not None
    batch = wait_until_ended(client, batch.id)
    assert batch.processing_status == "ended"
    results = _results(client, batch.id)
    assert results["held"].type == "canceled"
    assert results["quick"].type in ("succeeded", "canceled")
    assert batch.request_counts.canceled >= 1


def test_delete_only_after_the_batch_has_ended(sdk):
    client = sdk()
    params = {
        "model": "claude-3-haiku",
        "max_tokens": 50,
        "messages": [{"role": "user", "content": "[[hold]]"}],
    }
    batch = client.beta.messages.batches.create(requests=[{"custom_id": "held", "params": params}])
    with pytest.raises(anthropic.BadRequestError, match="cancel"):
        client.beta.messages.batches.delete(batch.id)
    client.beta.messages.batches.cancel(batch.id)
    wait_until_ended(client, batch.id)
    deleted = client.beta.messages.batches.delete(batch.id)
    assert deleted.id == batch.id and deleted.type == "message_batch_deleted"
    with pytest.raises(anthropic.NotFoundError):
        client.beta.messages.batches.retrieve(batch.id)


def test_paging_through_45_batches_with_limit_10_sees_each_once(sdk):
    client = sdk()
    params = {"model": "claude-3-haiku", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
    created = [
        client.beta.messages.batches.create(requests=[{"custom_id": "a", "params": params}]).id
        for _ in range(45)
    ]
    seen = [b.id for b in client.beta.messages.batches.list(limit=10)]  # the SDK's auto-paging
    mine = [i for i in seen if i in set(created)]
    assert mine == list(reversed(created))  # newest first, each exactly once
    assert len(seen) == len(set(seen))
    first = client.beta.messages.batches.list(limit=10)
    assert len(first.data) == 10 and first.has_more and first.last_id == first.data[-1].id


@pytest.mark.parametrize("provider", [None, "openai", "gemini"])
def test_the_pages_list_files_loop_prints_every_files_size(sdk, capsys, provider):
    client = sdk(provider)
    uploaded = client.beta.files.upload(file=("sized.txt", b"twelve bytes", "text/plain"))

    # The reference page's "List Files" snippet, verbatim.
    response = client.beta.files.list()

    for file in response.data:
        print(f"File ID: {file.id}")
        print(f"Filename: {file.filename}")
        print(f"Size: {file.size} bytes")
        print("---")

    printed = capsys.readouterr().out
    assert f"File ID: {uploaded.id}\nFilename: sized.txt\nSize: 12 bytes\n---\n" in printed
    client.beta.files.delete(uploaded.id)

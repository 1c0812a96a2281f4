"""Behind Lambda, results larger than the response limit are served by a presigned S3 redirect."""

from __future__ import annotations

import time

import pytest

from handlers import config
from handlers.services.batches import advance
from handlers.storage import table


@pytest.fixture
def lambda_mode(monkeypatch):
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "ApiFunction")
    monkeypatch.setenv("BATCHBRIDGE_RESULTS_REDIRECT_BYTES", "2000")
    config.reset_caches()


def _finish(batch_id: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        batch = advance(table.get_batch(batch_id), force=True)
        if batch.state == "ended":
            return
        time.sleep(0.1)
    raise AssertionError("batch did not end")


def test_sdk_results_follow_the_presigned_redirect_for_large_results(lambda_sdk, lambda_mode):
    client = lambda_sdk()
    text = "word " * 50
    requests = [
        {
            "custom_id": f"item-{i}",
            "params": {
                "model": "claude-x",
                "max_tokens": 10,
                "messages": [{"role": "user", "content": f"{i} {text}"}],
            },
        }
        for i in range(20)
    ]
    batch = client.beta.messages.batches.create(requests=requests)
    _finish(batch.id)
    ended = client.beta.messages.batches.retrieve(batch.id)
    assert ended.processing_status == "ended" and ended.request_counts.succeeded == 20
    assert table.get_batch(batch.id).results_bytes > 2000  # so the route answers with a redirect

    from handlers.api import handler
    from tests.support.lambda_transport import LambdaContext, http_api_event

    event = http_api_event(
        "GET", f"/anthropic/v1/messages/batches/{batch.id}/results", headers={"x-api-key": "k"}
    )
    out = handler(event, LambdaContext())
    assert out["statusCode"] == 302
    assert ".amazonaws.com/" in out["headers"]["location"] and "Signature" in out["headers"]["location"]

    results = {r.custom_id: r.result for r in client.beta.messages.batches.results(batch.id)}
    assert len(results) == 20
    assert results["item-7"].message.content[0].text == f"Reply to: 7 {text}"


def test_small_results_are_streamed_directly(lambda_sdk, lambda_mode):
    client = lambda_sdk()
    params = {"model": "claude-x", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
    batch = client.beta.messages.batches.create(requests=[{"custom_id": "one", "params": params}])
    _finish(batch.id)
    results = list(client.beta.messages.batches.results(batch.id))
    assert [r.custom_id for r in results] == ["one"]
    assert results[0].result.message.content[0].text == "Reply to: hi"


def test_a_large_raw_provider_file_is_handed_out_presigned_too(lambda_sdk, lambda_mode):
    from handlers.storage import table as records

    client = lambda_sdk("openai")
    content = b'{"custom_id":"x"}\n' * 200  # 3,600 bytes: over this test's 2,000-byte response limit
    uploaded = client.beta.files.upload(file=("big.jsonl", content, "application/jsonl"))
    raw_id = records.get_file(uploaded.id).provider_file_id  # OpenAI's own id, passed through in open mode

    from handlers.api import handler
    from tests.support.lambda_transport import LambdaContext, http_api_event

    event = http_api_event(
        "GET",
        f"/anthropic/v1/files/{raw_id}/content",
        headers={"x-api-key": "k", "x-model-provider": "openai"},
    )
    out = handler(event, LambdaContext())
    assert out["statusCode"] == 302 and "Signature" in out["headers"]["location"]
    assert client.beta.files.download(raw_id).read() == content  # the SDK follows it
    again = handler(event, LambdaContext())  # staged once: a second call is redirected without re-downloading
    assert again["statusCode"] == 302

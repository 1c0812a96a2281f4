"""What a user sees when the provider fails at create, and the SDK's auto-paging over files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import anthropic
import pytest

from handlers.errors import UpstreamError
from handlers.providers import get_provider
from handlers.services import batches as batches_service
from handlers.storage import bucket, table

PARAMS = {"model": "claude-x", "max_tokens": 10, "messages": [{"role": "user", "content": "hello"}]}


@pytest.mark.parametrize(
    ("status", "error_class", "error_type"),
    [(429, anthropic.RateLimitError, "rate_limit_error"), (502, anthropic.InternalServerError, "api_error")],
)
def test_an_upstream_failure_at_create_is_mapped_and_leaves_nothing_behind(
    lambda_sdk, monkeypatch, status, error_class, error_type
):
    provider = get_provider("anthropic")

    def refuse(shard, *, batch_id, index, betas=()):
        raise UpstreamError(status, "anthropic: try again later")

    monkeypatch.setattr(provider, "submit_shard", refuse)
    client = lambda_sdk()
    with pytest.raises(error_class) as caught:
        client.beta.messages.batches.create(requests=[{"custom_id": "a", "params": PARAMS}])
    assert caught.value.body["error"] == {"type": error_type, "message": "anthropic: try again later"}
    assert client.beta.messages.batches.list().data == []
    assert table.list_owned("local", "batch", 10) == ([], False)
    listing = bucket.aws.s3().list_objects_v2(Bucket=bucket.settings().bucket, Prefix="inputs/")
    assert listing.get("KeyCount", 0) == 0  # the staged requests went with the record


def test_sdk_auto_paging_walks_every_file_once(lambda_sdk):
    client = lambda_sdk()
    uploaded = [
        client.beta.files.upload(file=(f"f{i}.txt", f"file {i}".encode(), "text/plain")).id for i in range(5)
    ]
    seen = [f.id for f in client.beta.files.list(limit=2)]  # 2.x SDKs page with page/next_page
    assert seen == list(reversed(uploaded))
    first = client.beta.files.list(limit=2)
    assert first.next_page is not None and len(first.data) == 2


def test_a_provider_filtered_list_shows_only_that_providers_batches(lambda_sdk):
    anthropic_batch = lambda_sdk().beta.messages.batches.create(
        requests=[{"custom_id": "a", "params": PARAMS}]
    )
    openai_params = {**PARAMS, "model": "gpt-4o-mini"}
    openai_batch = lambda_sdk("openai").beta.messages.batches.create(
        requests=[{"custom_id": "o", "params": openai_params}]
    )
    assert [b.id for b in lambda_sdk("openai").beta.messages.batches.list().data] == [openai_batch.id]
    assert [b.id for b in lambda_sdk("anthropic").beta.messages.batches.list().data] == [anthropic_batch.id]
    everything = [b.id for b in lambda_sdk().beta.messages.batches.list().data]
    assert everything == [openai_batch.id, anthropic_batch.id]
    # Later calls need no header: the gateway remembers which provider runs each batch.
    assert lambda_sdk().beta.messages.batches.retrieve(openai_batch.id).id == openai_batch.id


def test_an_sdk_retry_of_a_create_returns_the_batch_the_first_attempt_made(gateway, providers_env):
    body = {"requests": [{"custom_id": "a", "params": PARAMS}]}
    first = gateway.post("/anthropic/v1/messages/batches", json=body, headers={"x-api-key": "d"}).json()
    # The SDK's retry after a lost answer (timeout, 5xx) carries x-stainless-retry-count ≥ 1.
    retry = gateway.post(
        "/anthropic/v1/messages/batches",
        json=body,
        headers={"x-api-key": "d", "x-stainless-retry-count": "1"},
    ).json()
    assert retry["id"] == first["id"]
    # A deliberate second create (no retry header) is a new batch, as on Anthropic.
    again = gateway.post("/anthropic/v1/messages/batches", json=body, headers={"x-api-key": "d"}).json()
    assert again["id"] != first["id"]
    other = {"requests": [{"custom_id": "b", "params": PARAMS}]}
    changed = gateway.post(
        "/anthropic/v1/messages/batches",
        json=other,
        headers={"x-api-key": "d", "x-stainless-retry-count": "2"},
    ).json()
    assert changed["id"] not in (first["id"], again["id"])


def _finish(batch_id: str) -> None:
    import time

    from handlers.services.batches import advance

    for _ in range(400):
        if advance(table.get_batch(batch_id), force=True).state == "ended":
            return
        time.sleep(0.05)
    raise AssertionError("batch did not end")


@pytest.mark.parametrize(
    ("held_by", "runs_on", "model"), [(None, "openai", "gpt-4o-mini"), ("openai", None, "claude-x")]
)
def test_a_file_from_another_provider_is_copied_for_the_batch(lambda_sdk, held_by, runs_on, model):
    uploaded = lambda_sdk(held_by).beta.files.upload(file=("notes.pdf", b"%PDF-1.4 notes", "application/pdf"))
    content = [
        {"type": "document", "source": {"type": "file", "file_id": uploaded.id}},
        {"type": "text", "text": "Read it."},
    ]
    client = lambda_sdk(runs_on)
    params = {"model": model, "max_tokens": 10, "messages": [{"role": "user", "content": content}]}
    batch = client.beta.messages.batches.create(requests=[{"custom_id": "x", "params": params}])
    _finish(batch.id)
    (result,) = list(client.beta.messages.batches.results(batch.id))
    assert result.result.type == "succeeded", result.result
    assert result.result.message.content[0].text == "Reply to: Read it."


def test_a_gemini_file_past_its_48_hours_is_uploaded_again_for_a_new_batch(lambda_sdk, monkeypatch):
    from infra.emulators.gemini import state as gemini_emulator

    client = lambda_sdk("gemini")
    uploaded = client.beta.files.upload(file=("notes.pdf", b"%PDF-1.4 notes", "application/pdf"))
    # Two days on: Gemini has deleted its copy; the gateway's record and staged bytes remain.
    later = timedelta(hours=49)
    monkeypatch.setattr(gemini_emulator.CLOCK, "offset", later.total_seconds())
    monkeypatch.setattr(batches_service, "utcnow", lambda: datetime.now(UTC) + later)

    content = [
        {"type": "document", "source": {"type": "file", "file_id": uploaded.id}},
        {"type": "text", "text": "Read it."},
    ]
    params = {
        "model": "gemini-2.5-flash",
        "max_tokens": 10,
        "messages": [{"role": "user", "content": content}],
    }
    batch = client.beta.messages.batches.create(requests=[{"custom_id": "x", "params": params}])
    _finish(batch.id)
    (result,) = list(client.beta.messages.batches.results(batch.id))
    assert result.result.type == "succeeded", result.result
    assert result.result.message.content[0].text == "Reply to: Read it."


def test_the_clients_betas_reach_anthropic_with_the_gateways_own(lambda_sdk):
    client = lambda_sdk()
    sent: list = []
    get_provider("anthropic").client._client.event_hooks["request"].append(sent.append)
    batch = client.beta.messages.batches.create(
        requests=[{"custom_id": "x", "params": PARAMS}],
        betas=["context-1m-2025-08-07", "files-api-2025-04-14"],
    )
    (create,) = [r for r in sent if r.method == "POST" and r.url.path == "/v1/messages/batches"]
    betas = create.headers["anthropic-beta"].split(",")
    assert "context-1m-2025-08-07" in betas and "message-batches-2024-09-24" in betas
    assert len(betas) == len(set(betas))
    _finish(batch.id)


def test_a_file_uploaded_with_expires_in_seconds_is_gone_for_every_call_once_it_expires(
    lambda_sdk, monkeypatch
):
    from handlers.services import files as files_service

    client = lambda_sdk()
    kept = client.beta.files.upload(file=("kept.txt", b"kept", "text/plain"))
    assert kept.expires_at is None  # as on Anthropic: kept until deleted
    with pytest.raises(anthropic.BadRequestError, match="expires_in_seconds"):
        client.beta.files.upload(file=("soon.txt", b"x", "text/plain"), expires_in_seconds=5)

    hourly = client.beta.files.upload(
        file=("hourly.txt", b"for an hour", "text/plain"), expires_in_seconds=3600
    )
    assert (hourly.expires_at - hourly.created_at).total_seconds() == pytest.approx(3600, abs=5)
    tags = bucket.aws.s3().get_object_tagging(
        Bucket=bucket.settings().bucket, Key=bucket.upload_key(hourly.id)
    )
    assert tags["TagSet"] == [{"Key": "batchbridge-expiring", "Value": "true"}]  # the lifecycle rule's tag
    assert client.beta.files.download(hourly.id).read() == b"for an hour"
    upstream_id = table.get_file(hourly.id).provider_file_id
    upstream = get_provider("anthropic").client.json("GET", f"/v1/files/{upstream_id}")
    assert upstream["expires_at"] is not None  # Anthropic's copy goes too: nothing outlives the record

    later = datetime.now(UTC) + timedelta(hours=2)
    for module in (files_service, batches_service, table):
        monkeypatch.setattr(module, "utcnow", lambda: later)
    with pytest.raises(anthropic.NotFoundError):
        client.beta.files.retrieve_metadata(hourly.id)
    with pytest.raises(anthropic.NotFoundError):
        client.beta.files.download(hourly.id)
    assert [f.id for f in client.beta.files.list()] == [kept.id]
    # Pages skip expired files in the query itself, so a page is never emptied by them and paging goes on.
    assert [f.id for f in client.beta.files.list(limit=1)] == [kept.id]
    document = {"type": "document", "source": {"type": "file", "file_id": hourly.id}}
    params = {**PARAMS, "messages": [{"role": "user", "content": [document]}]}
    with pytest.raises(anthropic.BadRequestError, match="does not exist"):
        client.beta.messages.batches.create(requests=[{"custom_id": "x", "params": params}])


@pytest.mark.parametrize(
    ("filename", "content", "mime", "block", "reply"),
    [
        ("cat.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 16, "image/png", "image", "Reply to: Describe it."),
        # The text document's words reach the model as text (the emulator answers every text part).
        ("notes.txt", b"plain notes", "text/plain", "document", "Reply to: plain notes Describe it."),
    ],
)
def test_images_and_text_files_by_id_run_on_openai_from_the_staged_copy(
    lambda_sdk, filename, content, mime, block, reply
):
    uploaded = lambda_sdk().beta.files.upload(file=(filename, content, mime))  # held by Anthropic
    client = lambda_sdk("openai")
    params = {
        "model": "gpt-4o-mini",
        "max_tokens": 10,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": block, "source": {"type": "file", "file_id": uploaded.id}},
                    {"type": "text", "text": "Describe it."},
                ],
            }
        ],
    }
    batch = client.beta.messages.batches.create(requests=[{"custom_id": "x", "params": params}])
    _finish(batch.id)
    (result,) = list(client.beta.messages.batches.results(batch.id))
    assert result.result.type == "succeeded", result.result
    assert result.result.message.content[0].text == reply


def test_a_file_anthropic_made_itself_is_found_upstream_where_raw_ids_are_allowed(lambda_sdk, providers_env):
    # Stands in for a code-execution output: a file Anthropic holds that was never uploaded via the gateway.
    upstream = get_provider("anthropic").upload_file("chart.txt", "text/plain", b"made upstream")
    client = lambda_sdk()  # open mode: raw ids are allowed
    meta = client.beta.files.retrieve_metadata(upstream.provider_file_id)
    assert (meta.id, meta.filename, meta.size_bytes) == (upstream.provider_file_id, "chart.txt", 13)
    # The emulated Anthropic, like the real one, serves only files its tools made.
    with pytest.raises(anthropic.BadRequestError, match="does not serve the content"):
        client.beta.files.download(upstream.provider_file_id)
    with pytest.raises(anthropic.NotFoundError):
        client.beta.files.retrieve_metadata("file_" + "0" * 24)

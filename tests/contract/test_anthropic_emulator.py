"""The emulated Anthropic upstream, driven by the real ``anthropic`` SDK and checked against its own types."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import anthropic
import httpx
import pytest
from anthropic.types import FileMetadata
from anthropic.types.beta import BetaDeletedFile, BetaFileMetadata
from anthropic.types.file_not_downloadable_error import FileNotDownloadableError
from anthropic.types.messages import DeletedMessageBatch, MessageBatch, MessageBatchIndividualResponse

from infra.emulators.anthropic import create_app
from infra.servers import BackgroundServer

KEY = "contract-key"
BATCH_SECONDS = 0.3
TOOLS = [{"name": "lookup", "description": "Look a thing up", "input_schema": {"type": "object"}}]


class ManualClock:
    """Stands in for the emulator's monotonic clock so "still in progress" is not a race with the machine."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def start(batch_seconds: float = BATCH_SECONDS, clock: ManualClock | None = None) -> BackgroundServer:
    app = create_app(KEY, batch_seconds=batch_seconds)
    if clock is not None:
        app.state.emulator.clock = clock
    return BackgroundServer(app).start()


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="module")
def server(clock):
    srv = start(clock=clock)
    yield srv
    srv.stop()


@pytest.fixture
def fresh_server():
    """A server of its own, for tests that count everything listed."""
    srv = start()
    yield srv
    srv.stop()


def sdk(srv: BackgroundServer, api_key: str = KEY) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key=api_key, base_url=srv.url, max_retries=0)


@pytest.fixture
def client(server) -> anthropic.Anthropic:
    return sdk(server)


def raw(srv: BackgroundServer) -> httpx.Client:
    """Plain HTTP with the 0.x SDK's header style, to see exact wire JSON."""
    return httpx.Client(base_url=srv.url, headers={"x-api-key": KEY, "anthropic-version": "2023-06-01"})


def request(custom_id: str, text: str, **params) -> dict:
    body = {"model": "claude-test", "max_tokens": 64, "messages": [{"role": "user", "content": text}]}
    return {"custom_id": custom_id, "params": body | params}


def wait_until_ended(client: anthropic.Anthropic, batch_id: str, clock: ManualClock) -> MessageBatch:
    clock.advance(BATCH_SECONDS)
    batch = client.messages.batches.retrieve(batch_id)
    assert batch.processing_status == "ended"
    return batch


def results_by_id(client: anthropic.Anthropic, batch_id: str) -> dict:
    return {line.custom_id: line.result for line in client.messages.batches.results(batch_id)}


# --- files -----------------------------------------------------------------------------------------------


def test_file_upload_retrieve_list_delete(client, server):
    uploaded = client.beta.files.upload(file=("notes.txt", b"hello world", "text/plain"))
    assert isinstance(uploaded, BetaFileMetadata)
    assert uploaded.id.startswith("file_")
    assert (uploaded.type, uploaded.filename, uploaded.mime_type) == ("file", "notes.txt", "text/plain")
    assert uploaded.size_bytes == 11 and uploaded.downloadable is False
    assert uploaded.created_at.tzinfo is not None

    assert client.beta.files.retrieve_metadata(uploaded.id) == uploaded
    assert uploaded.id in [f.id for f in client.beta.files.list()]

    deleted = client.beta.files.delete(uploaded.id)
    assert isinstance(deleted, BetaDeletedFile)
    assert (deleted.id, deleted.type) == (uploaded.id, "file_deleted")
    with pytest.raises(anthropic.NotFoundError):
        client.beta.files.retrieve_metadata(uploaded.id)


def test_upload_of_bare_bytes_is_named_unnamed_with_extension(client):
    # 2.x SDKs send raw bytes with no filename at all.
    uploaded = client.beta.files.upload(file=b"\x00\x01binary\r\n\r\n--not-a-boundary")
    assert uploaded.filename == "unnamed.bin"
    assert uploaded.mime_type == "application/octet-stream"
    assert uploaded.size_bytes == len(b"\x00\x01binary\r\n\r\n--not-a-boundary")


def test_upload_without_file_part_is_refused(server):
    with raw(server) as http:
        response = http.post("/v1/files", files={"document": ("a.txt", b"x", "text/plain")})
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
    assert "file" in body["error"]["message"]
    assert response.headers["request-id"] == body["request_id"]


def test_download_of_an_upload_is_refused_as_not_downloadable(client):
    uploaded = client.beta.files.upload(file=("a.pdf", b"%PDF-1.4", "application/pdf"))
    with pytest.raises(FileNotDownloadableError) as info:
        client.beta.files.download(uploaded.id)
    assert isinstance(info.value, anthropic.BadRequestError)
    assert info.value.error_code == "file_not_downloadable"
    assert "not downloadable" in info.value.message


def test_file_list_pages_in_both_styles(fresh_server):
    client = sdk(fresh_server)
    ids = [client.beta.files.upload(file=(f"f{i}.txt", b"x", "text/plain")).id for i in range(3)]
    newest_first = ids[::-1]

    # 2.x SDK auto-paging follows next_page cursors.
    assert [f.id for f in client.beta.files.list(limit=1)] == newest_first

    # 0.x style: after_id / before_id with has_more/first_id/last_id.
    with raw(fresh_server) as http:
        first = http.get("/v1/files", params={"limit": 2}).json()
        assert [f["id"] for f in first["data"]] == newest_first[:2]
        assert (first["has_more"], first["first_id"], first["last_id"]) == (True, ids[2], ids[1])
        assert first["next_page"] == f"page_{ids[1]}"
        second = http.get("/v1/files", params={"limit": 2, "after_id": first["last_id"]}).json()
        assert [f["id"] for f in second["data"]] == [ids[0]]
        assert second["has_more"] is False and second["next_page"] is None
        back = http.get("/v1/files", params={"limit": 1, "before_id": ids[0]}).json()
        assert [f["id"] for f in back["data"]] == [ids[1]] and back["has_more"] is True
        by_page = http.get("/v1/files", params={"limit": 5, "page": first["next_page"]}).json()
        assert [f["id"] for f in by_page["data"]] == [ids[0]]
        for item in first["data"]:
            FileMetadata.model_validate(item)
            BetaFileMetadata.model_validate(item)
        assert http.get("/v1/files", params={"limit": 0}).status_code == 400
        assert http.get("/v1/files", params={"limit": 1001}).status_code == 400


# --- batches ---------------------------------------------------------------------------------------------


def test_batch_lifecycle_and_exact_results(client, server, clock):
    created = client.messages.batches.create(
        requests=[
            request("first", "Hello there"),
            request("second", "How are you today", model="other-model"),
        ]
    )
    assert created.id.startswith("msgbatch_")
    assert created.processing_status == "in_progress"
    assert created.request_counts.processing == 2 and created.request_counts.succeeded == 0
    assert created.results_url is None and created.ended_at is None and created.cancel_initiated_at is None
    assert created.expires_at - created.created_at == timedelta(hours=24)
    with pytest.raises(anthropic.BadRequestError):
        client.messages.batches.delete(created.id)
    with raw(server) as http:
        early = http.get(f"/v1/messages/batches/{created.id}/results")
    assert early.status_code == 400 and early.json()["error"]["type"] == "invalid_request_error"

    ended = wait_until_ended(client, created.id, clock)
    assert ended.request_counts.model_dump() == {
        "processing": 0,
        "succeeded": 2,
        "errored": 0,
        "canceled": 0,
        "expired": 0,
    }
    assert ended.ended_at is not None and ended.ended_at >= ended.created_at
    assert ended.results_url == f"{server.url}/v1/messages/batches/{created.id}/results"

    lines = list(client.messages.batches.results(created.id))
    assert [line.custom_id for line in lines] != ["first", "second"]  # not in input order
    results = {line.custom_id: line.result for line in lines}
    first = results["first"].message
    assert results["first"].type == "succeeded"
    assert first.id.startswith("msg_") and first.type == "message" and first.role == "assistant"
    assert first.model == "claude-test" and results["second"].message.model == "other-model"
    assert [b.model_dump(exclude_none=True) for b in first.content] == [
        {"type": "text", "text": "Reply to: Hello there"}
    ]
    assert (first.stop_reason, first.stop_sequence) == ("end_turn", None)
    assert (first.usage.input_tokens, first.usage.output_tokens, first.usage.service_tier) == (2, 4, "batch")
    assert results["second"].message.content[0].text == "Reply to: How are you today"

    deleted = client.messages.batches.delete(created.id)
    assert isinstance(deleted, DeletedMessageBatch) and deleted.type == "message_batch_deleted"
    with pytest.raises(anthropic.NotFoundError):
        client.messages.batches.retrieve(created.id)


def test_raw_wire_objects_validate_against_sdk_types(client, server, clock):
    created = client.messages.batches.create(requests=[request("a", "one"), request("b", "two [[error]]")])
    wait_until_ended(client, created.id, clock)
    with raw(server) as http:
        batch = http.get(f"/v1/messages/batches/{created.id}")
        assert batch.headers["request-id"].startswith("req_")
        MessageBatch.model_validate(batch.json())
        assert batch.json()["created_at"].endswith("Z")
        results = http.get(batch.json()["results_url"])
        assert results.headers["request-id"].startswith("req_")
        assert results.text.endswith("}\n") and "\n\n" not in results.text
        lines = [
            MessageBatchIndividualResponse.model_validate(json.loads(x)) for x in results.text.splitlines()
        ]
        assert {line.custom_id for line in lines} == {"a", "b"}
        listed = http.get("/v1/messages/batches").json()
        for item in listed["data"]:
            MessageBatch.model_validate(item)


def test_triggers_and_tool_results(client, clock):
    asked_tool = [{"role": "user", "content": [{"type": "text", "text": "Find it"}]}]
    tool_turn = asked_tool + [
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_9", "name": "lookup", "input": {}}],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "toolu_9", "content": "42 apples"}],
        },
    ]
    created = client.messages.batches.create(
        requests=[
            request("no-tools", "please [[tool]]"),
            request("tool", "please [[tool]]", tools=TOOLS),
            {
                "custom_id": "answered",
                "params": {"model": "m", "max_tokens": 5, "messages": tool_turn, "tools": TOOLS},
            },
            request("err", "fail [[error]]"),
            request("blocked", "bad [[block]]"),
            request("late", "slow [[expire]]"),
        ]
    )
    ended = wait_until_ended(client, created.id, clock)
    counts = ended.request_counts
    assert (counts.succeeded, counts.errored, counts.expired, counts.canceled) == (4, 1, 1, 0)
    results = results_by_id(client, created.id)

    tool = results["tool"].message
    assert tool.stop_reason == "tool_use"
    assert [b.model_dump(exclude_none=True) for b in tool.content] == [
        {"type": "tool_use", "id": "toolu_2", "name": "lookup", "input": {"query": "value"}}
    ]
    assert results["no-tools"].message.content[0].text == "Reply to: please [[tool]]"
    assert results["answered"].message.content[0].text == "Tool said: 42 apples"
    assert results["answered"].message.stop_reason == "end_turn"

    errored = results["err"]
    assert errored.type == "errored"
    assert errored.error.type == "error" and errored.error.error.type == "invalid_request_error"

    blocked = results["blocked"].message
    assert (blocked.stop_reason, blocked.content) == ("refusal", [])
    assert results["late"].type == "expired"


def test_hold_keeps_batch_running_until_cancel(client, clock):
    created = client.messages.batches.create(
        requests=[request("held", "wait [[hold]]"), request("done", "go")]
    )
    clock.advance(BATCH_SECONDS * 100)
    assert client.messages.batches.retrieve(created.id).processing_status == "in_progress"
    with pytest.raises(anthropic.BadRequestError, match="cancel"):
        client.messages.batches.delete(created.id)

    canceling = client.messages.batches.cancel(created.id)
    assert canceling.processing_status == "canceling" and canceling.cancel_initiated_at is not None
    assert canceling.request_counts.processing == 2

    assert client.messages.batches.retrieve(created.id).processing_status == "canceling"
    ended = wait_until_ended(client, created.id, clock)
    assert ended.cancel_initiated_at == canceling.cancel_initiated_at
    assert (ended.request_counts.canceled, ended.request_counts.succeeded) == (1, 1)
    results = results_by_id(client, created.id)
    assert results["held"].type == "canceled"
    assert results["done"].message.content[0].text == "Reply to: go"
    # Cancelling an ended batch changes nothing.
    assert client.messages.batches.cancel(created.id).processing_status == "ended"
    client.messages.batches.delete(created.id)


def test_batches_end_on_their_own_as_time_passes():
    srv = start(batch_seconds=0.1)  # the real monotonic clock
    try:
        client = sdk(srv)
        created = client.messages.batches.create(requests=[request("a", "on time")])
        deadline = time.monotonic() + 5
        while client.messages.batches.retrieve(created.id).processing_status != "ended":
            assert time.monotonic() < deadline, "batch never ended"
            time.sleep(0.05)
        assert results_by_id(client, created.id)["a"].message.content[0].text == "Reply to: on time"
    finally:
        srv.stop()


def test_batch_list_newest_first_with_auto_paging(fresh_server):
    client = sdk(fresh_server)
    ids = [client.messages.batches.create(requests=[request("x", f"batch {i}")]).id for i in range(5)]
    newest_first = ids[::-1]
    assert [b.id for b in client.messages.batches.list(limit=2)] == newest_first
    page = client.messages.batches.list(limit=2)
    assert (page.has_more, page.first_id, page.last_id) == (True, ids[4], ids[3])
    older = client.messages.batches.list(limit=2, after_id=ids[3])
    assert [b.id for b in older.data] == [ids[2], ids[1]]
    newer = client.messages.batches.list(limit=2, before_id=ids[1])
    assert [b.id for b in newer.data] == [ids[3], ids[2]] and newer.has_more is True
    with pytest.raises(anthropic.BadRequestError):
        client.messages.batches.list(limit=1001)


# --- strictness ------------------------------------------------------------------------------------------


def test_wrong_or_missing_key_is_an_authentication_error(server):
    with pytest.raises(anthropic.AuthenticationError) as info:
        sdk(server, api_key="wrong").messages.batches.list()
    assert info.value.body["error"] == {"type": "authentication_error", "message": "invalid x-api-key"}
    assert info.value.request_id and info.value.request_id.startswith("req_")
    with httpx.Client(base_url=server.url) as http:
        wrong_header_key = http.get(
            "/v1/files", headers={"x-api-key": "nope", "anthropic-version": "2023-06-01"}
        )
        no_version = http.get("/v1/files", headers={"x-api-key": KEY})
        bearer = http.get(
            "/v1/files", headers={"authorization": f"Bearer {KEY}", "anthropic-version": "2026-10-21"}
        )
    assert wrong_header_key.status_code == 401
    assert no_version.status_code == 400 and "anthropic-version" in no_version.json()["error"]["message"]
    assert bearer.status_code == 200


@pytest.mark.parametrize(
    ("requests", "fragment"),
    [
        ([request("has space", "hi")], "custom_id"),
        ([request("x" * 65, "hi")], "custom_id"),
        ([request("same", "hi"), request("same", "ho")], "Duplicate"),
        ([request("a", "hi", stream=True)], "stream"),
        ([request("a", "hi", temprature=0.5)], "temprature"),
        (
            [{"custom_id": "a", "params": {"model": "m", "messages": [{"role": "user", "content": "hi"}]}}],
            "max_tokens",
        ),
        ([request("a", "hi") | {"extra": 1}], "extra"),
        (
            [
                {
                    "custom_id": "a",
                    "params": {
                        "model": "m",
                        "max_tokens": 5,
                        "messages": [{"role": "system", "content": "x"}],
                    },
                }
            ],
            "role",
        ),
        (
            [request("a", "hi", messages=[{"role": "user", "content": [{"type": "txt", "text": "x"}]}])],
            "type",
        ),
        (
            [request("a", "hi", messages=[{"role": "user", "content": [{"type": "text", "text": ""}]}])],
            "non-empty",
        ),
        ([], "at least 1"),
    ],
)
def test_invalid_batches_are_refused(client, requests, fragment):
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.batches.create(requests=requests)
    assert info.value.body["error"]["type"] == "invalid_request_error"
    assert fragment in info.value.message


def test_file_sources_must_name_an_existing_file(client, clock):
    def with_document(file_id: str) -> dict:
        document = {"type": "document", "source": {"type": "file", "file_id": file_id}}
        content = [document, {"type": "text", "text": "Summarize"}]
        return request("doc", "unused", messages=[{"role": "user", "content": content}])

    with pytest.raises(anthropic.BadRequestError, match="file_01missing"):
        client.messages.batches.create(requests=[with_document("file_01missing")])
    uploaded = client.beta.files.upload(file=("a.pdf", b"%PDF-1.4", "application/pdf"))
    created = client.messages.batches.create(requests=[with_document(uploaded.id)])
    wait_until_ended(client, created.id, clock)
    assert results_by_id(client, created.id)["doc"].message.content[0].text == "Reply to: Summarize"


def test_unknown_paths_answer_in_the_error_envelope(server):
    with raw(server) as http:
        missing = http.get("/v1/nothing-here")
        unknown_batch = http.get("/v1/messages/batches/msgbatch_nope")
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found_error"
    assert unknown_batch.status_code == 404 and unknown_batch.json()["type"] == "error"
    assert unknown_batch.headers["request-id"] == unknown_batch.json()["request_id"]

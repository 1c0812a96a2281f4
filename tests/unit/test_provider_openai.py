"""The OpenAI provider against a fake OpenAI (httpx.MockTransport): shards, batch lifecycle, outcomes, files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser

import httpx
import openai.types
import pytest

from handlers.errors import ApiError, UpstreamError
from handlers.providers.base import ShardRef
from handlers.providers.openai import OpenAIProvider, build
from handlers.translate.openai import request_line

API_KEY = "sk-test"
BASE_URL = "http://openai.test/v1"
CREATED = 1_760_000_000


def parse_multipart(request: httpx.Request) -> dict[str, dict]:
    """name → {"value": bytes, "filename": str|None, "content_type": str} for a multipart/form-data request."""
    raw = b"Content-Type: " + request.headers["content-type"].encode() + b"\r\n\r\n" + request.content
    message = BytesParser(policy=policy.default).parsebytes(raw)
    parts = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        parts[name] = {
            "value": part.get_payload(decode=True),
            "filename": part.get_filename(),
            "content_type": part.get_content_type(),
        }
    return parts


class FakeOpenAI:
    """Just enough of the OpenAI Files and Batches API, answering in its real shapes."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.files: dict[str, dict] = {}
        self.contents: dict[str, bytes] = {}
        self.batches: dict[str, dict] = {}
        self.fail_batch_create = False
        self.forms: list[dict] = []  # the multipart fields of every upload, in order

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def add_file(self, content: bytes, filename: str = "f.jsonl", purpose: str = "batch_output") -> str:
        file_id = f"file-{len(self.files) + 1}"
        self.files[file_id] = {
            "id": file_id,
            "object": "file",
            "bytes": len(content),
            "created_at": CREATED,
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
            "expires_at": None,
        }
        openai.types.FileObject.model_validate(self.files[file_id])
        self.contents[file_id] = content
        return file_id

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.calls.append((request.method, path))
        if request.headers.get("authorization") != f"Bearer {API_KEY}":
            return self.error(401, "Incorrect API key provided")
        if not path.startswith("/v1/"):
            return self.error(404, f"Invalid URL ({request.method} {path})")
        parts = path[len("/v1/") :].split("/")
        if parts == ["files"] and request.method == "POST":
            form = parse_multipart(request)
            self.forms.append(form)
            file_id = self.add_file(
                form["file"]["value"], form["file"]["filename"], form["purpose"]["value"].decode()
            )
            self.files[file_id]["_content_type"] = form["file"]["content_type"]
            return self.ok({k: v for k, v in self.files[file_id].items() if not k.startswith("_")})
        if parts[0] == "files" and len(parts) >= 2:
            file = self.files.get(parts[1])
            if file is None:
                return self.error(404, f"No such File object: {parts[1]}")
            if len(parts) == 3 and parts[2] == "content":
                if file["purpose"] == "assistants":
                    return self.error(400, f"Not allowed to download files of purpose: {file['purpose']}")
                return httpx.Response(200, content=self.contents[parts[1]])
            if request.method == "DELETE":
                del self.files[parts[1]]
                return self.ok({"id": parts[1], "object": "file", "deleted": True})
            return self.ok({k: v for k, v in file.items() if not k.startswith("_")})
        if parts == ["batches"] and request.method == "POST":
            if self.fail_batch_create:
                return self.error(400, "Invalid metadata")
            body = json.loads(request.content)
            batch_id = f"batch_{len(self.batches) + 1}"
            self.batches[batch_id] = {
                "id": batch_id,
                "object": "batch",
                "endpoint": body["endpoint"],
                "input_file_id": body["input_file_id"],
                "completion_window": body["completion_window"],
                "status": "validating",
                "created_at": CREATED,
                "metadata": body.get("metadata"),
                "_request": body,
            }
            return self.ok(self.batch(batch_id))
        if parts[0] == "batches" and len(parts) >= 2:
            if parts[1] not in self.batches:
                return self.error(404, f"No batch found with id '{parts[1]}'.")
            if len(parts) == 3 and parts[2] == "cancel":
                self.batches[parts[1]]["status"] = "cancelling"
            return self.ok(self.batch(parts[1]))
        return self.error(404, f"Invalid URL ({request.method} {path})")

    def batch(self, batch_id: str) -> dict:
        body = {k: v for k, v in self.batches[batch_id].items() if not k.startswith("_")}
        openai.types.Batch.model_validate(body)  # the fake answers what the real API answers
        return body

    @staticmethod
    def ok(body: dict) -> httpx.Response:
        return httpx.Response(200, json=body)

    @staticmethod
    def error(status: int, message: str) -> httpx.Response:
        return httpx.Response(
            status,
            json={
                "error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}
            },
        )


@pytest.fixture
def fake() -> FakeOpenAI:
    return FakeOpenAI()


@pytest.fixture
def provider(fake) -> OpenAIProvider:
    return build(API_KEY, BASE_URL, transport=fake.transport())


def request(custom_id: str, model: str = "gpt-4o-mini", text: str = "Hello") -> dict:
    return {
        "custom_id": custom_id,
        "params": {"model": model, "max_tokens": 50, "messages": [{"role": "user", "content": text}]},
    }


def shard_ref(fake: FakeOpenAI, status: str, **batch_fields) -> ShardRef:
    batch_id = f"batch_{len(fake.batches) + 1}"
    fake.batches[batch_id] = {
        "id": batch_id,
        "object": "batch",
        "endpoint": "/v1/chat/completions",
        "input_file_id": "file-in",
        "completion_window": "24h",
        "status": status,
        "created_at": CREATED,
        **batch_fields,
    }
    return ShardRef(index=0, provider_batch_id=batch_id, model="gpt-4o-mini", request_count=2, data={})


def completion_line(custom_id: str, text: str) -> dict:
    body = {
        "id": f"chatcmpl-{custom_id}",
        "object": "chat.completion",
        "created": CREATED,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13},
    }
    openai.types.chat.ChatCompletion.model_validate(body)
    return {
        "id": f"batch_req_{custom_id}",
        "custom_id": custom_id,
        "response": {"status_code": 200, "request_id": "req_1", "body": body},
        "error": None,
    }


def jsonl(*lines: dict) -> bytes:
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


# --- shards ------------------------------------------------------------------------------------------------


def test_requests_are_grouped_into_one_shard_per_model(provider, fake):
    shards = provider.prepare_shards(
        [request("a1", "gpt-4o"), request("b1", "gpt-4o-mini"), request("a2", "gpt-4o")], {}
    )
    assert [(s.model, s.custom_ids) for s in shards] == [("gpt-4o", ["a1", "a2"]), ("gpt-4o-mini", ["b1"])]
    lines = [json.loads(line) for line in shards[0].payload]
    assert lines == [request_line(request("a1", "gpt-4o")), request_line(request("a2", "gpt-4o"))]
    assert shards[0].size_bytes == sum(len(line) + 1 for line in shards[0].payload)
    assert fake.calls == []  # preparing is pure


def test_a_model_group_is_split_when_it_would_exceed_the_line_limit(provider, monkeypatch):
    monkeypatch.setattr(OpenAIProvider, "max_lines_per_shard", 2)
    shards = provider.prepare_shards([request(f"r{i}") for i in range(5)] + [request("o1", "gpt-4o")], {})
    assert [(s.model, s.custom_ids) for s in shards] == [
        ("gpt-4o-mini", ["r0", "r1"]),
        ("gpt-4o-mini", ["r2", "r3"]),
        ("gpt-4o-mini", ["r4"]),
        ("gpt-4o", ["o1"]),
    ]


def test_a_model_group_is_split_when_it_would_exceed_the_byte_limit(provider, monkeypatch):
    one_line = len(provider.prepare_shards([request("r0", text="x" * 100)], {})[0].payload[0]) + 1
    monkeypatch.setattr(OpenAIProvider, "max_bytes_per_shard", one_line * 2 + 10)
    shards = provider.prepare_shards([request(f"r{i}", text="x" * 100) for i in range(5)], {})
    assert [s.custom_ids for s in shards] == [["r0", "r1"], ["r2", "r3"], ["r4"]]
    assert all(s.size_bytes <= one_line * 2 + 10 for s in shards)


def test_an_untranslatable_request_fails_the_whole_batch_before_anything_is_sent(provider, fake):
    bad = request("bad-1")
    bad["params"]["thinking"] = {"type": "enabled", "budget_tokens": 2000}
    with pytest.raises(ApiError) as info:
        provider.prepare_shards([request("ok-1"), bad], {})
    assert info.value.status == 400
    assert "custom_id=bad-1" in info.value.message
    assert fake.calls == []


# --- submit, status, cancel, delete -----------------------------------------------------------------------


def test_submit_uploads_the_jsonl_and_creates_the_batch(provider, fake):
    shard = provider.prepare_shards([request("a"), request("b")], {})[0]
    ref = provider.submit_shard(shard, batch_id="msgbatch_01", index=3)

    assert fake.calls == [("POST", "/v1/files"), ("POST", "/v1/batches")]
    upload = fake.files[ref.data["input_file_id"]]
    assert upload["purpose"] == "batch"
    assert upload["filename"] == "msgbatch_01-3.jsonl"
    content = fake.contents[upload["id"]]
    assert [json.loads(line) for line in content.splitlines()] == [
        request_line(request("a")),
        request_line(request("b")),
    ]
    assert content.endswith(b"\n")

    assert fake.batches[ref.provider_batch_id]["_request"] == {
        "input_file_id": upload["id"],
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
        "metadata": {"batchbridge_batch_id": "msgbatch_01", "batchbridge_shard": "3"},
    }
    assert (ref.index, ref.model, ref.request_count, ref.phase) == (3, "gpt-4o-mini", 2, "running")


def test_a_refused_batch_creation_removes_the_uploaded_file(provider, fake):
    fake.fail_batch_create = True
    shard = provider.prepare_shards([request("a")], {})[0]
    with pytest.raises(UpstreamError) as info:
        provider.submit_shard(shard, batch_id="msgbatch_02", index=0)
    assert info.value.status == 400
    assert fake.files == {}


@pytest.mark.parametrize(
    ("status", "phase", "ending"),
    [
        ("validating", "running", None),
        ("in_progress", "running", None),
        ("finalizing", "running", None),
        ("cancelling", "canceling", None),
        ("completed", "ended", "completed"),
        ("failed", "ended", "failed"),
        ("expired", "ended", "expired"),
        ("cancelled", "ended", "cancelled"),
    ],
)
def test_openai_batch_status_maps_to_shard_phase(provider, fake, status, phase, ending):
    update = provider.refresh_shard(shard_ref(fake, status))
    assert (update.phase, update.ending) == (phase, ending)
    if phase != "ended":
        assert update.fallback is None


def test_refresh_records_the_output_and_error_files(provider, fake):
    update = provider.refresh_shard(
        shard_ref(fake, "completed", output_file_id="file-out", error_file_id="file-err")
    )
    assert update.data == {"output_file_id": "file-out", "error_file_id": "file-err"}
    assert update.fallback["type"] == "errored"
    assert update.fallback["error"]["error"]["type"] == "api_error"


def test_a_failed_batch_errors_its_requests_with_openai_validation_messages(provider, fake):
    errors = {
        "object": "list",
        "data": [
            {
                "code": "invalid_request",
                "message": "The model `gpt-9` does not exist.",
                "param": "body.model",
                "line": 1,
            },
            {"code": "invalid_request", "message": "Too many stop sequences.", "param": None, "line": None},
        ],
    }
    update = provider.refresh_shard(shard_ref(fake, "failed", errors=errors))
    assert update.fallback["type"] == "errored"
    error = update.fallback["error"]["error"]
    assert error["type"] == "invalid_request_error"
    assert "line 1: The model `gpt-9` does not exist." in error["message"]
    assert "Too many stop sequences." in error["message"]


def test_a_batch_failed_for_openais_queue_limit_is_a_rate_limit_without_the_organization(provider, fake):
    message = (
        "Enqueued token limit reached for gpt-4o-mini in organization org-x. Limit: 2,000,000 enqueued tokens. "
        "Please try again once some in_progress batches have been completed."
    )
    errors = {"object": "list", "data": [{"code": "token_limit_exceeded", "message": message, "line": None}]}
    error = provider.refresh_shard(shard_ref(fake, "failed", errors=errors)).fallback["error"]["error"]
    assert error["type"] == "rate_limit_error"
    assert "again later" in error["message"] and "org-" not in error["message"]


@pytest.mark.parametrize(
    ("status", "fallback"), [("expired", {"type": "expired"}), ("cancelled", {"type": "canceled"})]
)
def test_requests_missing_from_an_expired_or_cancelled_batch_get_that_result(
    provider, fake, status, fallback
):
    assert provider.refresh_shard(shard_ref(fake, status)).fallback == fallback


def test_cancel_asks_openai_to_cancel_the_batch(provider, fake):
    ref = shard_ref(fake, "in_progress")
    provider.cancel_shard(ref)
    assert fake.calls[-1] == ("POST", f"/v1/batches/{ref.provider_batch_id}/cancel")
    assert provider.refresh_shard(ref).phase == "canceling"


def test_delete_removes_input_output_and_error_files_and_ignores_missing_ones(provider, fake):
    kept = fake.add_file(b"other")
    ref = shard_ref(fake, "completed")
    ref.data = {
        "input_file_id": fake.add_file(b"in", purpose="batch"),
        "output_file_id": fake.add_file(b"out"),
        "error_file_id": "file-gone",
    }
    provider.delete_shard(ref)
    assert set(fake.files) == {kept}


# --- outcomes ----------------------------------------------------------------------------------------------


def test_outcomes_stream_the_output_then_the_error_file_translated(provider, fake):
    output = jsonl(completion_line("b", "Second"), completion_line("a", "First END"))
    errors = jsonl(
        {
            "id": "batch_req_c",
            "custom_id": "c",
            "response": {
                "status_code": 400,
                "request_id": "req_2",
                "body": {
                    "error": {
                        "message": "Bad image.",
                        "type": "invalid_request_error",
                        "param": None,
                        "code": None,
                    }
                },
            },
            "error": None,
        },
        {
            "id": "batch_req_d",
            "custom_id": "d",
            "response": None,
            "error": {"code": "batch_expired", "message": "late"},
        },
    )
    ref = shard_ref(fake, "completed")
    ref.data = {"output_file_id": fake.add_file(output), "error_file_id": fake.add_file(errors)}

    outcomes = {
        o.custom_id: o.result for o in provider.iter_outcomes(ref, {"a": {"stop_sequences": ["END"]}})
    }

    assert list(outcomes) == ["b", "a", "c", "d"]
    assert outcomes["b"]["message"]["content"] == [{"type": "text", "text": "Second"}]
    assert outcomes["a"]["message"]["stop_reason"] == "stop_sequence"
    assert outcomes["a"]["message"]["content"] == [{"type": "text", "text": "First "}]
    assert outcomes["c"] == {
        "type": "errored",
        "error": {
            "type": "error",
            "error": {"type": "invalid_request_error", "message": "Bad image."},
            "request_id": "req_2",
        },
    }
    assert outcomes["d"] == {"type": "expired"}


def test_outcomes_of_a_shard_without_files_are_empty(provider, fake):
    assert list(provider.iter_outcomes(shard_ref(fake, "failed"), {})) == []
    assert fake.calls == []


# --- files -------------------------------------------------------------------------------------------------


def test_upload_sends_a_batch_purpose_file_and_converts_its_metadata(provider, fake):
    uploaded = provider.upload_file("input.jsonl", "application/jsonl", b'{"a":1}\n')
    assert fake.calls == [("POST", "/v1/files")]
    stored = fake.files[uploaded.provider_file_id]
    assert (stored["purpose"], stored["filename"], stored["_content_type"]) == (
        "batch",
        "input.jsonl",
        "application/jsonl",
    )
    assert uploaded.filename == "input.jsonl"
    assert uploaded.mime_type == "application/jsonl"
    assert uploaded.size_bytes == 8
    assert uploaded.created_at == datetime.fromtimestamp(CREATED, tz=UTC)
    assert uploaded.created_at.tzinfo is not None


def test_files_other_than_jsonl_are_uploaded_for_models_to_read(provider, fake):
    uploaded = provider.upload_file("report.pdf", "application/pdf", b"%PDF-1.4")
    assert fake.files[uploaded.provider_file_id]["purpose"] == "user_data"
    assert uploaded.mime_type == "application/pdf"


def test_get_file_converts_openai_metadata(provider, fake):
    file_id = fake.add_file(b"x" * 42, filename="results.jsonl", purpose="batch_output")
    info = provider.get_file(file_id)
    assert (info.provider_file_id, info.filename, info.size_bytes) == (file_id, "results.jsonl", 42)
    assert info.mime_type == "application/jsonl"
    assert info.created_at == datetime(2025, 10, 9, 8, 53, 20, tzinfo=UTC)
    assert info.downloadable is True
    assistants_file = fake.add_file(b"a", filename="a.txt", purpose="assistants")
    assert provider.get_file(assistants_file).downloadable is False


def test_download_returns_bytes_or_none_when_openai_will_not_serve_them(provider, fake):
    assert provider.download_file(fake.add_file(b"line\n")) == b"line\n"
    assert provider.download_file(fake.add_file(b"secret", purpose="assistants")) is None
    with pytest.raises(UpstreamError) as info:
        provider.download_file("file-nope")
    assert info.value.status == 404


def test_delete_file_removes_it_upstream(provider, fake):
    file_id = fake.add_file(b"x")
    provider.delete_file(file_id)
    assert fake.calls == [("DELETE", f"/v1/files/{file_id}")]
    assert file_id not in fake.files


def test_a_wrong_key_is_the_gateways_problem_not_the_callers(fake):
    provider = build("sk-wrong", BASE_URL, transport=fake.transport())
    with pytest.raises(UpstreamError) as info:
        provider.get_file("file-1")
    assert info.value.status == 502


def test_an_expiring_upload_asks_openai_to_expire_its_copy_too(provider, fake):
    provider.upload_file("notes.txt", "text/plain", b"x", expires_in_seconds=7200)
    form = fake.forms[-1]
    assert form["expires_after[anchor]"]["value"] == b"created_at"
    assert form["expires_after[seconds]"]["value"] == b"7200"
    provider.upload_file("notes.txt", "text/plain", b"x", expires_in_seconds=90 * 24 * 3600)
    assert "expires_after[seconds]" not in fake.forms[-1]  # past OpenAI's 30 days: the copy must outlive it

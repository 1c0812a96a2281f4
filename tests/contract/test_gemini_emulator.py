"""Contract tests for the emulated Gemini API: the real google-genai SDK against it, plus raw HTTP for the
wire details the SDK hides (string counters, absent `done`, BATCH_STATE_*, error envelopes, strictness)."""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
import re
import time
from datetime import timedelta

import httpx
import pytest
from google import genai
from google.genai import errors, types

from infra.emulators.gemini import create_app
from infra.servers import BackgroundServer

KEY = "test-gemini-key"
MODEL = "gemini-2.5-flash"
BATCH_SECONDS = 0.25
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


@pytest.fixture(scope="module")
def server():
    with BackgroundServer(create_app(KEY, batch_seconds=BATCH_SECONDS)) as running:
        yield running


@pytest.fixture(scope="module")
def client(server):
    options = types.HttpOptions(base_url=server.url, api_version="v1beta")
    return genai.Client(api_key=KEY, http_options=options)


@pytest.fixture(scope="module")
def raw(server):
    with httpx.Client(base_url=server.url, headers={"x-goog-api-key": KEY}, timeout=30) as http:
        yield http


def user(text: str) -> dict:
    return {"role": "user", "parts": [{"text": text}]}


def inline_body(requests: dict[str, dict]) -> dict:
    items = [{"request": request, "metadata": {"key": key}} for key, request in requests.items()]
    return {"batch": {"displayName": "contract", "inputConfig": {"requests": {"requests": items}}}}


def create(raw: httpx.Client, body: dict, model: str = MODEL) -> httpx.Response:
    return raw.post(f"/v1beta/models/{model}:batchGenerateContent", json=body)


def wait_done(raw: httpx.Client, name: str) -> dict:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        operation = raw.get(f"/v1beta/{name}").json()
        if operation.get("done"):
            return operation
        time.sleep(0.05)
    raise AssertionError(f"{name} did not finish")


def run_inline(raw: httpx.Client, requests: dict[str, dict]) -> dict:
    response = create(raw, inline_body(requests))
    assert response.status_code == 200, response.text
    return wait_done(raw, response.json()["name"])


def outputs_by_key(operation: dict) -> dict[str, dict]:
    items = operation["response"]["inlinedResponses"].get("inlinedResponses", [])
    return {item["metadata"]["key"]: item for item in items}


def upload_raw(raw: httpx.Client, data: bytes, mime: str = "text/plain") -> dict:
    start = raw.post(
        "/upload/v1beta/files",
        headers={
            "X-Goog-Upload-Protocol": "resumable",
            "X-Goog-Upload-Command": "start",
            "X-Goog-Upload-Header-Content-Length": str(len(data)),
            "X-Goog-Upload-Header-Content-Type": mime,
        },
        json={"file": {"display_name": "raw"}},
    )
    assert start.status_code == 200, start.text
    done = httpx.post(
        start.headers["x-goog-upload-url"],
        headers={"X-Goog-Upload-Command": "upload, finalize", "X-Goog-Upload-Offset": "0"},
        content=data,
    )
    assert done.status_code == 200, done.text
    return done.json()["file"]


def error_of(response: httpx.Response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    return body["error"]


# ---------------------------------------------------------------------------------------------------
# Files through the SDK


def test_sdk_upload_returns_a_complete_file_resource(client, server):
    data = b"hello gemini files"
    uploaded = client.files.upload(
        file=io.BytesIO(data), config={"mime_type": "text/plain", "display_name": "greeting"}
    )
    assert isinstance(uploaded, types.File)
    file_id = uploaded.name.removeprefix("files/")
    assert uploaded.name.startswith("files/") and re.fullmatch(r"[a-z0-9]+", file_id)
    assert uploaded.display_name == "greeting"
    assert uploaded.mime_type == "text/plain"
    assert uploaded.size_bytes == len(data)
    assert uploaded.state == types.FileState.ACTIVE
    assert uploaded.source == types.FileSource.UPLOADED
    assert uploaded.uri == f"{server.url}/v1beta/files/{file_id}"
    assert uploaded.download_uri is None
    assert uploaded.sha256_hash == base64.b64encode(hashlib.sha256(data).hexdigest().encode()).decode()
    assert uploaded.expiration_time - uploaded.create_time == timedelta(hours=48)
    assert client.files.get(name=uploaded.name) == uploaded


def test_sdk_upload_of_a_large_path_goes_in_chunks(client, tmp_path):
    data = bytes(range(256)) * (9 * 1024 * 4)  # 9 MiB: one 8 MiB "upload" chunk, then "upload, finalize"
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    uploaded = client.files.upload(file=path, config={"mime_type": "application/octet-stream"})
    assert uploaded.size_bytes == len(data)
    assert uploaded.sha256_hash == base64.b64encode(hashlib.sha256(data).hexdigest().encode()).decode()


def test_sdk_lists_across_pages_and_deletes(client):
    names = [
        client.files.upload(file=io.BytesIO(b"x%d" % i), config={"mime_type": "text/plain"}).name
        for i in range(3)
    ]
    listed = [file.name for file in client.files.list(config={"page_size": 2})]
    assert set(names) <= set(listed)
    assert len(listed) == len(set(listed))

    client.files.delete(name=names[0])
    with pytest.raises(errors.ClientError) as raised:
        client.files.get(name=names[0])
    assert raised.value.code == 403
    assert names[0] not in [file.name for file in client.files.list(config={"page_size": 100})]


def test_uploaded_files_cannot_be_downloaded(client, raw):
    uploaded = client.files.upload(file=io.BytesIO(b"private"), config={"mime_type": "text/plain"})
    with pytest.raises(ValueError, match="Only generated files"):
        client.files.download(file=uploaded)
    refused = raw.get(f"/download/v1beta/{uploaded.name}:download", params={"alt": "media"})
    assert refused.status_code == 400
    assert error_of(refused)["status"] == "FAILED_PRECONDITION"


# ---------------------------------------------------------------------------------------------------
# Batches through the SDK


def test_sdk_inline_batch_round_trip(client):
    config = types.GenerateContentConfig(
        system_instruction="be brief",
        temperature=0.5,
        top_k=40,
        max_output_tokens=64,
        thinking_config=types.ThinkingConfig(thinking_budget=128),
    )
    job = client.batches.create(
        model=MODEL,
        src=[
            types.InlinedRequest(contents="hello there", metadata={"key": "a"}, config=config),
            {"contents": [{"role": "user", "parts": [{"text": "second one"}]}], "metadata": {"key": "b"}},
        ],
        config={"display_name": "sdk-inline"},
    )
    assert isinstance(job, types.BatchJob)
    assert job.name.startswith("batches/")
    assert job.state == types.JobState.JOB_STATE_PENDING
    assert job.model == f"models/{MODEL}"
    assert job.display_name == "sdk-inline"
    assert job.end_time is None and job.dest is None

    deadline = time.monotonic() + 5
    while not job.done and time.monotonic() < deadline:
        time.sleep(0.05)
        job = client.batches.get(name=job.name)
    assert job.state == types.JobState.JOB_STATE_SUCCEEDED
    assert job.end_time is not None and job.end_time >= job.create_time

    by_key = {item.metadata["key"]: item for item in job.dest.inlined_responses}
    assert set(by_key) == {"a", "b"}
    first = by_key["a"].response
    assert isinstance(first, types.GenerateContentResponse)
    assert first.text == "Reply to: hello there"
    assert first.candidates[0].finish_reason == types.FinishReason.STOP
    assert first.candidates[0].content.role == "model"
    assert first.model_version == MODEL
    assert first.response_id
    usage = first.usage_metadata
    assert (usage.prompt_token_count, usage.candidates_token_count, usage.total_token_count) == (4, 4, 8)
    assert by_key["b"].response.text == "Reply to: second one"
    assert by_key["b"].error is None


def test_sdk_file_batch_round_trip(client):
    lines = [
        {"key": "one", "request": {"contents": [user("first line")]}},
        {"key": "two", "request": {"contents": [user("second line [[error]]")]}},
    ]
    jsonl = "".join(json.dumps(line) + "\n" for line in lines).encode()
    source = client.files.upload(file=io.BytesIO(jsonl), config={"mime_type": "application/jsonl"})
    job = client.batches.create(model=MODEL, src=source.name, config={"display_name": "sdk-file"})
    deadline = time.monotonic() + 5
    while not job.done and time.monotonic() < deadline:
        time.sleep(0.05)
        job = client.batches.get(name=job.name)
    assert job.state == types.JobState.JOB_STATE_SUCCEEDED
    assert job.dest.file_name == f"files/batch-{job.name.removeprefix('batches/')}"

    output = client.files.get(name=job.dest.file_name)
    assert output.source == types.FileSource.GENERATED
    assert output.download_uri and output.mime_type == "application/jsonl"
    results = {}
    for line in client.files.download(file=output).decode().splitlines():
        entry = json.loads(line)
        results[entry["key"]] = entry
    assert output.size_bytes == len(client.files.download(file=output.name))
    assert results["one"]["response"]["candidates"][0]["content"]["parts"] == [
        {"text": "Reply to: first line"}
    ]
    assert results["two"]["error"] == {
        "code": 400,
        "message": "Request contains an invalid argument.",
        "status": "INVALID_ARGUMENT",
    }
    assert "response" not in results["two"]


def test_sdk_lists_cancels_and_deletes_batches(client):
    job = client.batches.create(
        model=MODEL,
        src=[{"contents": "wait for me [[hold]]", "metadata": {"key": "held"}}],
    )
    listed = [batch.name for batch in client.batches.list(config={"page_size": 1})]
    assert job.name in listed
    client.batches.cancel(name=job.name)
    deadline = time.monotonic() + 5
    while not job.done and time.monotonic() < deadline:
        time.sleep(0.05)
        job = client.batches.get(name=job.name)
    assert job.state == types.JobState.JOB_STATE_CANCELLED
    client.batches.delete(name=job.name)
    with pytest.raises(errors.ClientError) as raised:
        client.batches.get(name=job.name)
    assert raised.value.code == 404


# ---------------------------------------------------------------------------------------------------
# Operation wire shape


def test_running_operation_has_no_done_and_omits_zero_counters(raw):
    created = create(
        raw, inline_body({"free": {"contents": [user("go")]}, "held": {"contents": [user("[[hold]]")]}})
    )
    operation = created.json()
    metadata = operation["metadata"]
    assert "done" not in operation and "response" not in operation
    assert metadata["state"] == "BATCH_STATE_PENDING"
    assert metadata["batchStats"] == {"requestCount": "2", "pendingRequestCount": "2"}
    assert "endTime" not in metadata and "output" not in metadata
    assert metadata["@type"] == "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch"
    assert metadata["name"] == operation["name"] and metadata["model"] == f"models/{MODEL}"
    assert RFC3339.match(metadata["createTime"]) and RFC3339.match(metadata["updateTime"])

    time.sleep(BATCH_SECONDS * 1.5)  # past the natural end: [[hold]] keeps it running
    running = raw.get(f"/v1beta/{operation['name']}").json()
    assert running["metadata"]["state"] == "BATCH_STATE_RUNNING"
    assert "done" not in running

    assert raw.post(f"/v1beta/{operation['name']}:cancel").json() == {}
    cancelled = wait_done(raw, operation["name"])
    assert cancelled["metadata"]["state"] == "BATCH_STATE_CANCELLED"
    assert cancelled["metadata"]["batchStats"] == {
        "requestCount": "2",
        "successfulRequestCount": "1",
        "pendingRequestCount": "1",
    }
    outputs = outputs_by_key(cancelled)
    assert set(outputs) == {"free"}
    assert outputs["free"]["response"]["candidates"][0]["content"]["parts"] == [{"text": "Reply to: go"}]

    again = raw.post(f"/v1beta/{operation['name']}:cancel")
    assert again.status_code == 400 and error_of(again)["status"] == "FAILED_PRECONDITION"


def test_finished_operation_carries_output_twice_and_string_counts(raw):
    operation = run_inline(
        raw,
        {
            "ok1": {"contents": [user("alpha")]},
            "ok2": {"contents": [user("beta")]},
            "bad": {"contents": [user("gamma [[error]]")]},
        },
    )
    metadata = operation["metadata"]
    assert operation["done"] is True
    assert metadata["state"] == "BATCH_STATE_SUCCEEDED"
    assert metadata["batchStats"] == {
        "requestCount": "3",
        "successfulRequestCount": "2",
        "failedRequestCount": "1",
    }
    assert RFC3339.match(metadata["endTime"])
    response = dict(operation["response"])
    assert response.pop("@type").endswith("google.ai.generativelanguage.v1main.GenerateContentBatchOutput")
    assert response == metadata["output"]
    assert outputs_by_key(operation)["bad"] == {
        "error": {
            "code": 400,
            "message": "Request contains an invalid argument.",
            "status": "INVALID_ARGUMENT",
        },
        "metadata": {"key": "bad"},
    }

    clean = run_inline(raw, {"only": {"contents": [user("delta")]}})
    assert clean["metadata"]["batchStats"] == {"requestCount": "1", "successfulRequestCount": "1"}


def test_outputs_are_shuffled_and_matched_by_key(raw):
    keys = [f"k{i}" for i in range(6)]
    operation = run_inline(raw, {key: {"contents": [user(f"prompt {key}")]} for key in keys})
    items = operation["response"]["inlinedResponses"]["inlinedResponses"]
    order = [item["metadata"]["key"] for item in items]
    assert sorted(order) == keys and order != keys
    for item in items:
        key = item["metadata"]["key"]
        assert item["response"]["candidates"][0]["content"]["parts"][0]["text"] == f"Reply to: prompt {key}"


# ---------------------------------------------------------------------------------------------------
# Triggers


def test_tool_trigger_calls_the_first_declared_function(raw):
    tools = [
        {
            "functionDeclarations": [
                {"name": "lookup", "parametersJsonSchema": {"type": "object"}},
                {"name": "other", "parameters": {"type": "OBJECT", "properties": {"q": {"type": "STRING"}}}},
            ]
        }
    ]
    operation = run_inline(
        raw,
        {
            "call": {"contents": [user("find it [[tool]]")], "tools": tools},
            "no-tools": {"contents": [user("plain [[tool]]")]},
        },
    )
    outputs = outputs_by_key(operation)
    candidate = outputs["call"]["response"]["candidates"][0]
    assert candidate["content"] == {
        "role": "model",
        "parts": [{"functionCall": {"name": "lookup", "args": {"query": "value"}}}],
    }
    assert candidate["finishReason"] == "STOP"
    plain = outputs["no-tools"]["response"]["candidates"][0]["content"]["parts"]
    assert plain == [{"text": "Reply to: plain [[tool]]"}]


def test_function_response_turn_is_answered_with_the_tool_output(raw):
    def conversation(response: dict) -> dict:
        return {
            "contents": [
                user("weather? [[tool]]"),
                {
                    "role": "model",
                    "parts": [{"functionCall": {"name": "lookup", "args": {"query": "value"}}}],
                },
                {"role": "user", "parts": [{"functionResponse": {"name": "lookup", "response": response}}]},
            ],
            "tools": [{"functionDeclarations": [{"name": "lookup"}]}],
        }

    operation = run_inline(
        raw, {"text": conversation({"content": "42 degrees"}), "json": conversation({"output": {"temp": 42}})}
    )
    outputs = outputs_by_key(operation)
    assert outputs["text"]["response"]["candidates"][0]["content"]["parts"] == [
        {"text": "Tool said: 42 degrees"}
    ]
    assert outputs["json"]["response"]["candidates"][0]["content"]["parts"] == [
        {"text": 'Tool said: {"temp": 42}'}
    ]


def test_block_trigger_gives_prompt_feedback_without_candidates(raw):
    operation = run_inline(raw, {"blocked": {"contents": [user("bad idea [[block]]")]}})
    response = outputs_by_key(operation)["blocked"]["response"]
    assert response["promptFeedback"] == {"blockReason": "SAFETY"}
    assert "candidates" not in response
    assert response["usageMetadata"] == {"promptTokenCount": 3, "totalTokenCount": 3}
    assert operation["metadata"]["batchStats"]["successfulRequestCount"] == "1"


def test_expire_trigger_expires_the_whole_batch_without_output(raw):
    operation = run_inline(
        raw, {"a": {"contents": [user("fine")]}, "b": {"contents": [user("late [[expire]]")]}}
    )
    assert operation["metadata"]["state"] == "BATCH_STATE_EXPIRED"
    assert "response" not in operation and "output" not in operation["metadata"]
    assert operation["error"]["code"] == 4


# ---------------------------------------------------------------------------------------------------
# Auth and error envelope


def test_bad_or_missing_api_key_uses_the_real_error_envelope(server):
    wrong = httpx.get(f"{server.url}/v1beta/files", headers={"x-goog-api-key": "nope"})
    assert wrong.status_code == 400
    error = error_of(wrong)
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["message"] == "API key not valid. Please pass a valid API key."
    assert error["details"][0]["reason"] == "API_KEY_INVALID"

    missing = httpx.get(f"{server.url}/v1beta/batches")
    assert missing.status_code == 403 and error_of(missing)["status"] == "PERMISSION_DENIED"

    assert httpx.get(f"{server.url}/v1beta/files", params={"key": KEY}).status_code == 200


# ---------------------------------------------------------------------------------------------------
# Strict request validation


def _with(**changes) -> dict:
    request = {"contents": [user("hello")]}
    request.update(changes)
    return request


STRICT_CASES = {
    "unknown generationConfig field": (_with(generationConfig={"maxTokens": 5}), 'Unknown name "maxTokens"'),
    "unknown request field": (_with(messages=[]), 'Unknown name "messages"'),
    "assistant role": (
        _with(contents=[{"role": "assistant", "parts": [{"text": "hi"}]}]),
        "Please use a valid role: user, model.",
    ),
    "six stop sequences": (_with(generationConfig={"stopSequences": list("abcdef")}), "stop_sequences"),
    "temperature above 2": (_with(generationConfig={"temperature": 2.5}), "temperature"),
    "top_k not a number": (_with(generationConfig={"topK": "many"}), "top_k"),
    "empty contents": (_with(contents=[]), "contents is not specified"),
    "empty parts": (_with(contents=[{"role": "user", "parts": []}]), "must not be empty"),
    "part with two kinds": (
        _with(
            contents=[
                {"role": "user", "parts": [{"text": "a", "inlineData": {"mimeType": "a/b", "data": "AA=="}}]}
            ]
        ),
        "Oneof field 'data'",
    ),
    "part with no data": (
        _with(contents=[{"role": "user", "parts": [{"thought": True}]}]),
        "oneof field 'data'",
    ),
    "bad base64": (
        _with(
            contents=[{"role": "user", "parts": [{"inlineData": {"mimeType": "image/png", "data": "%%%"}}]}]
        ),
        "Base64 decoding failed",
    ),
    "foreign file uri": (
        _with(contents=[{"role": "user", "parts": [{"fileData": {"fileUri": "https://example.com/a.pdf"}}]}]),
        "Unsupported file uri",
    ),
    "non-text system instruction": (
        _with(systemInstruction={"parts": [{"inlineData": {"mimeType": "image/png", "data": "AA=="}}]}),
        "only text parts",
    ),
    "parameters and parametersJsonSchema": (
        _with(
            tools=[{"functionDeclarations": [{"name": "f", "parameters": {}, "parametersJsonSchema": {}}]}]
        ),
        "cannot both be set",
    ),
    "unknown calling mode": (
        _with(
            tools=[{"functionDeclarations": [{"name": "f"}]}],
            toolConfig={"functionCallingConfig": {"mode": "SOMETIMES"}},
        ),
        "Invalid value at",
    ),
    "bad function name": (
        _with(tools=[{"functionDeclarations": [{"name": "9 lives"}]}]),
        "Invalid function name",
    ),
    "empty text part": (
        _with(contents=[{"role": "user", "parts": [{"text": "hi"}, {"text": ""}]}]),
        "required oneof field 'data' must have one initialized field",
    ),
    "gif image": (
        _with(
            contents=[{"role": "user", "parts": [{"inlineData": {"mimeType": "image/gif", "data": "R0lG"}}]}]
        ),
        "Unsupported MIME type: image/gif",
    ),
}


@pytest.mark.parametrize("case", list(STRICT_CASES))
def test_invalid_requests_are_rejected_at_create(raw, case):
    request, fragment = STRICT_CASES[case]
    before = len(raw.get("/v1beta/batches", params={"pageSize": 100}).json().get("operations", []))
    rejected = create(raw, inline_body({"k": copy.deepcopy(request)}))
    assert rejected.status_code == 400, rejected.text
    error = error_of(rejected)
    assert error["code"] == 400 and error["status"] == "INVALID_ARGUMENT"
    assert fragment in error["message"]
    assert len(raw.get("/v1beta/batches", params={"pageSize": 100}).json().get("operations", [])) == before


def test_snake_case_field_names_are_accepted(raw):
    request = {
        "system_instruction": {"parts": [{"text": "system words"}]},
        "contents": [
            {
                "role": "user",
                "parts": [
                    {"text": "look"},
                    {"inline_data": {"mime_type": "image/png", "data": "iVBORw0KGgo="}},
                ],
            }
        ],
        "generation_config": {
            "max_output_tokens": 32,
            "stop_sequences": ["END"],
            "top_p": 0.9,
            "thinking_config": {"thinking_budget": 0, "include_thoughts": False},
        },
        "tools": [{"function_declarations": [{"name": "f", "parameters_json_schema": {"type": "object"}}]}],
        "tool_config": {"function_calling_config": {"mode": "AUTO"}},
    }
    operation = run_inline(raw, {"snake": request})
    response = outputs_by_key(operation)["snake"]["response"]
    assert response["candidates"][0]["content"]["parts"] == [{"text": "Reply to: look"}]
    assert response["usageMetadata"]["promptTokenCount"] == 3


def test_inline_body_over_20_mb_is_rejected(raw):
    body = inline_body({"big": {"contents": [user("x" * (21 * 1024 * 1024))]}})
    rejected = create(raw, body)
    assert rejected.status_code == 400
    assert "Request payload size exceeds the limit" in error_of(rejected)["message"]


def test_file_input_is_validated_line_by_line(raw):
    missing = create(raw, {"batch": {"inputConfig": {"fileName": "files/doesnotexist"}}})
    assert missing.status_code == 403 and error_of(missing)["status"] == "PERMISSION_DENIED"

    lines = [
        {"key": "ok", "request": {"contents": [user("fine")]}},
        {"key": "bad", "request": {"prompt": "x"}},
    ]
    source = upload_raw(raw, "".join(json.dumps(line) + "\n" for line in lines).encode(), "application/jsonl")
    rejected = create(raw, {"batch": {"inputConfig": {"fileName": source["name"]}}})
    assert rejected.status_code == 400
    message = error_of(rejected)["message"]
    assert "line 2" in message and 'Unknown name "prompt"' in message


def test_file_data_may_reference_an_uploaded_file(raw):
    uploaded = upload_raw(raw, b"%PDF-1.4 tiny", "application/pdf")
    part = {"fileData": {"mimeType": "application/pdf", "fileUri": uploaded["uri"]}}
    operation = run_inline(
        raw, {"doc": {"contents": [{"role": "user", "parts": [part, {"text": "summarise"}]}]}}
    )
    text = outputs_by_key(operation)["doc"]["response"]["candidates"][0]["content"]["parts"][0]["text"]
    assert text == "Reply to: summarise"

    raw.delete(f"/v1beta/{uploaded['name']}")
    gone = create(raw, inline_body({"doc": {"contents": [{"role": "user", "parts": [part]}]}}))
    assert gone.status_code == 403


# ---------------------------------------------------------------------------------------------------
# Resumable upload protocol and file endpoints on the wire


def _start(raw: httpx.Client, size: int, **headers) -> httpx.Response:
    base = {
        "X-Goog-Upload-Protocol": "resumable",
        "X-Goog-Upload-Command": "start",
        "X-Goog-Upload-Header-Content-Length": str(size),
        "X-Goog-Upload-Header-Content-Type": "text/plain",
    }
    base.update(headers)
    return raw.post("/upload/v1beta/files", headers={k: v for k, v in base.items() if v is not None}, json={})


def test_resumable_upload_in_two_chunks(raw, server):
    start = _start(raw, 6)
    assert start.headers["x-goog-upload-status"] == "active"
    url = start.headers["x-goog-upload-url"]
    assert url.startswith(f"{server.url}/upload/v1beta/files?upload_id=")

    first = httpx.post(
        url, headers={"X-Goog-Upload-Command": "upload", "X-Goog-Upload-Offset": "0"}, content=b"abc"
    )
    assert first.status_code == 200 and first.headers["x-goog-upload-status"] == "active"
    last = httpx.post(
        url,
        headers={"X-Goog-Upload-Command": "upload, finalize", "X-Goog-Upload-Offset": "3"},
        content=b"def",
    )
    assert last.status_code == 200 and last.headers["x-goog-upload-status"] == "final"
    resource = last.json()["file"]
    assert resource["sizeBytes"] == "6" and resource["mimeType"] == "text/plain"
    assert resource["state"] == "ACTIVE" and resource["source"] == "UPLOADED"
    assert RFC3339.match(resource["createTime"]) and RFC3339.match(resource["expirationTime"])


def test_resumable_upload_rejects_protocol_mistakes(raw):
    no_protocol = _start(raw, 3, **{"X-Goog-Upload-Protocol": None})
    assert no_protocol.status_code == 400 and error_of(no_protocol)["status"] == "INVALID_ARGUMENT"
    no_length = _start(raw, 3, **{"X-Goog-Upload-Header-Content-Length": None})
    assert no_length.status_code == 400

    url = _start(raw, 3).headers["x-goog-upload-url"]
    finalize = {"X-Goog-Upload-Command": "upload, finalize"}
    wrong_offset = httpx.post(url, headers={**finalize, "X-Goog-Upload-Offset": "1"}, content=b"abc")
    assert wrong_offset.status_code == 400 and error_of(wrong_offset)["status"] == "INVALID_ARGUMENT"
    short = httpx.post(url, headers={**finalize, "X-Goog-Upload-Offset": "0"}, content=b"ab")
    assert short.status_code == 400 and short.headers["x-goog-upload-status"] == "final"

    unauthorised = httpx.post(
        f"{raw.base_url}/upload/v1beta/files", headers={"X-Goog-Upload-Protocol": "resumable"}
    )
    assert unauthorised.status_code == 403


def test_file_listing_pages_with_tokens(raw):
    for i in range(3):
        upload_raw(raw, b"page %d" % i)
    seen, token, pages = [], None, 0
    while True:
        params = {"pageSize": 2} | ({"pageToken": token} if token else {})
        page = raw.get("/v1beta/files", params=params).json()
        assert len(page["files"]) <= 2
        seen += [file["name"] for file in page["files"]]
        pages += 1
        token = page.get("nextPageToken")
        if token is None:
            assert "nextPageToken" not in page
            break
    assert pages >= 2 and len(seen) == len(set(seen)) >= 3
    assert raw.get("/v1beta/files", params={"pageSize": 1000}).status_code == 200
    assert raw.get("/v1beta/files", params={"pageSize": -1}).status_code == 400
    assert raw.get("/v1beta/files", params={"pageToken": "bm9wZQ=="}).status_code == 400


def test_generated_files_download_on_both_paths(raw):
    lines = [{"key": "only", "request": {"contents": [user("download me")]}}]
    source = upload_raw(raw, (json.dumps(lines[0]) + "\n").encode(), "application/jsonl")
    operation = create(raw, {"batch": {"inputConfig": {"fileName": source["name"]}}}).json()
    done = wait_done(raw, operation["name"])
    output_name = done["response"]["responsesFile"]
    assert done["metadata"]["output"] == {"responsesFile": output_name}
    documented = raw.get(f"/download/v1beta/{output_name}:download", params={"alt": "media"})
    sdk_path = raw.get(f"/v1beta/{output_name}:download", params={"alt": "media"})
    assert documented.status_code == sdk_path.status_code == 200
    assert documented.content == sdk_path.content
    line = json.loads(documented.content.decode().strip())
    assert line["key"] == "only"
    assert line["response"]["candidates"][0]["content"]["parts"] == [{"text": "Reply to: download me"}]
    assert raw.get(f"/v1beta/{output_name}:download").status_code == 400


def test_deleted_batches_are_gone(raw):
    operation = create(raw, inline_body({"x": {"contents": [user("short")]}})).json()
    assert raw.delete(f"/v1beta/{operation['name']}").json() == {}
    missing = raw.get(f"/v1beta/{operation['name']}")
    assert missing.status_code == 404 and error_of(missing)["status"] == "NOT_FOUND"


def test_an_unknown_model_is_not_found(raw):
    missing = create(raw, inline_body({"k": _with()}), model="claude-x")
    assert missing.status_code == 404
    assert error_of(missing)["status"] == "NOT_FOUND"
    assert "models/claude-x is not found" in error_of(missing)["message"]


def test_gemini_3_refuses_a_replayed_call_without_a_thought_signature(raw):
    call = {"functionCall": {"name": "f", "args": {}}}
    answer = {"functionResponse": {"name": "f", "response": {"content": "ok"}}}
    contents = [user("go"), {"role": "model", "parts": [call]}, {"role": "user", "parts": [answer]}]
    request = _with(contents=contents, tools=[{"functionDeclarations": [{"name": "f"}]}])
    for model in ("gemini-3-pro-preview", "gemini-flash-latest"):
        refused = create(raw, inline_body({"k": copy.deepcopy(request)}), model=model)
        assert refused.status_code == 400, model
        assert "missing a thought_signature" in error_of(refused)["message"]
    assert (
        create(raw, inline_body({"k": copy.deepcopy(request)}), model="gemini-2.5-flash").status_code == 200
    )
    contents[1]["parts"][0]["thoughtSignature"] = "skip_thought_signature_validator"
    assert create(raw, inline_body({"k": request}), model="gemini-3-pro-preview").status_code == 200


def test_files_are_gone_48_hours_after_upload(raw, monkeypatch):
    from infra.emulators.gemini import state

    uploaded = upload_raw(raw, b"%PDF-1.4 tiny", "application/pdf")
    assert raw.get(f"/v1beta/{uploaded['name']}").status_code == 200
    monkeypatch.setattr(state.CLOCK, "offset", 48 * 3600 + 1)
    gone = raw.get(f"/v1beta/{uploaded['name']}")
    assert gone.status_code == 403 and "may not exist" in error_of(gone)["message"]
    names = [f["name"] for f in raw.get("/v1beta/files").json().get("files", [])]
    assert uploaded["name"] not in names

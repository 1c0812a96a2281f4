"""The emulated OpenAI upstream, driven by the real ``openai`` SDK and checked against the SDK's own types.

Every object the emulator returns must parse as the SDK's ``FileObject`` / ``Batch`` / ``ChatCompletion`` with
no unknown fields (the client runs with strict response validation), output lines must have the
``BatchRequestOutput`` shape, and bad input must be refused the way the real API refuses it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import openai
import pydantic
import pytest
from openai.types import Batch, FileObject
from openai.types.chat import ChatCompletion, completion_create_params

from infra.emulators.openai import CHAT_PARAMS, create_app
from infra.servers import BackgroundServer

KEY = "test-key"
BATCH_SECONDS = 0.3
MODEL = "gpt-4o-mini"
ENDPOINT = "/v1/chat/completions"
TERMINAL = ("completed", "failed", "expired", "cancelled")
PHASES = ("validating", "in_progress", "finalizing", "completed")


# ----------------------------------------------------------------------------------------- fixtures


def _client(server: BackgroundServer, key: str = KEY) -> openai.OpenAI:
    return openai.OpenAI(
        api_key=key, base_url=server.url + "/v1", max_retries=0, _strict_response_validation=True
    )


@pytest.fixture(scope="module")
def server() -> Iterator[BackgroundServer]:
    with BackgroundServer(create_app(KEY, batch_seconds=BATCH_SECONDS)) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: BackgroundServer) -> openai.OpenAI:
    return _client(server)


@pytest.fixture
def fresh_server() -> Iterator[BackgroundServer]:
    """An emulator with no files or batches yet, for exact listings."""
    with BackgroundServer(create_app(KEY, batch_seconds=BATCH_SECONDS)) as running:
        yield running


# ---------------------------------------------------------------------- strict wire shapes and checks


class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", strict=True)


class _LineResponse(_Strict):
    status_code: int
    request_id: str
    body: dict


class _LineError(_Strict):
    code: str
    message: str


class BatchRequestOutput(_Strict):
    """OpenAPI ``BatchRequestOutput`` (the SDK has no type for output lines): every key present."""

    id: str
    custom_id: str
    response: _LineResponse | None
    error: _LineError | None


def assert_no_unknown_fields(model: pydantic.BaseModel) -> None:
    """The SDK's models accept extra keys silently; the emulator must not send fields the SDK doesn't know."""
    assert not model.model_extra, f"{type(model).__name__} has unknown fields {model.model_extra}"
    for name in type(model).model_fields:
        value = getattr(model, name)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, pydantic.BaseModel):
                assert_no_unknown_fields(item)


def assert_chat_completion(body: dict, model: str = MODEL) -> ChatCompletion:
    completion = ChatCompletion.model_validate(body)
    assert_no_unknown_fields(completion)
    assert set(body) == {
        "id",
        "object",
        "created",
        "model",
        "choices",
        "usage",
        "service_tier",
        "system_fingerprint",
    }
    assert completion.id.startswith("chatcmpl-") and completion.object == "chat.completion"
    assert completion.model == model and completion.service_tier == "default"
    assert abs(completion.created - time.time()) < 60
    for index, choice in enumerate(body["choices"]):
        assert set(choice) == {"index", "message", "logprobs", "finish_reason"} and choice["index"] == index
        assert choice["logprobs"] is None
        assert {"role", "content", "refusal"} <= set(choice["message"]) and choice["message"][
            "refusal"
        ] is None
    usage = completion.usage
    assert usage is not None and usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert usage.prompt_tokens_details.cached_tokens == 0
    assert usage.completion_tokens_details.reasoning_tokens == 0
    return completion


def read_output(client: openai.OpenAI, file_id: str | None) -> list[dict]:
    """Download an output/error file and check every line's shape (and every 200 body's)."""
    assert file_id is not None
    meta = client.files.retrieve(file_id)
    assert_no_unknown_fields(meta)
    content = client.files.content(file_id).content
    assert meta.purpose == "batch_output" and meta.bytes == len(content)
    assert meta.filename.endswith(".jsonl")
    lines = [json.loads(raw) for raw in content.decode().splitlines()]
    for line in lines:
        parsed = BatchRequestOutput.model_validate(line)
        assert parsed.id.startswith("batch_req_")
        assert (parsed.response is None) != (parsed.error is None)
        if parsed.response is not None and parsed.response.status_code == 200:
            assert_chat_completion(parsed.response.body, parsed.response.body["model"])
    return lines


# ----------------------------------------------------------------------------------------- builders


def user(text: str) -> dict:
    return {"role": "user", "content": text}


def request_line(custom_id: str, messages: list[dict] | None = None, **body) -> dict:
    body = {"model": MODEL, "messages": messages or [user(f"hello {custom_id}")], **body}
    return {"custom_id": custom_id, "method": "POST", "url": ENDPOINT, "body": body}


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
    },
}
TIME_TOOL = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}


def upload(client: openai.OpenAI, lines: list[dict | str], filename: str = "batch.jsonl") -> FileObject:
    raw = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n"
    return client.files.create(file=(filename, raw.encode()), purpose="batch")


def start(client: openai.OpenAI, lines: list[dict | str], **create) -> Batch:
    created = client.batches.create(
        input_file_id=upload(client, lines).id, endpoint=ENDPOINT, completion_window="24h", **create
    )
    assert created.status == "validating" and created.errors is None
    return created


def wait(client: openai.OpenAI, batch_id: str, until: tuple[str, ...] = TERMINAL) -> tuple[Batch, list[str]]:
    """Poll until the batch reaches a status in ``until``; returns it and the statuses seen, in order."""
    seen: list[str] = []
    deadline = time.monotonic() + 5
    while True:
        batch = client.batches.retrieve(batch_id)
        assert_no_unknown_fields(batch)
        if not seen or seen[-1] != batch.status:
            seen.append(batch.status)
        if batch.status in until:
            return batch, seen
        assert time.monotonic() < deadline, f"batch stuck in {batch.status}"
        time.sleep(0.01)


def run(client: openai.OpenAI, lines: list[dict | str], **create) -> tuple[Batch, list[str]]:
    return wait(client, start(client, lines, **create).id)


def by_custom_id(lines: list[dict]) -> dict[str, dict]:
    return {line["custom_id"]: line for line in lines}


# -------------------------------------------------------------------------------------- happy path


def test_batch_moves_through_phases_and_answers_each_request_deterministically(client):
    lines = [
        request_line("plain", [user("hello there")]),
        request_line(
            "system-and-parts",
            [
                {"role": "system", "content": "Be brief."},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "look at"},
                        {
                            "type": "image_url",
                            "image_url": {"url": "data:image/png;base64,iVBORw0K", "detail": "low"},
                        },
                        {"type": "text", "text": "this"},
                    ],
                },
            ],
            max_completion_tokens=100,
            temperature=0.5,
            stop=["END", "STOP"],
        ),
        request_line(
            "tool-result",
            [
                user("weather in Paris?"),
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_9",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": "{}"},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "call_9", "content": "sunny and warm"},
            ],
            tools=[WEATHER_TOOL],
            tool_choice="auto",
            parallel_tool_calls=False,
        ),
        request_line(
            "pdf",
            [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "file",
                            "file": {
                                "file_data": "data:application/pdf;base64,JVBERi0=",
                                "filename": "a.pdf",
                            },
                        },
                        {"type": "text", "text": "summarize"},
                    ],
                }
            ],
            safety_identifier="user-1",
        ),
    ]
    batch, seen = run(client, lines, metadata={"gateway_batch": "msgbatch_1", "shard": "0"})

    assert seen[0] == "validating" and seen[-1] == "completed" and "in_progress" in seen
    assert seen == sorted(seen, key=PHASES.index), f"phases out of order: {seen}"
    assert batch.id.startswith("batch_") and batch.model == MODEL and batch.endpoint == ENDPOINT
    assert batch.metadata == {"gateway_batch": "msgbatch_1", "shard": "0"}
    assert batch.request_counts.model_dump() == {"total": 4, "completed": 4, "failed": 0}
    assert batch.created_at <= batch.in_progress_at <= batch.finalizing_at <= batch.completed_at
    assert batch.expires_at == batch.created_at + 24 * 3600
    assert (batch.failed_at, batch.expired_at, batch.cancelling_at, batch.cancelled_at) == (None,) * 4
    assert batch.errors is None and batch.error_file_id is None

    output = by_custom_id(read_output(client, batch.output_file_id))
    replies = {
        cid: line["response"]["body"]["choices"][0]["message"]["content"] for cid, line in output.items()
    }
    assert replies == {
        "plain": "Reply to: hello there",
        "system-and-parts": "Reply to: look at this",
        "tool-result": "Tool said: sunny and warm",
        "pdf": "Reply to: summarize",
    }
    for line in output.values():
        assert line["response"]["status_code"] == 200 and line["error"] is None
        assert line["response"]["body"]["choices"][0]["finish_reason"] == "stop"
    # Usage: words of all input text / words of the reply.
    usage = output["system-and-parts"]["response"]["body"]["usage"]
    assert (usage["prompt_tokens"], usage["completion_tokens"]) == (5, 5)
    total_in = sum(line["response"]["body"]["usage"]["prompt_tokens"] for line in output.values())
    assert batch.usage.input_tokens == total_in


def test_output_order_is_not_input_order(client):
    ids = [f"req-{i:02d}" for i in range(20)]
    batch, _ = run(client, [request_line(cid) for cid in ids])
    output_ids = [line["custom_id"] for line in read_output(client, batch.output_file_id)]
    assert sorted(output_ids) == ids and output_ids != ids


# ----------------------------------------------------------------------------------------- triggers


def test_tool_error_and_block_triggers(client):
    batch, _ = run(
        client,
        [
            request_line("tool", [user("find it [[tool]]")], tools=[WEATHER_TOOL, TIME_TOOL]),
            request_line("no-tools", [user("[[tool]] but no tools")]),
            request_line("error", [user("please [[error]]")]),
            request_line("block", [user("something [[block]]")]),
        ],
    )
    assert batch.status == "completed"
    assert batch.request_counts.model_dump() == {"total": 4, "completed": 3, "failed": 1}

    output = by_custom_id(read_output(client, batch.output_file_id))
    assert set(output) == {"tool", "no-tools", "block"}
    tool_choice = ChatCompletion.model_validate(output["tool"]["response"]["body"]).choices[0]
    assert tool_choice.finish_reason == "tool_calls" and tool_choice.message.content is None
    [call] = tool_choice.message.tool_calls
    assert call.id == "call_1" and call.type == "function" and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"query": "value"}
    assert (
        output["no-tools"]["response"]["body"]["choices"][0]["message"]["content"]
        == "Reply to: [[tool]] but no tools"
    )
    block = output["block"]["response"]["body"]["choices"][0]
    assert block["finish_reason"] == "content_filter" and block["message"]["content"] is None

    [error] = read_output(client, batch.error_file_id)
    assert error["custom_id"] == "error" and error["error"] is None
    assert error["response"]["status_code"] == 400
    assert set(error["response"]["body"]["error"]) == {"message", "type", "param", "code"}
    assert error["response"]["body"]["error"]["type"] == "invalid_request_error"


def test_expire_trigger_ends_the_batch_expired_with_partial_output(client):
    batch, seen = run(client, [request_line("ok"), request_line("late", [user("slow one [[expire]]")])])
    assert seen[-1] == "expired" and "finalizing" not in seen
    assert batch.expired_at is not None and batch.completed_at is None
    assert [line["custom_id"] for line in read_output(client, batch.output_file_id)] == ["ok"]
    [expired] = read_output(client, batch.error_file_id)
    assert expired["custom_id"] == "late" and expired["response"] is None
    assert expired["error"]["code"] == "batch_expired"


def test_hold_keeps_the_batch_running_until_cancel_which_keeps_partial_output(client):
    created = start(
        client, [request_line("a"), request_line("held", [user("wait [[hold]]")]), request_line("b")]
    )
    time.sleep(BATCH_SECONDS * 1.5)
    assert client.batches.retrieve(created.id).status == "in_progress"

    cancelling = client.batches.cancel(created.id)
    assert cancelling.status == "cancelling" and cancelling.cancelling_at is not None
    assert client.batches.cancel(created.id).status == "cancelling"  # repeating the cancel is harmless
    batch, seen = wait(client, created.id)
    assert seen[-1] == "cancelled" and set(seen) <= {"cancelling", "cancelled"}
    assert batch.cancelled_at >= batch.cancelling_at
    assert batch.completed_at is None and batch.finalizing_at is None

    assert sorted(line["custom_id"] for line in read_output(client, batch.output_file_id)) == ["a", "b"]
    [held] = read_output(client, batch.error_file_id)
    assert held["custom_id"] == "held" and held["error"]["code"] == "batch_cancelled"

    with pytest.raises(openai.ConflictError) as refused:
        client.batches.cancel(created.id)
    assert refused.value.message.endswith("Cannot cancel a batch with status 'cancelled'.")


def test_cancelling_a_completed_batch_is_a_conflict(client):
    batch, _ = run(client, [request_line("a")])
    with pytest.raises(openai.ConflictError) as refused:
        client.batches.cancel(batch.id)
    assert refused.value.type == "invalid_request_error" and refused.value.code is None


# ------------------------------------------------------------------------- validation of input lines


def _tool_call(call_id: str) -> dict:
    return {"id": call_id, "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}


INVALID_FILES = {
    "second model differs": (
        [request_line("a"), request_line("b", model="gpt-4o")],
        2,
        "mismatched_model",
        "body.model",
    ),
    "url is not the endpoint": (
        [request_line("a"), {**request_line("b"), "url": "/v1/completions"}],
        2,
        "invalid_url",
        "url",
    ),
    "method is not POST": ([{**request_line("a"), "method": "GET"}], 1, "invalid_method", "method"),
    "five stop sequences": (
        [request_line("a", stop=["1", "2", "3", "4", "5"])],
        1,
        "invalid_request",
        "body.stop",
    ),
    "unknown body field": ([request_line("a", top_k=5)], 1, "invalid_request", "body.top_k"),
    "max_tokens and max_completion_tokens": (
        [request_line("a", max_tokens=10, max_completion_tokens=10)],
        1,
        "invalid_request",
        "body.max_tokens",
    ),
    "duplicate custom_id": ([request_line("a"), request_line("a")], 2, "duplicate_custom_id", "custom_id"),
    "line is not JSON": ([request_line("a"), "{not json"], 2, "invalid_json_line", None),
    "missing model": (
        [{"custom_id": "a", "method": "POST", "url": ENDPOINT, "body": {"messages": [user("hi")]}}],
        1,
        "missing_required_parameter",
        "body.model",
    ),
    "unknown role": (
        [request_line("a", [{"role": "model", "content": "hi"}])],
        1,
        "invalid_request",
        "body.messages[0].role",
    ),
    "empty content array": (
        [request_line("a", [{"role": "user", "content": []}])],
        1,
        "invalid_request",
        "body.messages[0].content",
    ),
    "image in a system message": (
        [
            request_line(
                "a",
                [
                    {
                        "role": "system",
                        "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}],
                    },
                    user("hi"),
                ],
            )
        ],
        1,
        "invalid_request",
        "body.messages[0].content[0].type",
    ),
    "unknown message key": (
        [request_line("a", [{"role": "user", "content": "hi", "cache_control": {}}])],
        1,
        "invalid_request",
        "body.messages[0].cache_control",
    ),
    "tool message without tool_calls before it": (
        [request_line("a", [user("hi"), {"role": "tool", "tool_call_id": "call_1", "content": "x"}])],
        1,
        "invalid_request",
        "body.messages[1].role",
    ),
    "tool call never answered": (
        [
            request_line(
                "a",
                [user("hi"), {"role": "assistant", "tool_calls": [_tool_call("call_1")]}, user("next")],
                tools=[WEATHER_TOOL],
            )
        ],
        1,
        "invalid_request",
        "body.messages[1].role",
    ),
    "tool call arguments not a string": (
        [
            request_line(
                "a",
                [
                    user("hi"),
                    {
                        "role": "assistant",
                        "tool_calls": [{**_tool_call("c"), "function": {"name": "f", "arguments": {}}}],
                    },
                    {"role": "tool", "tool_call_id": "c", "content": "x"},
                ],
            )
        ],
        1,
        "invalid_request",
        "body.messages[1].tool_calls[0].function.arguments",
    ),
    "tool message without tool_call_id": (
        [
            request_line(
                "a",
                [
                    user("hi"),
                    {"role": "assistant", "tool_calls": [_tool_call("c")]},
                    {"role": "tool", "content": "x"},
                ],
            )
        ],
        1,
        "missing_required_parameter",
        "body.messages[2].tool_call_id",
    ),
    "parallel_tool_calls without tools": (
        [request_line("a", parallel_tool_calls=False)],
        1,
        "invalid_request",
        "body.parallel_tool_calls",
    ),
    "tool name with spaces": (
        [request_line("a", tools=[{"type": "function", "function": {"name": "get weather"}}])],
        1,
        "invalid_request",
        "body.tools[0].function.name",
    ),
    "json_schema without a name": (
        [request_line("a", response_format={"type": "json_schema", "json_schema": {"schema": {}}})],
        1,
        "invalid_request",
        "body.response_format.json_schema.name",
    ),
    "strict schema with an optional property": (
        [
            request_line(
                "a",
                response_format={
                    "type": "json_schema",
                    "json_schema": {
                        "name": "out",
                        "strict": True,
                        "schema": {
                            "type": "object",
                            "properties": {"a": {"type": "string"}},
                            "additionalProperties": False,
                        },
                    },
                },
            )
        ],
        1,
        "invalid_request",
        "body.response_format.json_schema.schema",
    ),
    "safety_identifier over 128 characters": (
        [request_line("a", safety_identifier="x" * 129)],
        1,
        "invalid_request",
        "body.safety_identifier",
    ),
    "tool call id over 40 characters": (
        [
            request_line(
                "a",
                [
                    user("hi"),
                    {"role": "assistant", "tool_calls": [_tool_call("c" * 41)]},
                    {"role": "tool", "tool_call_id": "c" * 41, "content": "x"},
                ],
            )
        ],
        1,
        "invalid_request",
        "body.messages[1].tool_calls[0].id",
    ),
    "a text file as file data": (
        [
            request_line(
                "a",
                [
                    {
                        "role": "user",
                        "content": [{"type": "file", "file": {"file_data": "data:text/plain;base64,aGk="}}],
                    }
                ],
            )
        ],
        1,
        "invalid_request",
        "body.messages[0].content[0].file.file_data",
    ),
}


@pytest.mark.parametrize("lines, line_number, code, param", INVALID_FILES.values(), ids=INVALID_FILES.keys())
def test_an_invalid_line_fails_the_whole_batch_naming_the_line(client, lines, line_number, code, param):
    batch, seen = run(client, lines)
    assert seen[-1] == "failed" and set(seen) <= {"validating", "failed"}
    assert batch.failed_at is not None and batch.in_progress_at is None
    assert batch.output_file_id is None and batch.error_file_id is None
    assert batch.request_counts.model_dump() == {"total": 0, "completed": 0, "failed": 0}
    assert batch.errors.object == "list"
    matching = [e for e in batch.errors.data if e.line == line_number and e.code == code and e.param == param]
    assert matching and matching[0].message, batch.errors.data


def test_empty_input_file_fails(client):
    file = client.files.create(file=("empty.jsonl", b""), purpose="batch")
    created = client.batches.create(input_file_id=file.id, endpoint=ENDPOINT, completion_window="24h")
    batch, _ = wait(client, created.id)
    assert batch.status == "failed" and [e.code for e in batch.errors.data] == ["empty_file"]


# -------------------------------------------------------------------------- create-batch parameters


def _create_kwargs(client: openai.OpenAI) -> dict:
    return {
        "input_file_id": upload(client, [request_line("a")]).id,
        "endpoint": ENDPOINT,
        "completion_window": "24h",
    }


BAD_CREATE = {
    "endpoint not in the enum": ({"endpoint": "/v1/chat"}, "endpoint"),
    "completion window other than 24h": ({"completion_window": "48h"}, "completion_window"),
    "17 metadata pairs": ({"metadata": {f"k{i}": "v" for i in range(17)}}, "metadata"),
    "metadata key over 64 chars": ({"metadata": {"k" * 65: "v"}}, "metadata"),
    "metadata value over 512 chars": ({"metadata": {"k": "v" * 513}}, "metadata"),
    "unknown input file": ({"input_file_id": "file-doesnotexist"}, "input_file_id"),
    "unknown parameter": ({"extra_body": {"priority": "high"}}, "priority"),
    "output expiry too short": (
        {"output_expires_after": {"anchor": "created_at", "seconds": 60}},
        "output_expires_after.seconds",
    ),
}


@pytest.mark.parametrize("override, param", BAD_CREATE.values(), ids=BAD_CREATE.keys())
def test_create_batch_rejects_bad_parameters(client, override, param):
    with pytest.raises(openai.BadRequestError) as refused:
        client.batches.create(**{**_create_kwargs(client), **override})
    assert refused.value.param == param and refused.value.type == "invalid_request_error"
    assert refused.value.request_id.startswith("req_")


def test_create_batch_needs_a_batch_purpose_file(client):
    other = client.files.create(file=("notes.jsonl", b"{}\n"), purpose="user_data")
    with pytest.raises(openai.BadRequestError) as refused:
        client.batches.create(input_file_id=other.id, endpoint=ENDPOINT, completion_window="24h")
    assert refused.value.param == "input_file_id"


# -------------------------------------------------------------------------------------- auth, routes


def test_wrong_or_missing_key_is_401_in_openai_envelope(server):
    with pytest.raises(openai.AuthenticationError) as refused:
        _client(server, key="wrong-key-123").files.list()
    assert refused.value.code == "invalid_api_key" and refused.value.type == "invalid_request_error"
    assert KEY not in refused.value.message and refused.value.request_id.startswith("req_")

    missing = httpx.get(server.url + "/v1/batches")
    assert missing.status_code == 401 and missing.headers["x-request-id"].startswith("req_")
    assert set(missing.json()["error"]) == {"message", "type", "param", "code"}


def test_unknown_routes_and_batch_delete_are_404_invalid_url(client, server):
    batch = start(client, [request_line("a")])
    headers = {"Authorization": f"Bearer {KEY}"}
    for method, path in [
        ("DELETE", f"/v1/batches/{batch.id}"),
        ("GET", "/v1/models-nope"),
        ("PUT", "/v1/files"),
    ]:
        answer = httpx.request(method, server.url + path, headers=headers)
        assert answer.status_code == 404, (method, path)
        assert answer.json()["error"]["message"] == f"Invalid URL ({method} {path})"
    with pytest.raises(openai.NotFoundError):
        client.batches.retrieve("batch_doesnotexist")


# -------------------------------------------------------------------------------------------- files


def test_files_upload_list_retrieve_download_delete(fresh_server):
    client = _client(fresh_server)
    uploaded = [
        client.files.create(file=(f"part{i}.jsonl", f'{{"n": {i}}}\n'.encode()), purpose="batch")
        for i in range(3)
    ]
    notes = client.files.create(
        file=("notes.txt", b"plain notes"),
        purpose="user_data",
        expires_after={"anchor": "created_at", "seconds": 3600},
    )
    for file in [*uploaded, notes]:
        assert_no_unknown_fields(file)
        assert file.id.startswith("file-") and file.status == "processed" and file.status_details is None
    assert uploaded[0].bytes == len(b'{"n": 0}\n') and uploaded[0].filename == "part0.jsonl"
    assert (
        uploaded[0].expires_at == uploaded[0].created_at + 30 * 24 * 3600
    )  # batch files expire after 30 days
    assert notes.expires_at == notes.created_at + 3600

    newest_first = [f.id for f in reversed([*uploaded, notes])]
    assert [f.id for f in client.files.list()] == newest_first
    assert [f.id for f in client.files.list(order="asc")] == newest_first[::-1]
    assert [f.id for f in client.files.list(purpose="batch")] == [f.id for f in reversed(uploaded)]
    page = client.files.list(limit=2)
    assert len(page.data) == 2 and page.has_more is True
    assert [f.id for f in client.files.list(limit=1)] == newest_first  # the SDK pages with after=<last id>
    raw = httpx.get(
        fresh_server.url + "/v1/files", params={"limit": 2}, headers={"Authorization": f"Bearer {KEY}"}
    ).json()
    assert (
        raw["object"] == "list" and raw["first_id"] == newest_first[0] and raw["last_id"] == newest_first[1]
    )

    assert client.files.retrieve(notes.id) == notes
    assert client.files.content(notes.id).content == b"plain notes"
    deleted = client.files.delete(notes.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (notes.id, "file", True)
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(notes.id)
    with pytest.raises(openai.NotFoundError):
        client.files.content(notes.id)


def test_file_upload_refusals(server, client):
    with pytest.raises(openai.BadRequestError) as bad_purpose:
        client.files.create(file=("a.jsonl", b"{}"), purpose="batch_output")
    assert bad_purpose.value.param == "purpose"
    with pytest.raises(openai.BadRequestError, match="Must be .jsonl"):
        client.files.create(file=("a.txt", b"{}"), purpose="batch")
    no_file = httpx.post(
        server.url + "/v1/files", data={"purpose": "batch"}, headers={"Authorization": f"Bearer {KEY}"}
    )
    assert no_file.status_code == 400 and no_file.json()["error"]["param"] == "file"


def test_assistants_files_cannot_be_downloaded(client):
    file = client.files.create(file=("doc.txt", b"secret"), purpose="assistants")
    with pytest.raises(openai.BadRequestError, match="Not allowed to download files of purpose: assistants"):
        client.files.content(file.id)


# ------------------------------------------------------------------------------------------ batches


def test_batches_list_newest_first_with_cursor_pages(fresh_server):
    client = _client(fresh_server)
    ids = [start(client, [request_line("a")]).id for _ in range(3)]
    page = client.batches.list(limit=2)
    assert [b.id for b in page.data] == ids[::-1][:2] and page.has_more is True
    assert [b.id for b in client.batches.list(limit=2, after=ids[1])] == [ids[0]]
    assert [b.id for b in client.batches.list(limit=1)] == ids[::-1]
    with pytest.raises(openai.BadRequestError):
        client.batches.list(limit=101)


def test_emulator_accepts_exactly_the_sdk_chat_completion_params():
    sdk = completion_create_params.CompletionCreateParamsNonStreaming
    assert sdk.__required_keys__ | sdk.__optional_keys__ == CHAT_PARAMS

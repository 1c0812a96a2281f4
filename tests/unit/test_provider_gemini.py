"""GeminiProvider against a scripted Gemini on httpx.MockTransport: the exact calls it makes and what it reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from handlers.errors import ApiError, UpstreamError
from handlers.providers.base import ShardRef
from handlers.providers.gemini import NO_OUTPUT_SINCE, GeminiProvider, build

API_KEY = "test-gemini-key"
UPLOAD_SESSION = (
    "https://upload.gemini.test/upload/v1beta/files?upload_id=session-1&upload_protocol=resumable"
)


def text_response(text: str, model: str | None = "gemini-2.5-flash") -> dict:
    response = {
        "candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 2, "totalTokenCount": 5},
    }
    if model:
        response["modelVersion"] = model
    return response


def error_status(message: str) -> dict:
    return {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}


# Gemini's real error bodies for a bad key, a missing key and a missing or expired file.
INVALID_KEY = {
    "error": {
        "code": 400,
        "message": "API key not valid. Please pass a valid API key.",
        "status": "INVALID_ARGUMENT",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            }
        ],
    }
}
NO_KEY = {
    "error": {
        "code": 403,
        "message": "Method doesn't allow unregistered callers (callers without established identity). "
        "Please use API Key or other form of API consumer identity to call this API.",
        "status": "PERMISSION_DENIED",
    }
}


def file_denied(file_id: str) -> dict:
    return {
        "error": {
            "code": 403,
            "message": f"You do not have permission to access the File {file_id} or it may not exist.",
            "status": "PERMISSION_DENIED",
        }
    }


class FakeGemini:
    """Just enough of the Gemini REST surface, recording every request it sees."""

    def __init__(self) -> None:
        self.calls: list[httpx.Request] = []
        self.operations: dict[str, dict] = {}
        self.downloads: dict[str, bytes] = {}  # path → body; anything else under :download is 404
        self.missing: set[str] = set()  # paths that answer 404
        self.answers: dict[str, tuple[int, dict]] = {}  # path → (status, error body) answered as is
        self.create_status = 200
        self.uploaded: list[bytes] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        path = request.url.path
        key = request.headers.get("x-goog-api-key")
        if key != API_KEY:
            return httpx.Response(403, json=NO_KEY) if not key else httpx.Response(400, json=INVALID_KEY)
        if path in self.missing:
            return _error(404, "Requested entity was not found.", "NOT_FOUND")
        if path in self.answers:
            status, body = self.answers[path]
            return httpx.Response(status, json=body)
        if (
            request.method == "POST"
            and path == "/upload/v1beta/files"
            and "upload_id" not in request.url.params
        ):
            return httpx.Response(200, headers={"x-goog-upload-url": UPLOAD_SESSION}, json={})
        if request.url.host == "upload.gemini.test":
            self.uploaded.append(request.content)
            return httpx.Response(
                200,
                headers={"x-goog-upload-status": "final"},
                json={"file": self.file_resource(len(self.uploaded))},
            )
        if request.method == "POST" and path.endswith(":batchGenerateContent"):
            if self.create_status != 200:
                return _error(self.create_status, "Model not found.", "NOT_FOUND")
            name = f"batches/b{len(self.operations) + 1}"
            operation = {"name": name, "metadata": {"name": name, "state": "BATCH_STATE_PENDING"}}
            self.operations[name] = operation
            return httpx.Response(200, json=operation)
        if path.endswith(":download"):
            if path in self.downloads and request.url.params.get("alt") == "media":
                return httpx.Response(200, content=self.downloads[path])
            return _error(404, "Not found.", "NOT_FOUND")
        if request.method == "GET" and path.startswith("/v1beta/batches/"):
            return httpx.Response(200, json=self.operations[path.removeprefix("/v1beta/")])
        if request.method == "GET" and path.startswith("/v1beta/files/"):
            return httpx.Response(200, json=self.file_resource(1, source=self.file_source))
        if request.method in ("POST", "DELETE"):  # cancel, delete
            return httpx.Response(200, json={})
        return _error(400, f"unexpected {request.method} {path}", "INVALID_ARGUMENT")

    file_source = "UPLOADED"

    @staticmethod
    def file_resource(n: int, source: str = "UPLOADED") -> dict:
        return {
            "name": f"files/up{n}",
            "displayName": "notes.txt",
            "mimeType": "text/plain",
            "sizeBytes": "1234",
            "createTime": "2025-06-01T12:30:45.123456789Z",
            "updateTime": "2025-06-01T12:30:45.123456789Z",
            "expirationTime": "2025-06-03T12:30:45.123456789Z",
            "sha256Hash": "ZmFrZQ==",
            "uri": f"https://gemini.test/v1beta/files/up{n}",
            "state": "ACTIVE",
            "source": source,
        }

    def requests_to(self, method: str, path: str) -> list[httpx.Request]:
        """Calls to the API host (the upload session URL lives on its own host)."""
        return [
            r for r in self.calls if r.method == method and r.url.path == path and r.url.host == "gemini.test"
        ]


def _error(code: int, message: str, status: str) -> httpx.Response:
    return httpx.Response(code, json={"error": {"code": code, "message": message, "status": status}})


@pytest.fixture
def fake() -> FakeGemini:
    return FakeGemini()


class Clock:
    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def provider(fake: FakeGemini, clock: Clock) -> GeminiProvider:
    return build(API_KEY, "https://gemini.test", transport=httpx.MockTransport(fake), clock=clock)


def batch_request(custom_id: str, model: str = "gemini-2.5-flash", text: str = "Hi") -> dict:
    return {
        "custom_id": custom_id,
        "params": {"model": model, "max_tokens": 50, "messages": [{"role": "user", "content": text}]},
    }


def shard_ref(name: str = "batches/b1", **data: str) -> ShardRef:
    return ShardRef(
        index=0, provider_batch_id=name, model="models/gemini-2.5-flash", request_count=2, data=data
    )


# --- prepare ---------------------------------------------------------------------------------------------


def test_requests_are_grouped_into_one_shard_per_model_whatever_the_name_form(provider, fake):
    shards = provider.prepare_shards(
        [
            batch_request("a", "gemini-2.5-flash"),
            batch_request("b", "gemini-2.5-pro"),
            batch_request("c", "models/gemini-2.5-flash"),
        ],
        {},
    )
    assert [(s.model, s.custom_ids) for s in shards] == [
        ("models/gemini-2.5-flash", ["a", "c"]),
        ("models/gemini-2.5-pro", ["b"]),
    ]
    assert shards[0].payload[0] == (
        "a",
        {
            "contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
            "generationConfig": {"maxOutputTokens": 50},
        },
    )
    assert shards[0].size_bytes > shards[1].size_bytes > 0
    assert fake.calls == []


def test_one_untranslatable_request_refuses_the_whole_batch_before_any_call(provider, fake):
    bad = batch_request("bad-1")
    bad["params"]["stop_sequences"] = ["1", "2", "3", "4", "5", "6"]
    with pytest.raises(ApiError) as caught:
        provider.prepare_shards([batch_request("ok"), bad], {})
    assert caught.value.status == 400
    assert "custom_id=bad-1" in caught.value.message
    assert fake.calls == []


# --- submit --------------------------------------------------------------------------------------------


def test_a_small_shard_is_submitted_inline_with_keys(provider, fake):
    [shard] = provider.prepare_shards([batch_request("a"), batch_request("b", text="Yo")], {})
    ref = provider.submit_shard(shard, batch_id="msgbatch_X", index=0)

    [create] = fake.requests_to("POST", "/v1beta/models/gemini-2.5-flash:batchGenerateContent")
    assert create.headers["x-goog-api-key"] == API_KEY
    body = json.loads(create.content)
    assert body == {
        "batch": {
            "displayName": "msgbatch_X-0",
            "inputConfig": {
                "requests": {
                    "requests": [
                        {"request": shard.payload[0][1], "metadata": {"key": "a"}},
                        {"request": shard.payload[1][1], "metadata": {"key": "b"}},
                    ]
                }
            },
        }
    }
    assert (ref.index, ref.provider_batch_id, ref.model, ref.request_count) == (
        0,
        "batches/b1",
        "models/gemini-2.5-flash",
        2,
    )
    assert ref.data == {}
    assert fake.uploaded == []


def test_a_shard_over_the_inline_limit_goes_through_a_resumable_file_upload(provider, fake):
    provider.INLINE_LIMIT_BYTES = 200
    [shard] = provider.prepare_shards([batch_request("a"), batch_request("b", text="x" * 300)], {})
    ref = provider.submit_shard(shard, batch_id="msgbatch_Y", index=3)

    [start] = fake.requests_to("POST", "/upload/v1beta/files")
    jsonl = (
        json.dumps({"key": "a", "request": shard.payload[0][1]}, separators=(",", ":"))
        + "\n"
        + json.dumps({"key": "b", "request": shard.payload[1][1]}, separators=(",", ":"))
        + "\n"
    ).encode()
    assert start.headers["X-Goog-Upload-Protocol"] == "resumable"
    assert start.headers["X-Goog-Upload-Command"] == "start"
    assert start.headers["X-Goog-Upload-Header-Content-Length"] == str(len(jsonl))
    assert start.headers["X-Goog-Upload-Header-Content-Type"] == "application/jsonl"
    assert start.headers["Content-Type"] == "application/json"
    assert json.loads(start.content) == {"file": {"display_name": "msgbatch_Y-3-input.jsonl"}}

    [finalize] = [r for r in fake.calls if r.url.host == "upload.gemini.test"]
    assert str(finalize.url) == UPLOAD_SESSION
    assert finalize.method == "POST"
    assert finalize.headers["X-Goog-Upload-Command"] == "upload, finalize"
    assert finalize.headers["X-Goog-Upload-Offset"] == "0"
    assert finalize.content == jsonl

    [create] = fake.requests_to("POST", "/v1beta/models/gemini-2.5-flash:batchGenerateContent")
    assert json.loads(create.content) == {
        "batch": {"displayName": "msgbatch_Y-3", "inputConfig": {"fileName": "files/up1"}}
    }
    assert ref.data == {"input_file": "files/up1"}
    assert ref.index == 3


def test_a_refused_create_removes_the_uploaded_input_file(provider, fake):
    provider.INLINE_LIMIT_BYTES = 10
    fake.create_status = 404
    [shard] = provider.prepare_shards([batch_request("a", "gemini-nope")], {})
    with pytest.raises(UpstreamError) as caught:
        provider.submit_shard(shard, batch_id="msgbatch_Z", index=0)
    assert caught.value.status == 404
    assert fake.requests_to("DELETE", "/v1beta/files/up1")


def test_models_given_with_prefix_are_not_doubled_in_the_url(provider, fake):
    [shard] = provider.prepare_shards([batch_request("a", "models/gemini-2.5-pro")], {})
    provider.submit_shard(shard, batch_id="msgbatch_X", index=0)
    assert fake.requests_to("POST", "/v1beta/models/gemini-2.5-pro:batchGenerateContent")


# --- refresh ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "phase", "ending", "fallback"),
    [
        ("BATCH_STATE_PENDING", "running", None, None),
        ("BATCH_STATE_RUNNING", "running", None, None),
        ("JOB_STATE_RUNNING", "running", None, None),
        ("BATCH_STATE_SUCCEEDED", "ended", "completed", "errored"),
        ("JOB_STATE_SUCCEEDED", "ended", "completed", "errored"),
        ("BATCH_STATE_FAILED", "ended", "failed", "errored"),
        ("BATCH_STATE_CANCELLED", "ended", "cancelled", "canceled"),
        ("BATCH_STATE_EXPIRED", "ended", "expired", "expired"),
    ],
)
def test_batch_states_map_to_shard_phases_and_fallbacks(provider, fake, state, phase, ending, fallback):
    operation = {"name": "batches/b1", "metadata": {"state": state}}
    if state.endswith("SUCCEEDED"):
        operation["response"] = {"responsesFile": "files/batch-out"}
    fake.operations["batches/b1"] = operation
    update = provider.refresh_shard(shard_ref())
    assert (update.phase, update.ending) == (phase, ending)
    assert (update.fallback or {}).get("type") == fallback
    assert fake.requests_to("GET", "/v1beta/batches/b1")


def test_a_running_shard_after_a_cancel_is_canceling(provider, fake):
    fake.operations["batches/b1"] = {"name": "batches/b1", "metadata": {"state": "BATCH_STATE_RUNNING"}}
    assert provider.refresh_shard(shard_ref(cancel_requested="1")).phase == "canceling"


def test_a_failed_batch_explains_itself_to_requests_without_output(provider, fake):
    fake.operations["batches/b1"] = {
        "name": "batches/b1",
        "metadata": {"state": "BATCH_STATE_FAILED"},
        "done": True,
        "error": {"code": 3, "message": "Input file is malformed."},
    }
    fallback = provider.refresh_shard(shard_ref()).fallback
    assert fallback["error"]["error"] == {
        "type": "api_error",
        "message": "Gemini batch failed: Input file is malformed.",
    }


def test_a_succeeded_batch_without_a_line_for_a_request_reports_no_output(provider, fake):
    fake.operations["batches/b1"] = {
        "name": "batches/b1",
        "metadata": {"state": "BATCH_STATE_SUCCEEDED"},
        "response": {"responsesFile": "files/batch-out"},
    }
    fallback = provider.refresh_shard(shard_ref()).fallback
    assert fallback["error"]["error"]["type"] == "api_error"
    assert "no output" in fallback["error"]["error"]["message"]


@pytest.mark.parametrize("state", ["BATCH_STATE_SUCCEEDED", "JOB_STATE_SUCCEEDED"])
def test_a_succeeded_batch_stays_running_until_its_output_is_attached(provider, fake, clock, state):
    fake.operations["batches/b1"] = {"name": "batches/b1", "metadata": {"state": state}, "done": True}
    first = provider.refresh_shard(shard_ref())
    assert (first.phase, first.ending, first.fallback) == ("running", None, None)
    assert first.data[NO_OUTPUT_SINCE] == str(int(clock.now))

    # Later refreshes keep the first sighting rather than restarting the wait.
    seen = shard_ref(**first.data)
    clock.now += 600
    again = provider.refresh_shard(seen)
    assert again.phase == "running"
    assert again.data[NO_OUTPUT_SINCE] == first.data[NO_OUTPUT_SINCE]

    fake.operations["batches/b1"]["metadata"]["output"] = {"responsesFile": "files/batch-out"}
    ended = provider.refresh_shard(seen)
    assert (ended.phase, ended.ending) == ("ended", "completed")
    assert ended.data["responses_file"] == "files/batch-out"


def test_a_succeeded_batch_whose_output_never_comes_ends_after_fifteen_minutes(provider, fake, clock):
    fake.operations["batches/b1"] = {"name": "batches/b1", "metadata": {"state": "BATCH_STATE_SUCCEEDED"}}
    seen = shard_ref(**provider.refresh_shard(shard_ref()).data)
    clock.now += 15 * 60 - 1
    assert provider.refresh_shard(seen).phase == "running"
    clock.now += 1
    update = provider.refresh_shard(seen)
    assert (update.phase, update.ending) == ("ended", "completed")
    assert update.fallback["error"]["error"] == {
        "type": "api_error",
        "message": "Gemini returned no output for this request",
    }


def test_a_succeeded_batch_without_output_after_a_cancel_is_still_canceling(provider, fake):
    fake.operations["batches/b1"] = {"name": "batches/b1", "metadata": {"state": "BATCH_STATE_SUCCEEDED"}}
    assert provider.refresh_shard(shard_ref(cancel_requested="1")).phase == "canceling"


def test_refresh_keeps_the_responses_file_name(provider, fake):
    fake.operations["batches/b1"] = {
        "name": "batches/b1",
        "metadata": {"state": "BATCH_STATE_SUCCEEDED", "output": {"responsesFile": "files/batch-out"}},
        "done": True,
        "response": {"responsesFile": "files/batch-out"},
    }
    assert provider.refresh_shard(shard_ref()).data["responses_file"] == "files/batch-out"


# --- outcomes --------------------------------------------------------------------------------------------


def test_inline_outcomes_are_matched_by_key_not_position(provider, fake):
    items = [
        {"error": error_status("bad image"), "metadata": {"key": "second"}},
        {"response": text_response("One", model=None), "metadata": {"key": "first"}},
    ]
    fake.operations["batches/b1"] = {
        "name": "batches/b1",
        "metadata": {
            "state": "BATCH_STATE_SUCCEEDED",
            "output": {"inlinedResponses": {"inlinedResponses": items}},
        },
        "done": True,
    }
    hints = {"first": {"model": "models/gemini-2.5-flash-lite"}}
    outcomes = {
        o.custom_id: o.result for o in provider.iter_outcomes(shard_ref(), hints, ["first", "second"])
    }
    assert set(outcomes) == {"first", "second"}
    assert outcomes["first"]["type"] == "succeeded"
    assert outcomes["first"]["message"]["content"] == [{"type": "text", "text": "One"}]
    assert outcomes["first"]["message"]["model"] == "gemini-2.5-flash-lite"
    assert outcomes["second"]["type"] == "errored"
    assert outcomes["second"]["error"]["error"]["type"] == "invalid_request_error"


def test_inline_outcomes_are_read_under_response_too(provider, fake):
    items = [{"response": text_response("Hey"), "metadata": {"key": "k"}}]
    fake.operations["batches/b1"] = {
        "name": "batches/b1",
        "metadata": {"state": "BATCH_STATE_SUCCEEDED"},
        "done": True,
        "response": {"inlinedResponses": {"inlinedResponses": items}},
    }
    [outcome] = provider.iter_outcomes(shard_ref(), {}, ["k"])
    assert outcome.custom_id == "k"
    assert outcome.result["message"]["model"] == "gemini-2.5-flash"


def inline_operation(items: list) -> dict:
    return {
        "name": "batches/b1",
        "metadata": {
            "state": "BATCH_STATE_SUCCEEDED",
            "output": {"inlinedResponses": {"inlinedResponses": items}},
        },
        "done": True,
    }


def test_inline_outcomes_without_keys_are_matched_by_input_position(provider, fake):
    # The real backend sometimes drops metadata from inline items; they still come in input order.
    fake.operations["batches/b1"] = inline_operation(
        [
            {"response": text_response("One")},
            {"response": text_response("Two")},
            {"error": error_status("no")},
        ]
    )
    outcomes = list(provider.iter_outcomes(shard_ref(), {}, ["q1", "q2", "q3"]))
    assert [o.custom_id for o in outcomes] == ["q1", "q2", "q3"]
    assert outcomes[0].result["message"]["content"] == [{"type": "text", "text": "One"}]
    assert outcomes[1].result["message"]["content"] == [{"type": "text", "text": "Two"}]
    assert outcomes[2].result["type"] == "errored"


def test_keyed_and_keyless_inline_items_mix_when_the_positions_agree(provider, fake):
    fake.operations["batches/b1"] = inline_operation(
        [
            {"response": text_response("One"), "metadata": {"key": "q1"}},
            {"response": text_response("Two"), "metadata": {}},
        ]
    )
    outcomes = {o.custom_id: o.result for o in provider.iter_outcomes(shard_ref(), {}, ["q1", "q2"])}
    assert outcomes["q2"]["message"]["content"] == [{"type": "text", "text": "Two"}]
    assert outcomes["q1"]["message"]["content"] == [{"type": "text", "text": "One"}]


@pytest.mark.parametrize(
    "items",
    [
        # fewer items than requests: which request a keyless item answers cannot be told
        [{"response": text_response("One"), "metadata": {"key": "q1"}}, {"response": text_response("?")}],
        # as many items as requests, but the keyed ones are not at their input positions
        [
            {"response": text_response("Three"), "metadata": {"key": "q3"}},
            {"response": text_response("?")},
            {"response": text_response("One"), "metadata": {"key": "q1"}},
        ],
    ],
)
def test_keyless_inline_items_are_not_guessed_when_positions_are_unreliable(provider, fake, items):
    fake.operations["batches/b1"] = inline_operation(items)
    outcomes = {o.custom_id: o.result for o in provider.iter_outcomes(shard_ref(), {}, ["q1", "q2", "q3"])}
    assert "q2" not in outcomes  # left to the shard's fallback rather than given another request's answer
    assert outcomes["q1"]["message"]["content"] == [{"type": "text", "text": "One"}]


def output_lines() -> bytes:
    lines = [
        {"key": "z", "response": text_response("Last")},
        {"key": "a", "error": error_status("Invalid argument.")},
        {"key": "m", "response": text_response("Middle")},
    ]
    return "\n".join(json.dumps(line) for line in lines).encode() + b"\n"


def test_file_outcomes_stream_the_documented_download_path_and_match_by_key(provider, fake):
    fake.downloads["/download/v1beta/files/batch-out:download"] = output_lines()
    outcomes = {
        o.custom_id: o.result
        for o in provider.iter_outcomes(shard_ref(responses_file="files/batch-out"), {}, ["a", "m", "z"])
    }
    assert outcomes["z"]["message"]["content"][0]["text"] == "Last"
    assert outcomes["m"]["message"]["content"][0]["text"] == "Middle"
    assert outcomes["a"]["type"] == "errored"
    assert not fake.requests_to("GET", "/v1beta/batches/b1")


def test_file_outcomes_fall_back_to_the_sdk_download_path_on_404(provider, fake):
    fake.downloads["/v1beta/files/batch-out:download"] = output_lines()
    ref = shard_ref(responses_file="files/batch-out")
    outcomes = [o.custom_id for o in provider.iter_outcomes(ref, {}, ["a", "m", "z"])]
    assert outcomes == ["z", "a", "m"]
    assert fake.requests_to("GET", "/download/v1beta/files/batch-out:download")


def test_a_responses_file_found_only_at_outcome_time_is_streamed(provider, fake):
    fake.operations["batches/b1"] = {
        "name": "batches/b1",
        "metadata": {"state": "BATCH_STATE_SUCCEEDED", "output": {"responsesFile": "files/batch-out"}},
    }
    fake.downloads["/download/v1beta/files/batch-out:download"] = output_lines()
    assert len(list(provider.iter_outcomes(shard_ref(), {}, ["a", "m", "z"]))) == 3


def test_one_unreadable_line_does_not_stop_the_other_results(provider, fake):
    lines = [
        json.dumps({"key": "a", "response": text_response("First")}),
        '{"key": "broken", "response": {"candidates": [',  # cut short: invalid JSON, key still readable
        "\x00garbage without a key",
        json.dumps({"key": "junk", "response": {"candidates": [{"content": {"parts": ["junk"]}}]}}),
        json.dumps({"key": "odd", "error": "not a status object"}),
        json.dumps(["no", "key"]),
        json.dumps({"key": "z", "response": text_response("Last")}),
    ]
    fake.downloads["/download/v1beta/files/batch-out:download"] = "\n".join(lines).encode() + b"\n"
    ids = ["a", "broken", "junk", "odd", "z", "unnamed"]
    outcomes = {
        o.custom_id: o.result
        for o in provider.iter_outcomes(shard_ref(responses_file="files/batch-out"), {}, ids)
    }
    assert list(outcomes) == ["a", "broken", "junk", "odd", "z"]
    assert outcomes["a"]["message"]["content"][0]["text"] == "First"
    assert outcomes["z"]["message"]["content"][0]["text"] == "Last"
    for key in ("broken", "junk", "odd"):
        assert outcomes[key]["type"] == "errored"
        assert outcomes[key]["error"]["error"]["type"] == "api_error"


def test_an_expired_batch_without_output_yields_no_outcomes(provider, fake):
    fake.operations["batches/b1"] = {
        "name": "batches/b1",
        "metadata": {"state": "BATCH_STATE_EXPIRED"},
        "done": True,
    }
    assert list(provider.iter_outcomes(shard_ref(), {}, ["a", "b"])) == []


# --- cancel and delete ---------------------------------------------------------------------------------


def test_cancel_posts_to_the_batch(provider, fake):
    provider.cancel_shard(shard_ref())
    [cancel] = fake.requests_to("POST", "/v1beta/batches/b1:cancel")
    assert cancel.content == b""


def test_delete_removes_the_batch_and_its_input_file_and_tolerates_404(provider, fake):
    fake.missing.add("/v1beta/files/in1")
    provider.delete_shard(shard_ref(input_file="files/in1"))
    assert fake.requests_to("DELETE", "/v1beta/batches/b1")
    assert fake.requests_to("DELETE", "/v1beta/files/in1")


# --- files ---------------------------------------------------------------------------------------------


def test_upload_file_uses_the_resumable_protocol_and_converts_metadata(provider, fake):
    uploaded = provider.upload_file("notes.txt", "text/plain", b"hello world")
    [start] = fake.requests_to("POST", "/upload/v1beta/files")
    assert start.headers["X-Goog-Upload-Header-Content-Length"] == "11"
    assert start.headers["X-Goog-Upload-Header-Content-Type"] == "text/plain"
    assert json.loads(start.content) == {"file": {"display_name": "notes.txt"}}
    assert fake.uploaded == [b"hello world"]
    assert uploaded.provider_file_id == "files/up1"
    assert uploaded.filename == "notes.txt"
    assert uploaded.mime_type == "text/plain"
    assert uploaded.size_bytes == 1234
    assert uploaded.created_at == datetime(2025, 6, 1, 12, 30, 45, 123456, tzinfo=UTC)
    assert uploaded.uri == "https://gemini.test/v1beta/files/up1"
    assert uploaded.downloadable is False


def test_a_missing_upload_url_is_an_upstream_failure(fake):
    def no_session(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={})

    provider = build(API_KEY, "https://gemini.test", transport=httpx.MockTransport(no_session))
    with pytest.raises(UpstreamError) as caught:
        provider.upload_file("a.txt", "text/plain", b"x")
    assert caught.value.status == 502


def test_get_file_and_delete_file(provider, fake):
    assert provider.get_file("files/up1").size_bytes == 1234
    assert fake.requests_to("GET", "/v1beta/files/up1")
    fake.missing.add("/v1beta/files/gone")
    with pytest.raises(UpstreamError) as caught:  # the file service decides that "already gone" is fine
        provider.delete_file("files/gone")
    assert caught.value.status == 404
    provider.delete_file("files/up1")
    assert fake.requests_to("DELETE", "/v1beta/files/up1")


def test_uploaded_files_cannot_be_downloaded_but_generated_ones_can(provider, fake):
    assert provider.download_file("files/up1") is None
    fake.file_source = "GENERATED"
    fake.downloads["/v1beta/files/up1:download"] = b'{"key":"a"}\r\nraw bytes'
    assert provider.download_file("files/up1") == b'{"key":"a"}\r\nraw bytes'
    assert provider.get_file("files/up1").downloadable is True


@pytest.mark.parametrize("key", ["wrong-key", ""])
def test_a_bad_or_missing_gateway_key_is_a_gateway_credentials_failure(fake, key):
    provider = build(key, "https://gemini.test", transport=httpx.MockTransport(fake))
    with pytest.raises(UpstreamError) as caught:
        provider.get_file("files/up1")
    assert caught.value.status == 502  # the gateway's credentials, not the caller's
    assert caught.value.error_type == "api_error"
    assert "gemini refused the gateway's credentials" in caught.value.message
    assert ("API key not valid" if key else "unregistered callers") in caught.value.message


def test_an_invalid_key_is_recognised_by_its_reason_whatever_the_message(provider, fake):
    body = json.loads(json.dumps(INVALID_KEY))
    body["error"]["message"] = "Something else."
    fake.answers["/v1beta/batches/b1"] = (400, body)
    with pytest.raises(UpstreamError) as caught:
        provider.refresh_shard(shard_ref())
    assert caught.value.status == 502


def test_an_ordinary_invalid_argument_stays_a_400(provider, fake):
    fake.answers["/v1beta/batches/b1"] = (400, {"error": error_status("Bad batch name.")})
    with pytest.raises(UpstreamError) as caught:
        provider.refresh_shard(shard_ref())
    assert caught.value.status == 400
    assert caught.value.message == "gemini: Bad batch name."


def test_a_missing_or_expired_file_is_not_found_not_a_credentials_failure(provider, fake):
    fake.answers["/v1beta/files/gone"] = (403, file_denied("gone"))
    with pytest.raises(UpstreamError) as caught:
        provider.get_file("files/gone")
    assert caught.value.status == 404
    assert caught.value.error_type == "not_found_error"
    assert "may not exist" in caught.value.message
    with pytest.raises(UpstreamError) as caught:
        provider.delete_file("files/gone")
    assert caught.value.status == 404
    assert fake.requests_to("DELETE", "/v1beta/files/gone")


def test_delete_shard_tolerates_an_input_file_gemini_already_removed(provider, fake):
    fake.answers["/v1beta/files/in1"] = (403, file_denied("in1"))
    provider.delete_shard(shard_ref(input_file="files/in1"))
    assert fake.requests_to("DELETE", "/v1beta/batches/b1")
    assert fake.requests_to("DELETE", "/v1beta/files/in1")


def test_a_permission_denial_outside_files_stays_a_credentials_failure(provider, fake):
    fake.answers["/v1beta/batches/b1"] = (403, file_denied("x"))
    with pytest.raises(UpstreamError) as caught:
        provider.refresh_shard(shard_ref())
    assert caught.value.status == 502


def test_a_responses_file_denied_at_the_documented_path_is_read_from_the_sdk_path(provider, fake):
    fake.answers["/download/v1beta/files/batch-out:download"] = (403, file_denied("batch-out"))
    fake.downloads["/v1beta/files/batch-out:download"] = output_lines()
    ref = shard_ref(responses_file="files/batch-out")
    assert [o.custom_id for o in provider.iter_outcomes(ref, {}, ["a", "m", "z"])] == ["z", "a", "m"]


def test_a_batch_naming_a_file_gemini_no_longer_has_is_the_callers_400_saying_so(provider, fake):
    fake.answers["/v1beta/models/gemini-2.5-flash:batchGenerateContent"] = (403, file_denied("old"))
    [shard] = provider.prepare_shards([batch_request("a")], {})
    with pytest.raises(UpstreamError) as caught:
        provider.submit_shard(shard, batch_id="msgbatch_F", index=0)
    assert caught.value.status == 400
    assert caught.value.error_type == "invalid_request_error"
    assert "48 h" in caught.value.message and "upload it again" in caught.value.message


def test_a_region_gemini_does_not_serve_is_the_gateways_502_not_the_callers_mistake(provider, fake):
    location = {
        "error": {
            "code": 400,
            "message": "User location is not supported for the API use.",
            "status": "FAILED_PRECONDITION",
        }
    }
    fake.answers["/v1beta/batches/b1"] = (400, location)
    with pytest.raises(UpstreamError) as caught:
        provider.refresh_shard(shard_ref())
    assert caught.value.status == 502
    assert caught.value.error_type == "api_error"
    assert "region" in caught.value.message

"""Every events/*.json through the handler template.yaml names, with that function's template environment,
under moto: what `sam local invoke -e events/<file>.json <Function>` does on a machine with Docker."""

from __future__ import annotations

import base64
import copy
import json
import time
from pathlib import Path

import pytest

from handlers import auth, config
from handlers.storage import table
from handlers.storage.records import KeyRecord
from infra import template_resources
from tests.conftest import RESOURCE_NAMES, reset_gateway_caches
from tests.support.lambda_transport import LambdaContext

EVENTS = Path(__file__).resolve().parents[2] / "events"
TEMPLATE = template_resources.load_template()


def load_event(name: str, **ids: str) -> dict:
    text = (EVENTS / f"{name}.json").read_text()
    for placeholder, real in ids.items():
        text = text.replace(placeholder, real)
    return json.loads(text)


@pytest.fixture
def invoke(aws, providers_env, monkeypatch):
    """invoke(function logical id, event) → the handler's return value, run with the template's environment."""
    env = template_resources.function_environment(TEMPLATE, "ApiFunction", RESOURCE_NAMES)
    assert env["BATCHBRIDGE_AUTH"] == "keys"  # the template's default: virtual keys required
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "ApiFunction")
    reset_gateway_caches()
    # The events carry `x-api-key: dummy`: register it as a virtual key, as `batchbridge keys create` would.
    table.put_key(
        KeyRecord(auth.hash_key("dummy"), "events-owner", ["anthropic", "openai", "gemini"], False, "t")
    )

    def call(logical_id: str, event: dict):
        for key, value in template_resources.function_environment(
            TEMPLATE, logical_id, RESOURCE_NAMES
        ).items():
            monkeypatch.setenv(key, value)
        config.reset_caches()
        handler = template_resources.load_function_handler(TEMPLATE, logical_id)
        return handler(copy.deepcopy(event), LambdaContext())

    return call


def body(out: dict) -> dict:
    raw = base64.b64decode(out["body"]) if out.get("isBase64Encoded") else out["body"].encode()
    return json.loads(raw)


def test_every_event_file_is_exercised():
    names = {p.stem for p in EVENTS.glob("*.json")}
    assert names == {
        "files-upload", "files-list", "files-retrieve", "files-download", "files-delete",
        "batches-create", "batches-list", "batches-retrieve", "batches-cancel", "batches-delete",
        "batches-results", "scheduler",
    }  # fmt: skip


def test_file_events_tell_the_whole_file_story(invoke):
    uploaded = invoke("ApiFunction", load_event("files-upload"))
    assert uploaded["statusCode"] == 200, uploaded
    meta = body(uploaded)
    assert meta["type"] == "file" and meta["id"].startswith("file_") and meta["size_bytes"] > 0
    assert uploaded["headers"]["request-id"].startswith("req_")
    file_id = meta["id"]

    listed = body(invoke("ApiFunction", load_event("files-list")))
    assert [f["id"] for f in listed["data"]] == [file_id] and listed["next_page"] is None

    got = invoke("ApiFunction", load_event("files-retrieve", file_example=file_id))
    assert body(got) == meta

    content = invoke("ApiFunction", load_event("files-download", file_example=file_id))
    assert content["statusCode"] == 200
    raw = base64.b64decode(content["body"]) if content["isBase64Encoded"] else content["body"].encode()
    assert len(raw) == meta["size_bytes"]

    deleted = invoke("ApiFunction", load_event("files-delete", file_example=file_id))
    assert body(deleted) == {"id": file_id, "type": "file_deleted"}
    # As shipped (placeholder id) every by-id event answers a proper 404.
    for name in ("files-retrieve", "files-download", "files-delete"):
        out = invoke("ApiFunction", load_event(name))
        assert out["statusCode"] == 404 and body(out)["error"]["type"] == "not_found_error"


def test_batch_events_and_the_scheduler_tell_the_whole_batch_story(invoke):
    created = invoke("ApiFunction", load_event("batches-create"))
    assert created["statusCode"] == 200, created
    batch = body(created)
    assert batch["processing_status"] == "in_progress" and batch["request_counts"]["processing"] == 2
    batch_id = batch["id"]

    listed = body(invoke("ApiFunction", load_event("batches-list")))
    assert [b["id"] for b in listed["data"]] == [batch_id]

    early = invoke("ApiFunction", load_event("batches-delete", msgbatch_example=batch_id))
    assert early["statusCode"] == 400 and "cancel" in body(early)["error"]["message"]

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert invoke("PollerFunction", load_event("scheduler")) is not None
        got = body(invoke("ApiFunction", load_event("batches-retrieve", msgbatch_example=batch_id)))
        if got["processing_status"] == "ended":
            break
        time.sleep(0.2)
    assert got["processing_status"] == "ended" and got["request_counts"]["succeeded"] == 2
    assert got["results_url"].startswith("https://") and got["results_url"].endswith(f"/{batch_id}/results")

    results = invoke("ApiFunction", load_event("batches-results", msgbatch_example=batch_id))
    assert results["statusCode"] == 200
    text = base64.b64decode(results["body"]).decode() if results["isBase64Encoded"] else results["body"]
    lines = text.split("\n")
    assert lines[-1] == "" and all(lines[:-1])  # one object per \n-terminated line, no blank lines
    assert sorted(json.loads(line)["custom_id"] for line in lines[:-1]) == ["request-1", "request-2"]

    cancel = body(invoke("ApiFunction", load_event("batches-cancel", msgbatch_example=batch_id)))
    assert cancel["processing_status"] == "ended"  # cancelling an ended batch changes nothing
    deleted = body(invoke("ApiFunction", load_event("batches-delete", msgbatch_example=batch_id)))
    assert deleted == {"id": batch_id, "type": "message_batch_deleted"}
    for name in ("batches-retrieve", "batches-cancel", "batches-delete", "batches-results"):
        out = invoke("ApiFunction", load_event(name))
        assert out["statusCode"] == 404 and body(out)["error"]["type"] == "not_found_error"


def test_the_poller_event_with_nothing_in_flight_is_a_quiet_tick(invoke):
    assert invoke("PollerFunction", load_event("scheduler")) == {}

"""The Anthropic wire basics every route keeps: envelopes, request ids, validation first, bedrock, auth."""

from __future__ import annotations

import json

import pytest

from handlers import auth
from handlers.storage import table
from handlers.storage.records import KeyRecord

ROUTES = [
    ("POST", "/anthropic/v1/files"),
    ("GET", "/anthropic/v1/files"),
    ("GET", "/anthropic/v1/files/file_abc"),
    ("GET", "/anthropic/v1/files/file_abc/content"),
    ("DELETE", "/anthropic/v1/files/file_abc"),
    ("POST", "/anthropic/v1/messages/batches"),
    ("GET", "/anthropic/v1/messages/batches"),
    ("GET", "/anthropic/v1/messages/batches/msgbatch_abc"),
    ("POST", "/anthropic/v1/messages/batches/msgbatch_abc/cancel"),
    ("DELETE", "/anthropic/v1/messages/batches/msgbatch_abc"),
    ("GET", "/anthropic/v1/messages/batches/msgbatch_abc/results"),
]


def _request(n: int = 1, **params) -> dict:
    base = {"model": "claude-x", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
    base.update(params)
    return {"requests": [{"custom_id": f"r{i}", "params": base} for i in range(n)]}


def assert_envelope(response, status: int, error_type: str, *needles: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["type"] == "error"
    assert body["error"]["type"] == error_type
    assert body["request_id"].startswith("req_")
    assert response.headers["request-id"] == body["request_id"]
    for needle in needles:
        assert needle in body["error"]["message"]
    return body


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_bedrock_is_refused_on_every_route_before_anything_happens(gateway, method, path):
    response = gateway.request(method, path, headers={"x-api-key": "dummy", "x-model-provider": "bedrock"})
    body = assert_envelope(response, 400, "invalid_request_error", "Bedrock SDK", "S3")
    assert "batch" in body["error"]["message"] and "file" in body["error"]["message"]
    assert table.list_owned("local", "batch", 10)[0] == []


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_unknown_provider_names_the_accepted_values(gateway, method, path):
    response = gateway.request(method, path, headers={"x-api-key": "dummy", "x-model-provider": "mistral"})
    assert_envelope(response, 400, "invalid_request_error", "anthropic, openai, gemini")


def test_empty_batch_list_is_a_valid_page(gateway):
    response = gateway.get("/anthropic/v1/messages/batches", headers={"x-api-key": "dummy"})
    assert response.status_code == 200
    assert response.json() == {"data": [], "has_more": False, "first_id": None, "last_id": None}
    assert response.headers["request-id"].startswith("req_")


def test_empty_file_list_carries_both_paging_styles(gateway):
    response = gateway.get("/anthropic/v1/files?beta=true", headers={"authorization": "Bearer dummy"})
    assert response.json() == {
        "data": [],
        "has_more": False,
        "first_id": None,
        "last_id": None,
        "next_page": None,
    }


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"requests": []}, "requests"),
        (
            {"requests": [{"custom_id": "bad id!", "params": _request()["requests"][0]["params"]}]},
            "custom_id",
        ),
        ({"requests": [{"custom_id": "x" * 65, "params": _request()["requests"][0]["params"]}]}, "custom_id"),
        ({"requests": _request()["requests"] * 2}, "unique"),
        ({"requests": [{"custom_id": "a", "params": {"max_tokens": 5, "messages": []}}]}, "model"),
        (
            {
                "requests": [
                    {
                        "custom_id": "a",
                        "params": {"model": "m", "messages": [{"role": "user", "content": "x"}]},
                    }
                ]
            },
            "max_tokens",
        ),
        ({"requests": [{"custom_id": "a", "params": {"model": "m", "max_tokens": 5}}]}, "messages"),
        (_request(stream=True), "stream"),
        ({"nope": 1}, "requests"),
        ({**_request(), "other": 2}, "other"),
        ({"requests": [{**_request()["requests"][0], "extra": 1}]}, "extra"),
        (_request(max_tokens="5"), "max_tokens"),
        (_request(max_tokens=True), "max_tokens"),
        (_request(max_tokens=1.0), "max_tokens"),
        (_request(max_tokens=0), "max_tokens"),
    ],
)
def test_bad_batch_input_is_a_400_naming_the_problem(gateway, body, needle):
    response = gateway.post("/anthropic/v1/messages/batches", json=body, headers={"x-api-key": "dummy"})
    assert_envelope(response, 400, "invalid_request_error", needle)


def test_more_than_100000_requests_is_refused(gateway):
    body = _request(1)
    body["requests"] = [
        {"custom_id": f"r{i}", "params": body["requests"][0]["params"]} for i in range(100_001)
    ]
    response = gateway.post("/anthropic/v1/messages/batches", json=body, headers={"x-api-key": "dummy"})
    assert_envelope(response, 400, "invalid_request_error", "100000")


def test_malformed_json_is_a_400(gateway):
    response = gateway.post(
        "/anthropic/v1/messages/batches",
        content=b'{"requests": [',
        headers={"x-api-key": "dummy", "content-type": "application/json"},
    )
    assert_envelope(response, 400, "invalid_request_error", "not valid JSON")


def test_unknown_ids_are_404_not_found(gateway):
    for path in ("/anthropic/v1/messages/batches/msgbatch_missing", "/anthropic/v1/files/file_missing"):
        assert_envelope(gateway.get(path, headers={"x-api-key": "dummy"}), 404, "not_found_error")


def test_unknown_route_and_bad_limit_use_the_envelope(gateway):
    assert_envelope(gateway.get("/anthropic/v2/nothing", headers={"x-api-key": "d"}), 404, "not_found_error")
    response = gateway.get("/anthropic/v1/messages/batches?limit=0", headers={"x-api-key": "d"})
    assert_envelope(response, 400, "invalid_request_error", "limit")
    response = gateway.get("/anthropic/v1/files?limit=1001", headers={"x-api-key": "d"})
    assert_envelope(response, 400, "invalid_request_error", "limit")


def test_every_sdk_generation_header_set_is_accepted(gateway):
    for headers in (
        {"x-api-key": "k", "anthropic-version": "2023-06-01", "anthropic-beta": "message-batches-2024-09-24"},
        {"authorization": "Bearer k", "anthropic-version": "2026-10-21"},
        {"X-Api-Key": "k", "anthropic-beta": "files-api-2025-04-14,foo-2099-01-01"},
    ):
        assert gateway.get("/anthropic/v1/messages/batches?beta=true", headers=headers).status_code == 200


@pytest.fixture
def keys_mode(gateway, monkeypatch):
    from handlers import config

    monkeypatch.setenv("BATCHBRIDGE_AUTH", "keys")
    config.reset_caches()
    table.put_key(
        KeyRecord(auth.hash_key("key-alice"), "alice", ["anthropic"], False, "2026-01-01T00:00:00Z")
    )
    table.put_key(
        KeyRecord(auth.hash_key("key-old"), "old", ["anthropic"], False, "2026-01-01T00:00:00Z", revoked=True)
    )
    return gateway


def test_keys_mode_requires_a_known_unrevoked_key(keys_mode):
    path = "/anthropic/v1/messages/batches"
    assert_envelope(keys_mode.get(path), 401, "authentication_error", "missing API key")
    assert_envelope(keys_mode.get(path, headers={"x-api-key": "nope"}), 401, "authentication_error")
    assert_envelope(keys_mode.get(path, headers={"x-api-key": "key-old"}), 401, "authentication_error")
    assert keys_mode.get(path, headers={"x-api-key": "key-alice"}).status_code == 200
    assert keys_mode.get(path, headers={"authorization": "Bearer key-alice"}).status_code == 200


def test_keys_mode_refuses_a_provider_the_key_may_not_use(keys_mode):
    response = keys_mode.post(
        "/anthropic/v1/messages/batches",
        json=_request(),
        headers={"x-api-key": "key-alice", "x-model-provider": "openai"},
    )
    assert_envelope(response, 403, "permission_error", "openai")


def test_logs_are_json_lines_without_keys_or_bodies(gateway, capsys):
    secret = "sk-ant-very-secret-key-123"
    gateway.post(
        "/anthropic/v1/messages/batches",
        json=_request(stream=True),
        headers={"x-api-key": secret, "authorization": f"Bearer {secret}"},
    )
    out = capsys.readouterr().out
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["event"] == "request"]
    assert access, out
    entry = access[-1]
    assert entry["status"] == 400 and entry["route"] == "/anthropic/v1/messages/batches"
    assert entry["request_id"].startswith("req_") and "duration_ms" in entry
    assert secret not in out
    assert '"messages"' not in out and "claude-x" not in out  # no request body in the logs


def _upload(gateway, name: str) -> str:
    response = gateway.post(
        "/anthropic/v1/files", files={"file": (name, b"some text", "text/plain")}, headers={"x-api-key": "d"}
    )
    assert response.status_code == 200, response.text
    return response.json()["id"]


def test_file_paging_survives_deleting_what_was_listed(gateway, providers_env):
    ids = [_upload(gateway, f"f{i}.txt") for i in range(4)]
    first = gateway.get("/anthropic/v1/files?limit=2", headers={"x-api-key": "d"}).json()
    assert [f["id"] for f in first["data"]] == ids[::-1][:2] and first["has_more"]
    for f in first["data"]:  # the common clean-up loop: delete while paging
        assert gateway.delete(f"/anthropic/v1/files/{f['id']}", headers={"x-api-key": "d"}).status_code == 200
    for query in (f"page={first['next_page']}", f"after_id={first['last_id']}"):
        rest = gateway.get(f"/anthropic/v1/files?limit=2&{query}", headers={"x-api-key": "d"}).json()
        assert [f["id"] for f in rest["data"]] == ids[::-1][2:] and rest["has_more"] is False


def test_files_can_be_asked_for_by_ids(gateway, providers_env):
    a, b, _c = (_upload(gateway, f"f{i}.txt") for i in range(3))
    got = gateway.get(
        f"/anthropic/v1/files?ids[]={a}&ids[]={b}&ids[]=file_unknown", headers={"x-api-key": "d"}
    )
    assert [f["id"] for f in got.json()["data"]] == [b, a]


def test_results_whose_object_is_gone_are_a_404_not_a_crash(gateway, providers_env):
    from handlers.services.batches import advance
    from handlers.storage import bucket

    params = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
    created = gateway.post(
        "/anthropic/v1/messages/batches",
        json={"requests": [{"custom_id": "a", "params": params}]},
        headers={"x-api-key": "d"},
    ).json()
    for _ in range(200):
        if advance(table.get_batch(created["id"]), force=True).state == "ended":
            break
        __import__("time").sleep(0.05)
    bucket.delete(bucket.results_key(created["id"]))
    response = gateway.get(
        f"/anthropic/v1/messages/batches/{created['id']}/results", headers={"x-api-key": "d"}
    )
    assert_envelope(response, 404, "not_found_error", "no longer available")


@pytest.mark.parametrize(
    "query",
    [
        "/anthropic/v1/messages/batches?after_id=",
        "/anthropic/v1/messages/batches?before_id=",
        "/anthropic/v1/messages/batches?after_id=file_0123",
        "/anthropic/v1/files?after_id=",
        "/anthropic/v1/files?before_id=msgbatch_x",
        "/anthropic/v1/files?page=page_",
        "/anthropic/v1/files?page=page_!!!",
    ],
)
def test_a_malformed_list_cursor_is_the_callers_400_not_a_failed_query(gateway, query):
    response = gateway.get(query, headers={"x-api-key": "dummy"})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_file_list_selectors_follow_the_sdks_rules(gateway, providers_env):
    headers = {"x-api-key": "dummy"}
    upload = gateway.post(
        "/anthropic/v1/files", files={"file": ("a.txt", b"words", "text/plain")}, headers=headers
    )
    assert upload.status_code == 200, upload.text
    assert len(gateway.get("/anthropic/v1/files", headers=headers).json()["data"]) == 1
    assert gateway.get("/anthropic/v1/files?scope_id=sesn_123", headers=headers).json()["data"] == []
    both = gateway.get("/anthropic/v1/files?ids[]=file_a&limit=5", headers=headers)
    assert both.status_code == 400 and "ids cannot be combined" in both.json()["error"]["message"]
    repeated = "&".join(["ids[]=file_same"] * 150)  # 150 entries, one id once de-duplicated
    assert gateway.get(f"/anthropic/v1/files?{repeated}", headers=headers).status_code == 200

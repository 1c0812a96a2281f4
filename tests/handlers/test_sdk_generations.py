"""What older Anthropic SDK generations put on the wire, replayed as raw HTTP (contracts A.0, A.1.3, A.2.5).

Each request below is the one a real SDK sends (captured from anthropic 0.125.0, 1.1.0, 1.10.0, 2.1.0):
0.x–1.1 authenticate with X-Api-Key, pin anthropic-version 2023-06-01, add ?beta=true to every beta path plus
the files / batches beta headers and page files with after_id / before_id; 1.2–1.17 drop the files beta header
and page files with page / next_page; 2.0–2.2 switch to Bearer and anthropic-version 2026-10-21 but keep
?beta=true. Raw bytes go up as a part with filename "upload" up to 1.8 and with no filename from 1.9 on.
results() fetches results_url verbatim.
"""

from __future__ import annotations

import json
import time

import pytest

FILES = "/anthropic/v1/files?beta=true"
BATCHES = "/anthropic/v1/messages/batches?beta=true"
FILES_BETA = "files-api-2025-04-14"
BATCHES_BETA = "message-batches-2024-09-24"
MODELS = {None: "claude-3-sonnet-20240229", "openai": "gpt-4o-mini", "gemini": "gemini-1.5-flash"}
PROVIDERS = [None, "openai", "gemini"]  # None: no x-model-provider header, i.e. Anthropic


@pytest.fixture(autouse=True)
def prompt_refresh(monkeypatch):
    """Let every retrieve ask the provider (the gateway normally waits seconds between refreshes)."""
    from handlers.services import batches

    monkeypatch.setattr(batches, "REFRESH_AFTER_SECONDS", 0.0)


def gen_0x(beta: str | None = None, provider: str | None = None) -> dict:
    """0.52–0.125, 1.0, 1.1 (and 1.2–1.17, which only drop the files beta header)."""
    headers = {"X-Api-Key": "sk-test", "anthropic-version": "2023-06-01", "Content-Type": "application/json"}
    return _with(headers, beta, provider)


def gen_2_0(beta: str | None = None, provider: str | None = None) -> dict:
    """2.0–2.2: Bearer and the new API version, still ?beta=true and the batches beta header."""
    headers = {"Authorization": "Bearer sk-test", "anthropic-version": "2026-10-21"}
    return _with(headers, beta, provider)


def _with(headers: dict, beta: str | None, provider: str | None) -> dict:
    if beta:
        headers["anthropic-beta"] = beta
    if provider:
        headers["x-model-provider"] = provider
    return headers


def multipart(content: bytes, filename: str | None) -> tuple[bytes, str]:
    """The SDK's body for ``upload(file=b"...")``: one part ``file``, octet-stream, filename as given or none."""
    boundary = "0c5fa1634d6fd4d552b9600b573a6fd8"
    disposition = 'form-data; name="file"' + (f'; filename="{filename}"' if filename is not None else "")
    head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\nContent-Type: application/octet-stream\r\n\r\n"
    return (
        head.encode() + content + f"\r\n--{boundary}--\r\n".encode(),
        f"multipart/form-data; boundary={boundary}",
    )


def upload(gateway, headers: dict, content: bytes, filename: str | None) -> dict:
    body, content_type = multipart(content, filename)
    response = gateway.post(FILES, content=body, headers={**headers, "Content-Type": content_type})
    assert response.status_code == 200, response.text
    return response.json()


def upload_five(gateway) -> list[str]:
    """Five files, newest first (the order every list answers in)."""
    ids = [upload(gateway, gen_0x(FILES_BETA), f"file {i}".encode(), "upload")["id"] for i in range(5)]
    return ids[::-1]


def walk_sync_page(gateway, path: str, headers: dict, **start) -> list[dict]:
    """What the SDK's SyncPage does: after_id=last_id forwards, or before_id=first_id when the walk began with
    before_id, until has_more is false or a page is empty."""
    params = {"limit": 2, **start}
    pages = []
    while True:
        response = gateway.get(path, params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        if not page["data"] or page["has_more"] is False:
            return pages
        if "before_id" in start:
            params["before_id"] = page["first_id"]
        else:
            params["after_id"] = page["last_id"]


def ids_of(page: dict) -> list[str]:
    return [item["id"] for item in page["data"]]


def request(provider: str | None, custom_id: str, text: str) -> dict:
    params = {"model": MODELS[provider], "max_tokens": 50, "messages": [{"role": "user", "content": text}]}
    return {"custom_id": custom_id, "params": params}


def create_batch(gateway, headers: dict, *requests: dict) -> dict:
    response = gateway.post(BATCHES, content=json.dumps({"requests": list(requests)}), headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def wait_ended(gateway, batch_id: str, headers: dict) -> dict:
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        response = gateway.get(f"/anthropic/v1/messages/batches/{batch_id}?beta=true", headers=headers)
        assert response.status_code == 200, response.text
        if response.json()["processing_status"] == "ended":
            return response.json()
        time.sleep(0.05)
    raise AssertionError(f"batch {batch_id} did not end")


def fetch_results(gateway, batch: dict, headers: dict) -> dict[str, dict]:
    """results(): GET results_url exactly as given, Accept application/binary, parsed line by line the way the
    SDK's JSONL decoder does (a blank line would fail json.loads)."""
    url = batch["results_url"]
    assert url == f"http://gw.test/anthropic/v1/messages/batches/{batch['id']}/results"
    response = gateway.get(url, headers={**headers, "Accept": "application/binary"})
    assert response.status_code == 200, response.text
    assert response.text.endswith("}\n")
    lines = [json.loads(line) for line in response.text.splitlines()]
    return {line["custom_id"]: line["result"] for line in lines}


# --- files ---------------------------------------------------------------------------------------------


def test_file_calls_of_every_generation_for_every_provider(gateway, providers_env):
    for provider in PROVIDERS:
        old = gen_0x(f"my-beta-2025-01-01,{FILES_BETA}", provider)  # user betas first, comma-joined
        meta = upload(gateway, old, b"raw bytes body", "upload")  # up to 1.8: raw bytes are named "upload"
        assert (meta["filename"], meta["mime_type"], meta["size_bytes"]) == ("upload", "text/plain", 14)
        new = gen_2_0(provider=provider)
        unnamed = upload(gateway, new, b"no name here", None)  # 1.9 onwards: no filename at all
        assert (unnamed["filename"], unnamed["mime_type"]) == ("unnamed.txt", "text/plain")

        for headers, item in ((old, meta), (new, unnamed)):
            file_path = f"/anthropic/v1/files/{item['id']}"
            got = gateway.get(f"{file_path}?beta=true", headers=headers)
            assert got.status_code == 200 and got.json() == item
            content = gateway.get(
                f"{file_path}/content?beta=true", headers={**headers, "Accept": "application/binary"}
            )
            assert content.status_code == 200 and len(content.content) == item["size_bytes"]
            deleted = gateway.delete(f"{file_path}?beta=true", headers=headers)
            assert deleted.json() == {"id": item["id"], "type": "file_deleted"}
            gone = gateway.get(f"{file_path}?beta=true", headers=headers)
            assert gone.status_code == 404 and gone.json()["error"]["type"] == "not_found_error"


def test_old_style_file_paging_walks_forward_by_after_id_and_back_by_before_id(gateway, providers_env):
    newest_first = upload_five(gateway)
    forward = walk_sync_page(gateway, FILES, gen_0x(FILES_BETA))
    assert [ids_of(p) for p in forward] == [newest_first[0:2], newest_first[2:4], newest_first[4:]]
    assert [p["has_more"] for p in forward] == [True, True, False]
    assert [(p["first_id"], p["last_id"]) for p in forward] == [
        (newest_first[0], newest_first[1]),
        (newest_first[2], newest_first[3]),
        (newest_first[4], newest_first[4]),
    ]

    # From the last page back towards the newest file: before_id=first_id each time.
    backward = walk_sync_page(gateway, FILES, gen_0x(FILES_BETA), before_id=forward[-1]["first_id"])
    assert [ids_of(p) for p in backward] == [newest_first[2:4], newest_first[0:2]]
    assert [p["has_more"] for p in backward] == [True, False]
    walked = [i for p in backward for i in ids_of(p)] + ids_of(forward[-1])
    assert sorted(walked) == sorted(newest_first)  # every file exactly once


def test_new_style_file_paging_follows_next_page(gateway, providers_env):
    newest_first = upload_five(gateway)
    headers = gen_0x()  # 1.2–1.17: same auth, no files beta header, page cursor
    pages, params = [], {"limit": 2}
    while True:
        page = gateway.get(FILES, params=params, headers=headers).json()
        pages.append(page)
        if not page["next_page"]:
            break
        assert page["next_page"].startswith("page_")
        params = {"limit": 2, "page": page["next_page"]}
    assert [ids_of(p) for p in pages] == [newest_first[0:2], newest_first[2:4], newest_first[4:]]

    # 2.0–2.2 walk the same cursor with Bearer auth.
    first = gateway.get(FILES, params={"limit": 4}, headers=gen_2_0()).json()
    rest = gateway.get(FILES, params={"limit": 4, "page": first["next_page"]}, headers=gen_2_0()).json()
    assert ids_of(first) + ids_of(rest) == newest_first and rest["next_page"] is None


# --- batches -------------------------------------------------------------------------------------------


def test_batch_calls_of_older_generations_for_every_provider(gateway, providers_env):
    # Per provider two clients side by side: a 0.x one runs a batch to the end, a 2.0 one cancels a held
    # batch. All six batches run at once so the test waits for the emulators only once.
    flows = []
    for provider in PROVIDERS:
        old, new = gen_0x(BATCHES_BETA, provider), gen_2_0(BATCHES_BETA, provider)
        created = create_batch(
            gateway,
            old,
            request(provider, "q-1", "What is 2+2?"),
            request(provider, "q-2", "Capital of France?"),
        )
        assert created["processing_status"] == "in_progress" and created["results_url"] is None
        held = create_batch(
            gateway, new, request(provider, "held", "wait [[hold]]"), request(provider, "free", "go")
        )
        # cancel() posts an empty body (Content-Length: 0).
        cancel_path = f"/anthropic/v1/messages/batches/{held['id']}/cancel?beta=true"
        canceling = gateway.post(cancel_path, content=b"", headers=new).json()
        assert canceling["processing_status"] == "canceling" and canceling["cancel_initiated_at"]
        flows.append((old, created, new, held))

    for old, created, new, held in flows:
        ended = wait_ended(gateway, created["id"], old)
        assert ended["request_counts"]["succeeded"] == 2
        assert "beta=true" not in ended["results_url"]  # results() uses it verbatim, adding nothing
        results = fetch_results(gateway, ended, old)
        assert results["q-1"]["message"]["content"][0]["text"] == "Reply to: What is 2+2?"
        assert {r["type"] for r in results.values()} == {"succeeded"}

        held_results = fetch_results(gateway, wait_ended(gateway, held["id"], new), new)
        assert {k: r["type"] for k, r in held_results.items()} == {"held": "canceled", "free": "succeeded"}

    # Every generation pages batches the old way (SyncPage): forwards by after_id, back by before_id.
    newest_first = [b["id"] for _, created, _, held in flows for b in (created, held)][::-1]
    forward = walk_sync_page(gateway, BATCHES, gen_0x(BATCHES_BETA))
    assert [ids_of(p) for p in forward] == [newest_first[0:2], newest_first[2:4], newest_first[4:6]]
    backward = walk_sync_page(gateway, BATCHES, gen_2_0(BATCHES_BETA), before_id=newest_first[5])
    assert [ids_of(p) for p in backward] == [newest_first[3:5], newest_first[1:3], newest_first[0:1]]

    for old, created, new, held in flows:
        for batch_id, headers in ((created["id"], old), (held["id"], new)):
            path = f"/anthropic/v1/messages/batches/{batch_id}?beta=true"
            deleted = gateway.delete(path, headers=headers).json()
            assert deleted == {"id": batch_id, "type": "message_batch_deleted"}
            assert gateway.get(path, headers=headers).status_code == 404


# --- errors --------------------------------------------------------------------------------------------


def test_old_generation_errors_keep_the_envelope(gateway, providers_env):
    headers = gen_0x(BATCHES_BETA)
    bad = gateway.post(
        BATCHES, content=json.dumps({"requests": [request(None, "bad id!", "x")]}), headers=headers
    )
    assert bad.status_code == 400 and "custom_id" in bad.json()["error"]["message"]
    for method, path in (
        ("GET", "/anthropic/v1/messages/batches/msgbatch_nope?beta=true"),
        ("POST", "/anthropic/v1/messages/batches/msgbatch_nope/cancel?beta=true"),
        ("DELETE", "/anthropic/v1/messages/batches/msgbatch_nope?beta=true"),
        ("GET", "/anthropic/v1/files/file_nope?beta=true"),
        ("GET", "/anthropic/v1/files/file_nope/content?beta=true"),
        ("DELETE", "/anthropic/v1/files/file_nope?beta=true"),
    ):
        response = gateway.request(method, path, headers=gen_0x(FILES_BETA))
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"]["type"] == "not_found_error"

    for generation in (gen_0x, gen_2_0):
        refused = gateway.get(FILES, headers=generation(FILES_BETA, "bedrock"))
        assert refused.status_code == 400 and "Bedrock SDK" in refused.json()["error"]["message"]


def test_deleting_an_unknown_raw_provider_file_id_is_a_404_for_every_provider(gateway, providers_env):
    for provider in ("openai", "gemini"):
        response = gateway.delete(
            "/anthropic/v1/files/file_nope", headers={"x-api-key": "d", "x-model-provider": provider}
        )
        assert response.status_code == 404, (provider, response.text)
        assert response.json()["error"]["type"] == "not_found_error"


def _upload_part(gateway, content: bytes, disposition: str, content_type: str) -> object:
    boundary = "b0undary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"{disposition}\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return gateway.post(
        FILES,
        content=body,
        headers={"x-api-key": "d", "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )


def test_uploads_keep_the_media_type_and_the_last_path_component_as_anthropic_does(gateway, providers_env):
    typed = _upload_part(gateway, b"hello", '; filename="a/b\\\\t.txt"', "text/plain; charset=utf-8").json()
    assert (typed["filename"], typed["mime_type"]) == ("t.txt", "text/plain")
    binary = _upload_part(gateway, b"\x00\x01\x02binary", "", "application/octet-stream").json()
    assert (binary["filename"], binary["mime_type"]) == ("unnamed.bin", "application/octet-stream")
    too_long = _upload_part(gateway, b"x", f'; filename="{"n" * 501}"', "text/plain")
    assert too_long.status_code == 400 and "500 characters" in too_long.json()["error"]["message"]

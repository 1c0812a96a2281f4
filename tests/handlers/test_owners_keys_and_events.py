"""Owner isolation with virtual keys, the keys CLI, provider keys from Secrets Manager, ended-batch events."""

from __future__ import annotations

import json
import time

import anthropic
import boto3
import pytest

from handlers import cli, config
from handlers.services.batches import advance
from handlers.storage import table
from tests.conftest import reset_gateway_caches

PARAMS = {"model": "claude-x", "max_tokens": 10, "messages": [{"role": "user", "content": "hello"}]}


def _mint(capsys, *args: str) -> str:
    assert cli.main(["keys", "create", *args]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])["key"]


def _finish(batch_id: str) -> None:
    deadline = time.monotonic() + 20
    while advance(table.get_batch(batch_id), force=True).state != "ended":
        assert time.monotonic() < deadline, "batch did not end"
        time.sleep(0.1)


@pytest.fixture
def keys_mode(lambda_sdk, monkeypatch):
    monkeypatch.setenv("BATCHBRIDGE_AUTH", "keys")
    config.reset_caches()
    return lambda_sdk


def test_an_owner_never_sees_another_owners_batches_or_files(keys_mode, capsys):
    alice = keys_mode(api_key=_mint(capsys, "--owner", "alice"))
    bob = keys_mode(api_key=_mint(capsys, "--owner", "bob"))
    batch = alice.beta.messages.batches.create(requests=[{"custom_id": "a", "params": PARAMS}])
    upload = alice.beta.files.upload(file=("a.txt", b"alice's words", "text/plain"))

    assert [b.id for b in bob.beta.messages.batches.list().data] == []
    assert [f.id for f in bob.beta.files.list().data] == []
    for call in (
        lambda: bob.beta.messages.batches.retrieve(batch.id),
        lambda: bob.beta.messages.batches.cancel(batch.id),
        lambda: bob.beta.messages.batches.delete(batch.id),
        lambda: bob.beta.files.retrieve_metadata(upload.id),
        lambda: bob.beta.files.download(upload.id),
        lambda: bob.beta.files.delete(upload.id),
    ):
        with pytest.raises(anthropic.NotFoundError):
            call()
    _finish(batch.id)
    with pytest.raises(anthropic.NotFoundError):
        list(bob.beta.messages.batches.results(batch.id))
    assert [r.custom_id for r in alice.beta.messages.batches.results(batch.id)] == ["a"]
    assert alice.beta.files.download(upload.id).read() == b"alice's words"
    # Anthropic's own id of the upload is no way around isolation: only admin keys reach raw upstream ids.
    upstream_id = table.get_file(upload.id).provider_file_id
    for caller in (alice, bob):
        with pytest.raises(anthropic.NotFoundError):
            caller.beta.files.retrieve_metadata(upstream_id)


def test_keys_cli_lists_without_secrets_and_revoked_keys_stop_working(keys_mode, capsys):
    key = _mint(capsys, "--owner", "carol", "--providers", "anthropic", "--label", "ci")
    client = keys_mode(api_key=key)
    assert client.beta.messages.batches.list().data == []
    assert cli.main(["keys", "list"]) == 0
    printed = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    listed = [line for line in printed if "key_id" in line]  # the rest are the gateway's access logs
    assert [(k["owner"], k["providers"], k["revoked"]) for k in listed] == [("carol", ["anthropic"], False)]
    assert key not in json.dumps(listed)
    assert cli.main(["keys", "revoke", listed[0]["key_id"]]) == 0
    with pytest.raises(anthropic.AuthenticationError):
        client.beta.messages.batches.list()
    with pytest.raises(anthropic.PermissionDeniedError):
        keys_mode(
            "openai", api_key=_mint(capsys, "--owner", "dan", "--providers", "anthropic")
        ).beta.messages.batches.create(requests=[{"custom_id": "a", "params": PARAMS}])


def test_provider_keys_come_from_the_secrets_manager_secret(aws, monkeypatch):
    boto3.client("secretsmanager").create_secret(
        Name="batchbridge/provider-keys", SecretString=json.dumps({"OPENAI_API_KEY": "sk-from-secret"})
    )
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("BATCHBRIDGE_SECRET_NAME", "batchbridge/provider-keys")
    reset_gateway_caches()
    assert config.provider_api_key("openai") == "sk-from-secret"
    assert config.provider_api_key("gemini") is None


def test_an_ended_batch_is_published_to_the_event_bus(lambda_sdk, aws):
    events, sqs = boto3.client("events"), boto3.client("sqs")
    queue = sqs.create_queue(QueueName="ended")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = aws["BatchEventBus"]
    events.put_rule(Name="ended", EventBusName=bus, EventPattern=json.dumps({"source": ["batchbridge"]}))
    events.put_targets(Rule="ended", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])

    client = lambda_sdk()
    batch = client.beta.messages.batches.create(requests=[{"custom_id": "a", "params": PARAMS}])
    _finish(batch.id)
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    event = json.loads(messages[0]["Body"])
    assert event["detail-type"] == "Message Batch Ended" and event["source"] == "batchbridge"
    detail = event["detail"]
    assert detail["id"] == batch.id and detail["provider"] == "anthropic" and detail["owner"] == "local"
    assert detail["request_counts"] == {
        "processing": 0,
        "succeeded": 1,
        "errored": 0,
        "canceled": 0,
        "expired": 0,
    }
    assert detail["results_url"] == f"https://gw.test/anthropic/v1/messages/batches/{batch.id}/results"

"""Fixtures shared by the suite: moto from template.yaml, emulated providers, gateway clients, local stack."""

from __future__ import annotations

import os

# Fake credentials before anything creates a boto3 client (aws-notes: set them first).
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
for _provider in ("ANTHROPIC", "OPENAI", "GEMINI"):
    os.environ.pop(f"{_provider}_API_KEY", None)


import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402

from infra.servers import BackgroundServer  # noqa: E402
from tests.support.lambda_transport import LambdaTransport  # noqa: E402

EMULATOR_KEY = "emulator-key"
BASE_SUFFIX = {"anthropic": "", "openai": "/v1", "gemini": ""}
RESOURCE_NAMES = {
    "GatewayTable": "bb-test",
    "GatewayBucket": "bb-test-bucket",
    "BatchEventBus": "bb-test-bus",
}


def reset_gateway_caches() -> None:
    from handlers import aws, config
    from handlers.providers import reset_providers

    config.reset_caches()
    aws.reset_clients()
    reset_providers()


@pytest.fixture
def aws(monkeypatch):
    """moto in-process, with the table, bucket and bus created from template.yaml's own definitions."""
    from infra import template_resources

    with mock_aws():
        names = template_resources.create_resources(RESOURCE_NAMES)
        monkeypatch.setenv("BATCHBRIDGE_TABLE", names["GatewayTable"])
        monkeypatch.setenv("BATCHBRIDGE_BUCKET", names["GatewayBucket"])
        monkeypatch.setenv("BATCHBRIDGE_EVENT_BUS", names["BatchEventBus"])
        monkeypatch.setenv("BATCHBRIDGE_AUTH", "open")
        reset_gateway_caches()
        yield names
    reset_gateway_caches()


@pytest.fixture(scope="session")
def emulators():
    """One emulated upstream per provider for the whole session: name → base URL."""
    import importlib

    servers = {}
    for name in BASE_SUFFIX:
        module = importlib.import_module(f"infra.emulators.{name}")
        servers[name] = BackgroundServer(module.create_app(EMULATOR_KEY, batch_seconds=0.3)).start()
    yield {name: server.url + BASE_SUFFIX[name] for name, server in servers.items()}
    for server in servers.values():
        server.stop()


@pytest.fixture
def providers_env(emulators, monkeypatch):
    for name, url in emulators.items():
        monkeypatch.setenv(f"{name.upper()}_API_KEY", EMULATOR_KEY)
        monkeypatch.setenv(f"BATCHBRIDGE_{name.upper()}_BASE_URL", url)
    reset_gateway_caches()
    return emulators


@pytest.fixture
def gateway(aws):
    """The FastAPI app in-process over HTTP semantics (starlette TestClient), moto behind it."""
    from fastapi.testclient import TestClient

    from handlers.app import create_app

    with TestClient(create_app(), base_url="http://gw.test") as client:
        yield client


@pytest.fixture
def lambda_sdk(aws, providers_env):
    """Factory of real Anthropic SDK clients whose every request runs through handlers.api.handler."""
    import anthropic

    from handlers.api import handler

    clients = []

    def make(provider: str | None = None, api_key: str = "dummy") -> anthropic.Anthropic:
        headers = {"x-model-provider": provider} if provider else {}
        http = LambdaTransport.client(handler)
        clients.append(http)
        return anthropic.Anthropic(
            base_url="https://gw.test/anthropic",
            api_key=api_key,
            default_headers=headers,
            http_client=http,
            max_retries=0,
        )

    yield make
    for http in clients:
        http.close()

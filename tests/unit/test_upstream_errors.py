"""How an upstream error reaches the client: the status and type the SDK maps, and the retry advice it follows."""

from __future__ import annotations

import httpx
import pytest

from handlers.errors import UpstreamError
from handlers.providers.http import UpstreamClient


def failing_client(status: int, headers: dict | None = None) -> UpstreamClient:
    body = {"type": "error", "error": {"type": "x", "message": "upstream says no"}}
    transport = httpx.MockTransport(lambda request: httpx.Response(status, json=body, headers=headers))
    return UpstreamClient("anthropic", "https://upstream.test", {}, transport=transport)


def upstream_error(status: int, headers: dict | None = None) -> UpstreamError:
    with pytest.raises(UpstreamError) as caught:
        failing_client(status, headers).request("POST", "/v1/messages/batches")
    return caught.value


def test_a_rate_limit_keeps_the_upstreams_retry_advice():
    error = upstream_error(429, {"retry-after": "7", "retry-after-ms": "7000", "x-should-retry": "true"})
    assert (error.status, error.error_type) == (429, "rate_limit_error")
    assert error.headers == {"retry-after": "7", "retry-after-ms": "7000", "x-should-retry": "true"}


@pytest.mark.parametrize("status", [401, 403])
def test_refused_gateway_credentials_are_a_502_the_sdk_is_told_not_to_retry(status):
    error = upstream_error(status)
    assert (error.status, error.error_type) == (502, "api_error")
    assert error.headers == {"x-should-retry": "false"}


@pytest.mark.parametrize(
    ("status", "expected"),
    [(504, (504, "timeout_error")), (529, (529, "overloaded_error")), (500, (502, "api_error"))],
)
def test_upstream_server_failures_keep_the_type_the_sdk_knows(status, expected):
    assert (upstream_error(status).status, upstream_error(status).error_type) == expected


def test_the_error_headers_reach_the_client_with_the_envelope(gateway, monkeypatch):
    from handlers.services import batches as service

    def refuse(*args, **kwargs):
        raise UpstreamError(429, "anthropic: slow down", headers={"retry-after": "7"})

    monkeypatch.setattr(service, "list_batches", refuse)
    response = gateway.get("/anthropic/v1/messages/batches", headers={"x-api-key": "d"})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json()["error"] == {"type": "rate_limit_error", "message": "anthropic: slow down"}

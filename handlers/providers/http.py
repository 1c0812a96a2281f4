"""The upstream HTTP client every provider uses: one pooled httpx client, errors mapped once."""

from __future__ import annotations

import json
from typing import Any

import httpx

from handlers.errors import NO_RETRY, UpstreamError

# Batch and file calls upstream are short; results are streamed. Stay well inside API Gateway's 30 s.
DEFAULT_TIMEOUT = httpx.Timeout(25.0, connect=5.0)


def upstream_message(response: httpx.Response) -> str:
    """The most useful human message an upstream error response carries (any provider's envelope)."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text[:500] or f"HTTP {response.status_code}"
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
        if isinstance(err, str):
            return err
    return f"HTTP {response.status_code}"


def retry_headers(response: httpx.Response) -> dict[str, str]:
    """The upstream's advice on retrying (Anthropic and OpenAI send these), passed on for the SDK to follow."""
    return {
        name: response.headers[name]
        for name in ("retry-after", "retry-after-ms", "x-should-retry")
        if name in response.headers
    }


class UpstreamClient:
    """httpx.Client with the provider's base URL and auth headers; raises UpstreamError on failures."""

    def __init__(self, provider: str, base_url: str, headers: dict[str, str], transport=None) -> None:
        self.provider = provider
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=DEFAULT_TIMEOUT,
            transport=transport,
            follow_redirects=True,  # file downloads may redirect to storage, as the official SDKs allow
        )

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise UpstreamError(502, f"{self.provider} could not be reached: {type(exc).__name__}") from exc
        self.raise_for_status(response)
        return response

    def json(self, method: str, url: str, **kwargs: Any) -> Any:
        return self.request(method, url, **kwargs).json()

    def stream_lines(self, url: str, *, raw: bool = False, **kwargs: Any):
        """Yield the non-blank lines of a (possibly large) response body without holding it whole, as text
        (or as bytes with ``raw=True``, for callers that pass lines on unchanged).

        Lines end at ``\n`` only: JSON strings may hold raw U+2028, U+0085 and the like, which a
        ``str.splitlines``-style split (httpx's ``iter_lines``) would cut in two.
        """
        try:
            with self._client.stream("GET", url, **kwargs) as response:
                if response.status_code >= 400:
                    response.read()
                    self.raise_for_status(response)
                pending = b""
                for chunk in response.iter_bytes():
                    pending += chunk
                    *lines, pending = pending.split(b"\n")
                    for line in lines:
                        if line.strip():
                            yield line if raw else line.decode()
                if pending.strip():
                    yield pending if raw else pending.decode()
        except httpx.HTTPError as exc:
            raise UpstreamError(502, f"{self.provider} could not be reached: {type(exc).__name__}") from exc

    def raise_for_status(self, response: httpx.Response) -> None:
        if response.status_code < 400:
            return
        status = response.status_code
        # Upstream auth problems are the gateway's configuration, not the caller's key: no retry fixes them.
        if status in (401, 403):
            raise UpstreamError(
                502,
                f"{self.provider} refused the gateway's credentials: {upstream_message(response)}",
                headers=NO_RETRY,
            )
        retry = retry_headers(response)
        if status == 404:
            raise UpstreamError(404, f"{self.provider}: {upstream_message(response)}")
        if status >= 500 and status not in (504, 529):
            raise UpstreamError(502, f"{self.provider} failed: {upstream_message(response)}", headers=retry)
        raise UpstreamError(status, f"{self.provider}: {upstream_message(response)}", headers=retry)

    def close(self) -> None:
        self._client.close()

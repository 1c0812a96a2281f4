"""An httpx transport that turns each request into an API Gateway HTTP API (v2) event for a Lambda handler.

It lets the real Anthropic SDK talk to ``handlers.api.handler`` in-process — what API Gateway would do in
front of the deployed function — and follows presigned S3 redirects into moto via ``requests``.
"""

from __future__ import annotations

import base64
import time
import uuid
from urllib.parse import urlsplit

try:  # newest anthropic SDKs are built on httpx2 and refuse httpx objects
    import httpx2 as httpx
except ImportError:  # pragma: no cover - older SDK generations
    import httpx
import requests

TEXT_TYPES = ("application/json", "text/", "application/x-www-form-urlencoded")


class LambdaContext:
    function_name = "ApiFunction"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ApiFunction"
    aws_request_id = "00000000-0000-0000-0000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


def http_api_event(
    method: str,
    path: str,
    query: str = "",
    headers: dict | None = None,
    body: bytes = b"",
    host: str = "gw.test",
) -> dict:
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    headers.setdefault("host", host)
    headers.setdefault("x-forwarded-proto", "https")
    content_type = headers.get("content-type", "")
    is_text = content_type.startswith(TEXT_TYPES)
    return {
        "version": "2.0",
        "routeKey": "ANY /anthropic/{proxy+}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "queryStringParameters": dict(p.split("=", 1) if "=" in p else (p, "") for p in query.split("&") if p)
        or None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api1234",
            "domainName": headers["host"],
            "domainPrefix": headers["host"].split(".")[0],
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": headers.get("user-agent", "test"),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "ANY /anthropic/{proxy+}",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "timeEpoch": int(time.time() * 1000),
        },
        "pathParameters": {"proxy": path.removeprefix("/anthropic/")},
        # HTTP APIs base64-encode every non-text body (multipart included).
        "body": (body.decode() if is_text else base64.b64encode(body).decode()) if body else None,
        "isBase64Encoded": bool(body) and not is_text,
    }


class LambdaTransport(httpx.BaseTransport):
    def __init__(self, handler) -> None:
        self.handler = handler
        self.invocations = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = urlsplit(str(request.url))
        if url.hostname and "amazonaws.com" in url.hostname:
            # A presigned S3 URL: served by moto (mock_aws intercepts the requests library).
            got = requests.get(str(request.url), timeout=30)
            # requests already undid any Content-Encoding; pass on the decoded body without it.
            headers = {
                k: v
                for k, v in got.headers.items()
                if k.lower() not in ("content-encoding", "content-length")
            }
            return httpx.Response(got.status_code, headers=headers, content=got.content)
        event = http_api_event(
            request.method, url.path, url.query, dict(request.headers), request.read(), host=url.netloc
        )
        self.invocations += 1
        out = self.handler(event, LambdaContext())
        body = out.get("body") or ""
        content = base64.b64decode(body) if out.get("isBase64Encoded") else body.encode()
        headers = dict(out.get("headers") or {})
        for cookie in out.get("cookies") or []:
            headers.setdefault("set-cookie", cookie)
        return httpx.Response(out["statusCode"], headers=headers, content=content)

    @classmethod
    def client(cls, handler):
        """An HTTP client of the kind the installed anthropic SDK accepts, routed through ``handler``."""
        return httpx.Client(transport=cls(handler), follow_redirects=True)  # as the SDK's own client does

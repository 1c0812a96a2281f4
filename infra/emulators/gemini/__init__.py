"""Emulated Gemini Developer API (v1beta): resumable Files uploads and the Batch API.

``create_app(api_key, batch_seconds=...)`` returns an ASGI app whose root is the API base URL
(``/v1beta/...``, ``/upload/v1beta/files``, ``/download/v1beta/...``). State lives in memory per app;
batch status is derived from elapsed time at each request (no background threads).

Choices where the real API's behaviour is not pinned down by the contracts (reference part C):
- Auth: a missing key answers 403 PERMISSION_DENIED ("Method doesn't allow unregistered callers ...") and
  a wrong key 400 INVALID_ARGUMENT "API key not valid. Please pass a valid API key." with an ErrorInfo
  detail (reason API_KEY_INVALID) -- what generativelanguage.googleapis.com answers; it never sends 401.
  Upload session URLs (``?upload_id=``) are authorised by the session id, as the SDK sends no key there.
- Missing files answer 403 PERMISSION_DENIED "You do not have permission to access the File <id> or it
  may not exist." (the real wording); missing batches 404 NOT_FOUND.
- Downloading an uploaded (non-generated) file answers 400 FAILED_PRECONDITION; the SDK refuses it
  client-side ("Only generated files can be downloaded") before any request.
- Cancelling a finished batch answers 400 FAILED_PRECONDITION. A cancel takes effect after
  ``CANCEL_FRACTION * batch_seconds``; requests without ``[[hold]]`` are answered (partial output).
- An EXPIRED batch is ``done`` with an ``error`` Status (code 4, DEADLINE_EXCEEDED) and no output.
- pageSize above 100 is clamped to 100 (AIP-158); a negative pageSize is a 400.
- ``sha256Hash`` is base64 of the hex digest, as real File resources show it.
- Both inline and file outputs come back shuffled (deterministically, never in input order when there
  are two or more requests) so consumers must match by key; the real file output keeps input order.
- Request validation is a proto3-JSON parse (lowerCamelCase and snake_case names, unknown names
  rejected) plus the semantic checks listed in ``request_checks``; error messages follow the real
  wording where known and are close approximations otherwise.

Modules: app (routes, key checks), handlers (files and batches), uploads (resumable protocol), http
(responses, paging), batch_input, proto_schema and proto (proto3 JSON parsing), request_checks, outcomes
(what a request answers, by infra/emulators/replies.py), state (store and timeline), operations (the
Operation JSON), errors.
"""

from infra.emulators.gemini.app import create_app

__all__ = ["create_app"]

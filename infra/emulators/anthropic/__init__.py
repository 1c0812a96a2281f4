"""Emulated Anthropic API (Files beta and Message Batches): in memory, as strict as the real service.

Paths are the real ones (``/v1/files…``, ``/v1/messages/batches…``) at the server root. No background work:
a batch's status is derived from elapsed time at each request (created at t0, ended at t0 + batch_seconds),
unless one of its requests says ``[[hold]]``; a cancelled batch ends shortly after the cancel.
Replies follow the shared deterministic rule (infra/emulators/replies.py) so end-to-end tests can assert
exact content.

Modules: app (auth, routes), batch_routes and file_routes (endpoints), validation and sdk_params (what a
create body may hold), results (what a request answers), state (store and timeline), batch_object (the
MessageBatch JSON), paging, multipart, errors, formats (ids, timestamps).
"""

from infra.emulators.anthropic.app import create_app

__all__ = ["create_app"]

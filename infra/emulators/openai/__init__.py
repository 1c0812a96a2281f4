"""An in-memory OpenAI Files + Batches API (``/v1``) for local runs and tests.

``create_app(api_key, batch_seconds=...)`` returns an ASGI app. No background threads: a batch's status is
derived from the time elapsed since it was created (validating → in_progress → finalizing → completed over
``batch_seconds``), and its output/error files are written the first time it is seen finished.

Strictness follows the real API where it is known: Bearer auth, the ``{"error": {message, type, param,
code}}`` envelope, the create-batch enums and metadata limits, and a ``validating`` phase that checks every
input line (JSON, custom_id, method, url, one model per file, Chat Completions body and message shapes).
Replies follow the shared deterministic rule (infra/emulators/replies.py) so end-to-end tests can assert
exact content.

Modules: app (routes, auth), paging, create_params, input_file (validating phase), chat_body and messages
(Chat Completions body checks), field_checks, completion and result_lines (what a request answers), state
(store and time-derived status), batch_object (the Batch JSON), errors, ids.
"""

from infra.emulators.openai.app import create_app
from infra.emulators.openai.chat_body import CHAT_PARAMS

__all__ = ["CHAT_PARAMS", "create_app"]

"""Anthropic Messages ↔ Gemini generateContent, as pure functions over plain dicts (contracts.md C.3, D).

Requests go out as GenerateContentRequest dicts with the camelCase wire names; responses come back as
Anthropic batch ``result`` members. Everything here runs once per request of a batch of up to 100,000,
so it works on plain dicts with local lookups and no validation models in the hot path.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from handlers.errors import ApiError, invalid_request
from handlers.providers.base import FileRef
from handlers.translate.errors import errored_result

MAX_STOP_SEQUENCES = 5  # Gemini's generationConfig.stopSequences limit

_NO_FILES: Mapping[str, FileRef] = {}

# Top-level params the translation maps.
_MAPPED_PARAMS = frozenset(
    {
        "model",
        "max_tokens",
        "messages",
        "system",
        "temperature",
        "top_p",
        "top_k",
        "stop_sequences",
        "tools",
        "tool_choice",
        "thinking",
        "output_config",
        "output_format",  # the beta spelling of output_config.format
    }
)
# Params with no Gemini equivalent that do not change the answer: dropped silently.
_DROPPED_PARAMS = frozenset(
    {
        "metadata",
        "cache_control",
        "service_tier",
        "inference_geo",
        "diagnostics",
        "speed",
        "user_profile_id",
        "workspace_id",
        "stream",  # only ever false here; the wire layer refuses true
    }
)
_ACCEPTED_PARAMS = _MAPPED_PARAMS | _DROPPED_PARAMS

# Google's documented stand-in for a thought signature the client could not keep (thought-signatures guide).
THOUGHT_SIGNATURE_PLACEHOLDER = "skip_thought_signature_validator"
_GEMINI_MAJOR = re.compile(r"gemini-(\d+)")
# A model name goes into the upstream URL (models/{model}:batchGenerateContent): nothing that could leave
# that path segment (``/``, ``..``, ``?``, ``#``, ``%``) gets through.
_MODEL_NAME = re.compile(r"(models/)?[A-Za-z0-9][A-Za-z0-9._-]*")
# The image types Gemini reads (image-understanding guide); Anthropic also takes image/gif, Gemini refuses it.
GEMINI_IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp", "image/heic", "image/heif")

_ROLES = {"user": "user", "assistant": "model"}
_TOOL_CHOICE_MODES = {"auto": "AUTO", "any": "ANY", "tool": "ANY", "none": "NONE"}


def canonical_model(model: str) -> str:
    """``gemini-x`` or ``models/gemini-x`` → ``models/gemini-x`` (the form Gemini's URLs take)."""
    return model if model.startswith("models/") else "models/" + model


def _refuse(custom_id: str, where: str, message: str) -> ApiError:
    return invalid_request(f"requests[custom_id={custom_id}].params{where}: {message}")


# --- Anthropic request → Gemini GenerateContentRequest ---------------------------------------------------


def to_gemini_request(
    custom_id: str, params: Mapping[str, Any], files: Mapping[str, FileRef] = _NO_FILES
) -> dict:
    """One Anthropic ``params`` → a GenerateContentRequest dict. Raises ApiError(400) naming custom_id."""
    try:
        return _translate_request(custom_id, params, files)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        # Malformed input (a block without its required field, a string where an object belongs) is
        # the caller's mistake: answer 400, never 500.
        detail = f"missing field {exc.args[0]!r}" if isinstance(exc, KeyError) else str(exc)
        raise _refuse(custom_id, "", f"malformed request ({detail})") from exc


def _translate_request(custom_id: str, params: Mapping[str, Any], files: Mapping[str, FileRef]) -> dict:
    for key in params:
        if key not in _ACCEPTED_PARAMS:
            raise _refuse(custom_id, f".{key}", "is not supported with x-model-provider: gemini")
    model = params["model"]
    if type(model) is not str or not _MODEL_NAME.fullmatch(model):
        raise _refuse(custom_id, ".model", f"{model!r} is not a Gemini model name (e.g. gemini-2.5-flash)")

    system = params.get("system")
    system_parts = _system_parts(custom_id, system, ".system") if system else []
    contents: list[dict] = []
    tool_names: dict[str, str] = {}  # tool_use id → name, for the tool_result that answers it
    last: dict | None = None
    for i, message in enumerate(params["messages"]):
        role = _ROLES.get(message.get("role"))
        content = message.get("content")
        if role is None:
            if message.get("role") == "system" and not contents:
                # Leading system turns are the system prompt; Gemini has no mid-conversation equivalent.
                system_parts.extend(_system_parts(custom_id, content, f".messages[{i}].content"))
                continue
            raise _refuse(custom_id, f".messages[{i}].role", f"role {message.get('role')!r} is not supported")
        if type(content) is str:
            parts = [{"text": content}] if content else []
        else:
            parts = _parts(custom_id, i, content, files, tool_names)
        if not parts:  # e.g. an assistant turn that held only thinking blocks, or empty text
            continue
        # Consecutive same-role turns form one turn, as Anthropic combines them.
        if last is not None and last["role"] == role:
            last["parts"].extend(parts)
        else:
            last = {"role": role, "parts": parts}
            contents.append(last)

    if not contents:
        raise _refuse(custom_id, ".messages", "no message has content Gemini can take (all are empty)")
    if tool_names and _needs_thought_signatures(model):
        _sign_replayed_calls(contents)
    request: dict[str, Any] = {"contents": contents}
    if system_parts:
        request["systemInstruction"] = {"parts": system_parts}
    tools = params.get("tools")
    if tools:
        request["tools"] = [{"functionDeclarations": _function_declarations(custom_id, tools)}]
    tool_choice = params.get("tool_choice")
    if tool_choice:
        calling_config = _calling_config(custom_id, tool_choice)  # refuses unknown types even without tools
        # Gemini rejects a functionCallingConfig without function declarations, and without tools no
        # choice can change the answer, so it is only sent alongside tools.
        if tools:
            request["toolConfig"] = {"functionCallingConfig": calling_config}
    request["generationConfig"] = _generation_config(custom_id, params)
    return request


def _needs_thought_signatures(model: str) -> bool:
    """Gemini 3 and later refuse replayed function calls that lack the model's thought signature. Only names
    that say 1.x or 2.x go without: aliases such as ``gemini-flash-latest`` move to newer models."""
    match = _GEMINI_MAJOR.search(model)
    return match is None or int(match.group(1)) >= 3


def _sign_replayed_calls(contents: list[dict]) -> None:
    # Anthropic tool_use blocks cannot carry Gemini's opaque signature, so replayed calls get the
    # documented placeholder that tells Gemini to skip signature validation.
    for content in contents:
        if content["role"] == "model":
            for part in content["parts"]:
                if "functionCall" in part:
                    part["thoughtSignature"] = THOUGHT_SIGNATURE_PLACEHOLDER


def _system_parts(custom_id: str, system: Any, where: str) -> list[dict]:
    if type(system) is str:
        return [{"text": system}] if system else []
    parts = []
    for j, block in enumerate(system):
        if block.get("type") != "text":
            raise _refuse(custom_id, f"{where}[{j}]", "only text blocks are supported in a system prompt")
        _append_text(parts, block["text"])
    return parts


def _append_text(parts: list[dict], text: Any) -> None:
    # Gemini reads {"text": ""} as a part with no data and refuses the request; empty text says nothing anyway.
    if text != "":
        parts.append({"text": text})


def _parts(
    custom_id: str, i: int, blocks: Any, files: Mapping[str, FileRef], tool_names: dict[str, str]
) -> list[dict]:
    parts: list[dict] = []
    append = parts.append
    for j, block in enumerate(blocks):
        kind = block.get("type")
        if kind == "text":
            _append_text(parts, block["text"])
        elif kind == "image" or kind == "document":
            _media_parts(custom_id, f".messages[{i}].content[{j}]", block, files, parts)
        elif kind == "tool_use":
            tool_names[block["id"]] = block["name"]
            append(
                {"functionCall": {"name": block["name"], "args": block.get("input") or {}, "id": block["id"]}}
            )
        elif kind == "tool_result":
            _tool_result_parts(custom_id, f".messages[{i}].content[{j}]", block, files, tool_names, parts)
        elif kind == "thinking" or kind == "redacted_thinking":
            continue  # Anthropic's own reasoning trace; Gemini cannot read it (documented).
        else:
            raise _refuse(
                custom_id,
                f".messages[{i}].content[{j}].type",
                f"content block {kind!r} has no Gemini equivalent",
            )
    return parts


def _media_parts(custom_id: str, where: str, block: Mapping, files: Mapping[str, FileRef], out: list) -> None:
    """Append the part(s) for an image or document block to ``out``."""
    source = block.get("source") or {}
    kind = source.get("type")
    if kind == "base64":
        _check_image_type(custom_id, f"{where}.source.media_type", source["media_type"])
        out.append({"inlineData": {"mimeType": source["media_type"], "data": source["data"]}})
        return
    if kind == "file":
        file_data = _file_data(custom_id, where, source.get("file_id"), files)
        _check_image_type(custom_id, f"{where}.source.file_id", file_data["mimeType"])
        out.append({"fileData": file_data})
        return
    if block.get("type") == "document":
        if kind == "text":
            _append_text(out, source["data"])
            return
        if kind == "content":
            _document_content_parts(custom_id, f"{where}.source.content", source.get("content"), files, out)
            return
    if kind == "url":
        raise _refuse(
            custom_id,
            f"{where}.source",
            "URL sources are not supported with x-model-provider: gemini (Gemini reads only its own files); "
            "send the content as base64 or upload it with x-model-provider: gemini and reference its file_id",
        )
    raise _refuse(
        custom_id, f"{where}.source", f"source type {kind!r} is not supported with x-model-provider: gemini"
    )


def _document_content_parts(
    custom_id: str, where: str, content: Any, files: Mapping[str, FileRef], out: list
) -> None:
    if type(content) is str:
        _append_text(out, content)
        return
    for k, item in enumerate(content or ()):
        kind = item.get("type")
        if kind == "text":
            _append_text(out, item["text"])
        elif kind == "image":
            _media_parts(custom_id, f"{where}[{k}]", item, files, out)
        else:
            raise _refuse(
                custom_id, f"{where}[{k}].type", f"content block {kind!r} is not supported in a document"
            )


def _check_image_type(custom_id: str, where: str, mime_type: str) -> None:
    if mime_type.startswith("image/") and mime_type not in GEMINI_IMAGE_TYPES:
        raise _refuse(
            custom_id,
            where,
            f"Gemini does not read {mime_type} images; send PNG, JPEG, WEBP, HEIC or HEIF "
            "(or use x-model-provider: anthropic)",
        )


def _file_data(custom_id: str, where: str, file_id: Any, files: Mapping[str, FileRef]) -> dict:
    ref = files.get(file_id) if isinstance(file_id, str) else None
    if ref is None:
        raise _refuse(custom_id, f"{where}.source.file_id", f"file {file_id!r} was not found")
    if ref.provider != "gemini":
        raise _refuse(
            custom_id,
            f"{where}.source.file_id",
            f"file {file_id} is held by provider {ref.provider!r}; upload it with x-model-provider: gemini "
            "to use it in a Gemini batch",
        )
    if not ref.uri:
        raise _refuse(
            custom_id, f"{where}.source.file_id", f"file {file_id} has no Gemini file URI; upload it again"
        )
    return {"mimeType": ref.mime_type, "fileUri": ref.uri}


def _tool_result_parts(
    custom_id: str,
    where: str,
    block: Mapping,
    files: Mapping[str, FileRef],
    tool_names: Mapping[str, str],
    parts: list[dict],
) -> None:
    tool_use_id = block.get("tool_use_id")
    name = tool_names.get(tool_use_id)
    if name is None:
        raise _refuse(
            custom_id,
            f"{where}.tool_use_id",
            f"no earlier tool_use block has id {tool_use_id!r}; Gemini needs the tool's name to return its result",
        )
    content = block.get("content")
    media: list[dict] = []
    if content is None:
        text = ""
    elif type(content) is str:
        text = content
    else:
        texts = []
        for k, item in enumerate(content):
            kind = item.get("type")
            if kind == "text":
                texts.append(item["text"])
            elif kind == "image" or kind == "document":
                # Gemini's functionResponse holds JSON only; media travels as sibling parts of the same turn.
                _media_parts(custom_id, f"{where}.content[{k}]", item, files, media)
            else:
                raise _refuse(
                    custom_id,
                    f"{where}.content[{k}].type",
                    f"content block {kind!r} has no Gemini equivalent",
                )
        text = "\n".join(texts)
    # Gemini's documented convention: "error" key for failures, otherwise the object is the output.
    response = {"error": text} if block.get("is_error") else {"content": text}
    parts.append({"functionResponse": {"name": name, "response": response, "id": tool_use_id}})
    if media:
        parts.extend(media)


def _function_declarations(custom_id: str, tools: Any) -> list[dict]:
    declarations = []
    for j, tool in enumerate(tools):
        kind = tool.get("type")
        if kind is not None and kind != "custom":
            raise _refuse(custom_id, f".tools[{j}].type", f"server tool {kind!r} has no Gemini equivalent")
        declaration = {"name": tool["name"]}
        description = tool.get("description")
        if description:
            declaration["description"] = description
        declaration["parametersJsonSchema"] = tool.get("input_schema") or {"type": "object"}
        declarations.append(declaration)
    return declarations


def _calling_config(custom_id: str, tool_choice: Mapping) -> dict:
    kind = tool_choice.get("type")
    mode = _TOOL_CHOICE_MODES.get(kind)
    if mode is None:
        raise _refuse(custom_id, ".tool_choice.type", f"tool_choice {kind!r} is not supported")
    if kind == "tool":
        return {"mode": mode, "allowedFunctionNames": [tool_choice["name"]]}
    return {"mode": mode}


def _generation_config(custom_id: str, params: Mapping[str, Any]) -> dict:
    config: dict[str, Any] = {}
    max_tokens = params.get("max_tokens")
    if max_tokens is not None:
        config["maxOutputTokens"] = max_tokens
    value = params.get("temperature")
    if value is not None:
        config["temperature"] = value
    value = params.get("top_p")
    if value is not None:
        config["topP"] = value
    value = params.get("top_k")
    if value is not None:
        config["topK"] = int(value)
    stops = params.get("stop_sequences")
    if stops:
        if len(stops) > MAX_STOP_SEQUENCES:
            raise _refuse(
                custom_id,
                ".stop_sequences",
                f"Gemini accepts at most {MAX_STOP_SEQUENCES} stop sequences, got {len(stops)}",
            )
        config["stopSequences"] = list(stops)
    thinking = params.get("thinking")
    if thinking:
        thinking_config = _thinking_config(custom_id, thinking)
        if thinking_config is not None:
            config["thinkingConfig"] = thinking_config
    output_config = params.get("output_config")
    if output_config and output_config.get("format"):
        _apply_output_format(custom_id, ".output_config.format", output_config["format"], config)
    # output_config.effort has no Gemini equivalent across models; dropped (documented).
    output_format = params.get("output_format")
    if output_format:
        _apply_output_format(custom_id, ".output_format", output_format, config)
    return config


def _thinking_config(custom_id: str, thinking: Mapping) -> dict | None:
    kind = thinking.get("type")
    if kind == "enabled":
        return {"thinkingBudget": int(thinking["budget_tokens"])}
    if kind == "disabled":
        # No thinkingConfig at all: budget 0 is refused by models that cannot stop thinking (2.5 Pro,
        # 3 Pro), so each model keeps its own default.
        return None
    if kind == "adaptive":
        return {"thinkingBudget": -1}  # Gemini's "dynamic thinking": the model picks its budget
    raise _refuse(custom_id, ".thinking.type", f"thinking type {kind!r} has no Gemini equivalent")


def _apply_output_format(custom_id: str, where: str, fmt: Mapping, config: dict) -> None:
    if fmt.get("type") != "json_schema":
        raise _refuse(custom_id, f"{where}.type", f"format {fmt.get('type')!r} is not supported")
    config["responseMimeType"] = "application/json"
    config["responseJsonSchema"] = fmt["schema"]


# --- Gemini GenerateContentResponse → Anthropic result -----------------------------------------------------

_REFUSAL_REASONS = frozenset({"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII"})

# google.rpc.Status carries gRPC codes in real batch outputs; the emulator and some surfaces carry HTTP ones.
_HTTP_FOR_GRPC_CODE = {
    1: 400,  # CANCELLED (client side)
    2: 500,  # UNKNOWN
    3: 400,  # INVALID_ARGUMENT
    4: 504,  # DEADLINE_EXCEEDED
    5: 404,  # NOT_FOUND
    6: 409,  # ALREADY_EXISTS
    7: 403,  # PERMISSION_DENIED
    8: 429,  # RESOURCE_EXHAUSTED
    9: 400,  # FAILED_PRECONDITION
    10: 409,  # ABORTED
    11: 400,  # OUT_OF_RANGE
    12: 501,  # UNIMPLEMENTED
    13: 500,  # INTERNAL
    14: 503,  # UNAVAILABLE
    15: 500,  # DATA_LOSS
    16: 401,  # UNAUTHENTICATED
}
_HTTP_FOR_STATUS = {
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "OUT_OF_RANGE": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "ABORTED": 409,
    "RESOURCE_EXHAUSTED": 429,
    "UNIMPLEMENTED": 501,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}


def _stable_token(seed: str) -> str:
    return hashlib.blake2b(seed.encode(), digest_size=12).hexdigest()


def message_from_response(
    response: Mapping[str, Any], *, custom_id: str, model: str | None = None, id_seed: str = ""
) -> dict:
    """A GenerateContentResponse → an Anthropic Message dict.

    ``model`` (the request's model) stands in when the response has no ``modelVersion``; ``id_seed``
    (e.g. the provider batch name) keeps synthesized ids unique across batches that reuse custom_ids.
    """
    response_id = response.get("responseId")
    message_id = "msg_" + (response_id or _stable_token(f"{id_seed}/{custom_id}"))
    content: list[dict] = []
    stop_reason = "end_turn"
    candidates = response.get("candidates")
    if candidates:
        candidate = candidates[0]
        has_call = False
        parts = (candidate.get("content") or {}).get("parts")
        if parts:
            text_block: dict | None = None  # the text block consecutive text parts merge into
            for part in parts:
                if part.get("thought"):
                    continue  # Gemini's reasoning summary, not part of the answer
                text = part.get("text")
                if text is not None:
                    if not text:
                        continue
                    if text_block is None:
                        text_block = {"type": "text", "text": text}
                        content.append(text_block)
                    else:
                        text_block["text"] += text
                    continue
                call = part.get("functionCall")
                if call is not None:
                    text_block = None
                    call_id = call.get("id") or "toolu_" + _stable_token(f"{message_id}/{len(content)}")
                    content.append(
                        {
                            "type": "tool_use",
                            "id": call_id,
                            "name": call["name"],
                            "input": call.get("args") or {},
                        }
                    )
                    has_call = True
        reason = candidate.get("finishReason")
        if reason == "MAX_TOKENS":
            stop_reason = "max_tokens"
        elif reason in _REFUSAL_REASONS or (reason and reason.startswith("IMAGE_")):
            stop_reason = "refusal"
        elif has_call:
            stop_reason = "tool_use"  # Gemini reports STOP for tool calls
    elif (response.get("promptFeedback") or {}).get("blockReason"):
        stop_reason = "refusal"

    usage = response.get("usageMetadata") or {}
    cached = usage.get("cachedContentTokenCount") or 0
    input_tokens = (usage.get("promptTokenCount") or 0) - cached + (usage.get("toolUsePromptTokenCount") or 0)
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": response.get("modelVersion") or model or "",
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": input_tokens if input_tokens > 0 else 0,
            "output_tokens": (usage.get("candidatesTokenCount") or 0)
            + (usage.get("thoughtsTokenCount") or 0),
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": cached,
            "service_tier": "batch",
        },
    }


def errored_from_status(status: Mapping[str, Any]) -> dict:
    """A google.rpc.Status-like ``{code, message, status}`` → an Anthropic errored result (or ``canceled``
    for a request its cancelled batch never ran: gRPC CANCELLED)."""
    code = status.get("code")
    name = status.get("status")
    if code == 1 or name == "CANCELLED":
        return {"type": "canceled"}
    if isinstance(code, int) and 100 <= code < 600:
        http = code
    elif isinstance(code, int) and code in _HTTP_FOR_GRPC_CODE:
        http = _HTTP_FOR_GRPC_CODE[code]
    else:
        http = _HTTP_FOR_STATUS.get(name, 500)
    message = status.get("message") or "Gemini could not process this request"
    if name:
        message = f"{message} ({name})"
    return errored_result(http, message)


def result_from_output(
    output: Mapping[str, Any], *, custom_id: str, model: str | None = None, id_seed: str = ""
) -> dict:
    """An inline item or file line (``response`` or ``error``) → an Anthropic batch ``result`` member.

    Never raises: one unreadable output must not stop the other results of the batch from materializing.
    """
    try:
        response = output.get("response")
        if response is not None:
            message = message_from_response(response, custom_id=custom_id, model=model, id_seed=id_seed)
            return {"type": "succeeded", "message": message}
        error = output.get("error")
        if error is not None:
            return errored_from_status(error)
    except (KeyError, TypeError, AttributeError, ValueError):
        return errored_result(500, "Gemini returned a response the gateway could not read")
    return errored_result(500, "Gemini returned neither a response nor an error for this request")


def inline_item_key(item: Any) -> str | None:
    """custom_id of an inline response item (``metadata.key``); None when Gemini left it out."""
    metadata = item.get("metadata") if isinstance(item, dict) else None
    key = metadata.get("key") if isinstance(metadata, dict) else None
    return key if isinstance(key, str) else None


def file_line_key(line: Any) -> str | None:
    """custom_id of a responses-file line (``key``)."""
    key = line.get("key") if isinstance(line, dict) else None
    return key if isinstance(key, str) else None


# --- batch operation JSON ---------------------------------------------------------------------------------

TERMINAL_STATES = frozenset({"SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED"})


def batch_state(operation: Mapping[str, Any]) -> str:
    """``metadata.state`` without its ``BATCH_STATE_``/``JOB_STATE_`` prefix (``UNSPECIFIED`` when absent).

    A long-running operation that is ``done`` with an ``error`` and no state of its own has failed."""
    state = (operation.get("metadata") or {}).get("state") or "STATE_UNSPECIFIED"
    if state.endswith("STATE_UNSPECIFIED") and operation.get("done") and operation.get("error"):
        return "FAILED"
    for prefix in ("BATCH_STATE_", "JOB_STATE_", "STATE_"):
        if state.startswith(prefix):
            return state[len(prefix) :]
    return state


def batch_stats(operation: Mapping[str, Any]) -> dict[str, int]:
    """``batchStats`` with int64 strings as ints and omitted (zero) counters as 0."""
    stats = (operation.get("metadata") or {}).get("batchStats") or {}
    return {
        name: int(stats.get(name) or 0)
        for name in ("requestCount", "successfulRequestCount", "failedRequestCount", "pendingRequestCount")
    }


def _outputs(operation: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = []
    output = (operation.get("metadata") or {}).get("output")
    if output:
        found.append(output)
    response = operation.get("response")
    if response:
        found.append(response)
    return found


def inlined_responses(operation: Mapping[str, Any]) -> list[dict] | None:
    """Inline output items, under ``metadata.output`` or ``response`` (real responses carry both)."""
    for output in _outputs(operation):
        holder = output.get("inlinedResponses")
        if holder and holder.get("inlinedResponses") is not None:
            return holder["inlinedResponses"]
    return None


def has_output(operation: Mapping[str, Any]) -> bool:
    """Whether the operation carries its results yet (inline items or a responses file)."""
    return inlined_responses(operation) is not None or responses_file(operation) is not None


def responses_file(operation: Mapping[str, Any]) -> str | None:
    """Name (``files/...``) of the JSONL output file, when the batch wrote one."""
    for output in _outputs(operation):
        name = output.get("responsesFile")
        if name:
            return name
    return None


def operation_error_message(operation: Mapping[str, Any]) -> str | None:
    error = operation.get("error") or (operation.get("metadata") or {}).get("error")
    return error.get("message") if error else None

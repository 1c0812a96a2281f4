"""Anthropic ↔ Gemini translation: what a user sending Anthropic batches to Gemini gets on each side.

Produced Gemini requests are checked against google-genai's own types (which accept the camelCase wire
names and forbid unknown fields); produced messages and results against the anthropic SDK's types.
"""

from __future__ import annotations

import json

import pytest
from anthropic.types import Message
from anthropic.types.messages import MessageBatchIndividualResponse
from google.genai import types as gtypes

from handlers.errors import ApiError
from handlers.providers.base import FileRef
from handlers.translate import gemini

TOOL = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def params(**overrides) -> dict:
    base = {"model": "gemini-2.5-flash", "max_tokens": 100, "messages": [{"role": "user", "content": "Hi"}]}
    base.update(overrides)
    return base


def to_gemini(p: dict, files=None, custom_id: str = "abc") -> dict:
    request = gemini.to_gemini_request(custom_id, p, files or {})
    assert_valid_gemini_request(request)
    return request


def assert_valid_gemini_request(request: dict) -> None:
    """Every produced request must parse with google-genai's types, field names and all."""
    assert set(request) <= {"contents", "systemInstruction", "tools", "toolConfig", "generationConfig"}
    for content in request["contents"]:
        gtypes.Content.model_validate_json(json.dumps(content))
    if "systemInstruction" in request:
        gtypes.Content.model_validate_json(json.dumps(request["systemInstruction"]))
    for tool in request.get("tools", []):
        gtypes.Tool.model_validate_json(json.dumps(tool))
    if "toolConfig" in request:
        gtypes.ToolConfig.model_validate_json(json.dumps(request["toolConfig"]))
    gtypes.GenerationConfig.model_validate_json(json.dumps(request["generationConfig"]))


def refusal(p: dict, files=None, custom_id: str = "abc") -> str:
    with pytest.raises(ApiError) as caught:
        gemini.to_gemini_request(custom_id, p, files or {})
    assert caught.value.status == 400
    assert caught.value.error_type == "invalid_request_error"
    assert f"requests[custom_id={custom_id}].params" in caught.value.message
    return caught.value.message


# --- requests: Anthropic → Gemini ------------------------------------------------------------------------


def test_model_names_with_or_without_prefix_become_the_models_path():
    assert gemini.canonical_model("gemini-2.5-flash") == "models/gemini-2.5-flash"
    assert gemini.canonical_model("models/gemini-2.5-flash") == "models/gemini-2.5-flash"


def test_plain_prompt_becomes_one_user_turn_with_max_output_tokens():
    request = to_gemini(params())
    assert request == {
        "contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
        "generationConfig": {"maxOutputTokens": 100},
    }


def test_system_string_and_text_blocks_become_system_instruction():
    assert to_gemini(params(system="Be brief."))["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    blocks = [
        {"type": "text", "text": "One."},
        {"type": "text", "text": "Two.", "cache_control": {"type": "ephemeral"}},
    ]
    assert to_gemini(params(system=blocks))["systemInstruction"] == {
        "parts": [{"text": "One."}, {"text": "Two."}]
    }


def test_multi_turn_roles_map_to_user_and_model_and_same_role_turns_merge():
    messages = [
        {"role": "user", "content": "a"},
        {"role": "user", "content": [{"type": "text", "text": "b"}]},
        {"role": "assistant", "content": "c"},
        {"role": "user", "content": "d"},
    ]
    assert to_gemini(params(messages=messages))["contents"] == [
        {"role": "user", "parts": [{"text": "a"}, {"text": "b"}]},
        {"role": "model", "parts": [{"text": "c"}]},
        {"role": "user", "parts": [{"text": "d"}]},
    ]


def test_leading_system_role_message_joins_the_system_instruction_but_a_later_one_is_refused():
    lead = [{"role": "system", "content": "Rules."}, {"role": "user", "content": "Hi"}]
    request = to_gemini(params(system="Base.", messages=lead))
    assert request["systemInstruction"] == {"parts": [{"text": "Base."}, {"text": "Rules."}]}
    assert request["contents"] == [{"role": "user", "parts": [{"text": "Hi"}]}]
    late = [{"role": "user", "content": "Hi"}, {"role": "system", "content": "Rules."}]
    assert ".messages[1].role" in refusal(params(messages=late))


def test_sampling_parameters_map_to_generation_config():
    request = to_gemini(params(temperature=0.2, top_p=0.9, top_k=40, stop_sequences=["END", "STOP"]))
    assert request["generationConfig"] == {
        "maxOutputTokens": 100,
        "temperature": 0.2,
        "topP": 0.9,
        "topK": 40,
        "stopSequences": ["END", "STOP"],
    }
    assert isinstance(request["generationConfig"]["topK"], int)


def test_more_than_five_stop_sequences_are_refused_naming_the_request():
    message = refusal(params(stop_sequences=list("abcdef")), custom_id="req-7")
    assert "requests[custom_id=req-7].params.stop_sequences" in message
    assert "at most 5" in message


@pytest.mark.parametrize(
    ("thinking", "expected"),
    [
        ({"type": "enabled", "budget_tokens": 2048}, {"thinkingBudget": 2048}),
        ({"type": "adaptive"}, {"thinkingBudget": -1}),
    ],
)
def test_thinking_maps_to_thinking_budget(thinking, expected):
    assert to_gemini(params(thinking=thinking))["generationConfig"]["thinkingConfig"] == expected


def test_disabled_thinking_sends_no_thinking_config():
    # A budget of 0 is refused by Gemini models that cannot stop thinking (2.5 Pro, 3 Pro).
    assert to_gemini(params(thinking={"type": "disabled"}))["generationConfig"] == {"maxOutputTokens": 100}


def test_structured_output_format_maps_to_response_json_schema():
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}}
    config = to_gemini(params(output_config={"format": {"type": "json_schema", "schema": schema}}))[
        "generationConfig"
    ]
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"] == schema


def test_base64_image_and_pdf_become_inline_data_and_plain_text_document_becomes_text():
    content = [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "aGVsbG8="}},
        {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERg=="},
        },
        {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "plain words"}},
        {"type": "text", "text": "Compare them."},
    ]
    parts = to_gemini(params(messages=[{"role": "user", "content": content}]))["contents"][0]["parts"]
    assert parts == [
        {"inlineData": {"mimeType": "image/png", "data": "aGVsbG8="}},
        {"inlineData": {"mimeType": "application/pdf", "data": "JVBERg=="}},
        {"text": "plain words"},
        {"text": "Compare them."},
    ]


def test_a_document_with_content_blocks_becomes_its_text_and_image_parts():
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/webp", "data": "UklG"}}
    document = {
        "type": "document",
        "source": {"type": "content", "content": [{"type": "text", "text": "p1"}, image]},
    }
    parts = to_gemini(params(messages=[{"role": "user", "content": [document]}]))["contents"][0]["parts"]
    assert parts == [{"text": "p1"}, {"inlineData": {"mimeType": "image/webp", "data": "UklG"}}]


def test_a_gif_image_is_refused_up_front_naming_the_request_since_gemini_reads_no_gif():
    gif = {"type": "image", "source": {"type": "base64", "media_type": "image/gif", "data": "R0lG"}}
    message = refusal(params(messages=[{"role": "user", "content": [gif]}]))
    assert "custom_id=abc" in message and ".messages[0].content[0].source.media_type" in message
    assert "image/gif" in message
    held = FileRef("file_gif", "gemini", "files/g1", "a.gif", "image/gif", "https://g/v1beta/files/g1")
    by_file = {"type": "image", "source": {"type": "file", "file_id": "file_gif"}}
    with pytest.raises(ApiError, match="image/gif"):
        gemini.to_gemini_request(
            "abc", params(messages=[{"role": "user", "content": [by_file]}]), {"file_gif": held}
        )


def test_empty_text_is_left_out_since_gemini_refuses_a_part_without_data():
    messages = [
        {"role": "user", "content": [{"type": "text", "text": ""}, {"type": "text", "text": "Hi"}]},
        {"role": "assistant", "content": ""},
        {"role": "user", "content": [{"type": "text", "text": "again"}]},
    ]
    request = to_gemini(params(system=[{"type": "text", "text": ""}], messages=messages))
    assert "systemInstruction" not in request
    # The empty assistant turn disappears, so the two user turns become one, as Anthropic combines them.
    assert request["contents"] == [{"role": "user", "parts": [{"text": "Hi"}, {"text": "again"}]}]
    assert "no message has content" in refusal(params(messages=[{"role": "user", "content": ""}]))


@pytest.mark.parametrize(
    "model", ["../batches/x:cancel#", "gemini-2.5-flash?alt=x", "models/../files", "a/b", ""]
)
def test_a_model_name_that_could_leave_its_url_segment_is_refused(model):
    assert ".model" in refusal(params(model=model))


def test_the_beta_output_format_maps_like_output_config_and_effort_is_dropped():
    schema = {"type": "object"}
    beta = to_gemini(params(output_format={"type": "json_schema", "schema": schema}))["generationConfig"]
    assert beta["responseJsonSchema"] == schema
    effort_only = to_gemini(params(output_config={"effort": "high"}))
    assert effort_only == to_gemini(params())
    assert ".output_format.type" in refusal(params(output_format={"type": "regex", "schema": {}}))


def test_a_thinking_mode_without_gemini_equivalent_is_refused():
    assert ".thinking.type" in refusal(params(thinking={"type": "between_tools"}))


def file_ref(provider: str, uri: str | None = "https://gemini.example/v1beta/files/abc") -> FileRef:
    return FileRef(
        id="file_0123456789abcdefghijklmn",
        provider=provider,
        provider_file_id="files/abc",
        filename="report.pdf",
        mime_type="application/pdf",
        uri=uri,
    )


def file_block(kind: str = "document") -> dict:
    return {"type": kind, "source": {"type": "file", "file_id": "file_0123456789abcdefghijklmn"}}


def test_a_gemini_held_gateway_file_becomes_file_data_with_its_uri():
    files = {"file_0123456789abcdefghijklmn": file_ref("gemini")}
    request = to_gemini(
        params(messages=[{"role": "user", "content": [file_block(), file_block("image")]}]), files
    )
    expected = {
        "fileData": {"mimeType": "application/pdf", "fileUri": "https://gemini.example/v1beta/files/abc"}
    }
    assert request["contents"][0]["parts"] == [expected, expected]


def test_a_file_held_by_another_provider_is_refused_with_how_to_fix_it():
    files = {"file_0123456789abcdefghijklmn": file_ref("openai")}
    message = refusal(
        params(messages=[{"role": "user", "content": [file_block()]}]), files, custom_id="doc-1"
    )
    assert "requests[custom_id=doc-1].params.messages[0].content[0].source.file_id" in message
    assert "x-model-provider: gemini" in message


def test_an_unknown_file_id_is_refused():
    message = refusal(params(messages=[{"role": "user", "content": [file_block()]}]), {})
    assert "not found" in message


def test_image_url_sources_are_refused():
    content = [{"type": "image", "source": {"type": "url", "url": "https://example.com/cat.png"}}]
    message = refusal(params(messages=[{"role": "user", "content": content}]))
    assert ".messages[0].content[0].source" in message
    assert "URL" in message


def tool_round_trip(**result_fields) -> list[dict]:
    return [
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}},
            ],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01", **result_fields}]},
    ]


def test_tool_round_trip_maps_calls_and_results_with_the_name_looked_up():
    request = to_gemini(params(tools=[TOOL], messages=tool_round_trip(content="18 C")))
    assert request["contents"][1] == {
        "role": "model",
        "parts": [
            {"text": "Checking."},  # the thinking block is dropped
            {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}, "id": "toolu_01"}},
        ],
    }
    assert request["contents"][2] == {
        "role": "user",
        "parts": [
            {"functionResponse": {"name": "get_weather", "response": {"content": "18 C"}, "id": "toolu_01"}}
        ],
    }


def test_replayed_calls_carry_the_signature_placeholder_unless_the_model_is_gemini_1_or_2():
    for model in ("gemini-3-pro-preview", "models/gemini-3.1-flash", "gemini-flash-latest"):
        request = to_gemini(params(model=model, tools=[TOOL], messages=tool_round_trip(content="18 C")))
        call = request["contents"][1]["parts"][1]
        assert call["thoughtSignature"] == "skip_thought_signature_validator"
        assert "thoughtSignature" not in request["contents"][1]["parts"][0]
    older = to_gemini(
        params(model="gemini-2.5-flash", tools=[TOOL], messages=tool_round_trip(content="18 C"))
    )
    assert "thoughtSignature" not in older["contents"][1]["parts"][1]


def test_tool_result_blocks_join_their_text_and_errors_use_the_error_key():
    blocks = [{"type": "text", "text": "line 1"}, {"type": "text", "text": "line 2"}]
    ok = to_gemini(params(tools=[TOOL], messages=tool_round_trip(content=blocks)))
    assert ok["contents"][2]["parts"][0]["functionResponse"]["response"] == {"content": "line 1\nline 2"}
    failed = to_gemini(params(tools=[TOOL], messages=tool_round_trip(content="city unknown", is_error=True)))
    assert failed["contents"][2]["parts"][0]["functionResponse"]["response"] == {"error": "city unknown"}


def test_tool_result_images_travel_as_parts_after_the_function_response():
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "aGk="}}
    request = to_gemini(
        params(tools=[TOOL], messages=tool_round_trip(content=[{"type": "text", "text": "map"}, image]))
    )
    assert request["contents"][2]["parts"][1] == {"inlineData": {"mimeType": "image/jpeg", "data": "aGk="}}


def test_tool_result_without_an_earlier_tool_use_is_refused():
    messages = [
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_missing", "content": "x"}]}
    ]
    message = refusal(params(messages=messages), custom_id="t-9")
    assert "requests[custom_id=t-9].params.messages[0].content[0].tool_use_id" in message
    assert "toolu_missing" in message


def test_tools_become_function_declarations_with_the_json_schema_passed_through():
    tool = dict(TOOL, cache_control={"type": "ephemeral"}, type="custom")
    declarations = to_gemini(params(tools=[tool, {"name": "ping", "input_schema": {"type": "object"}}]))[
        "tools"
    ]
    assert declarations == [
        {
            "functionDeclarations": [
                {
                    "name": "get_weather",
                    "description": "Weather for a city",
                    "parametersJsonSchema": TOOL["input_schema"],
                },
                {"name": "ping", "parametersJsonSchema": {"type": "object"}},
            ]
        }
    ]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ({"type": "auto"}, {"mode": "AUTO"}),
        ({"type": "any", "disable_parallel_tool_use": True}, {"mode": "ANY"}),
        ({"type": "tool", "name": "get_weather"}, {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}),
        ({"type": "none"}, {"mode": "NONE"}),
    ],
)
def test_tool_choice_maps_to_function_calling_mode(choice, expected):
    request = to_gemini(params(tools=[TOOL], tool_choice=choice))
    assert request["toolConfig"] == {"functionCallingConfig": expected}


@pytest.mark.parametrize(
    "choice", [{"type": "auto"}, {"type": "any"}, {"type": "tool", "name": "get_weather"}, {"type": "none"}]
)
def test_tool_choice_without_tools_sends_no_tool_config(choice):
    # Gemini refuses "Function calling config is set without function_declarations".
    request = to_gemini(params(tool_choice=choice))
    assert "toolConfig" not in request
    assert "tools" not in request


def test_an_unknown_tool_choice_is_refused_even_without_tools():
    assert ".tool_choice.type" in refusal(params(tool_choice={"type": "sometimes"}))


def test_server_tools_are_refused_naming_the_field():
    tools = [TOOL, {"type": "web_search_20250305", "name": "web_search"}]
    message = refusal(params(tools=tools), custom_id="s1")
    assert "requests[custom_id=s1].params.tools[1].type" in message
    assert "web_search_20250305" in message


def test_metadata_and_cache_control_are_dropped_silently():
    p = params(metadata={"user_id": "u1"}, cache_control={"type": "ephemeral"}, service_tier="auto")
    assert to_gemini(p) == to_gemini(params())


def test_params_that_would_change_the_answer_are_refused():
    assert ".container" in refusal(params(container="cntr_1"))
    assert ".mcp_servers" in refusal(params(mcp_servers=[{"type": "url", "url": "https://x", "name": "x"}]))


def test_unsupported_content_blocks_are_refused_with_their_position():
    content = [
        {"type": "text", "text": "see"},
        {"type": "search_result", "source": "s", "title": "t", "content": []},
    ]
    assert ".messages[0].content[1].type" in refusal(params(messages=[{"role": "user", "content": content}]))


@pytest.mark.parametrize(
    "messages",
    [
        [{"role": "user", "content": [{"type": "text"}]}],
        [{"role": "user", "content": ["just a string"]}],
        [{"role": "user", "content": [{"type": "image", "source": {"type": "base64", "data": "aGk="}}]}],
    ],
)
def test_malformed_requests_are_400s_not_crashes(messages):
    assert "malformed request" in refusal(params(messages=messages))


# --- responses: Gemini → Anthropic -----------------------------------------------------------------------


def gemini_response(parts=None, finish="STOP", usage=None, **extra) -> dict:
    response = {
        "candidates": [
            {"content": {"role": "model", "parts": parts or [{"text": "Hello"}]}, "finishReason": finish}
        ],
        "usageMetadata": usage or {"promptTokenCount": 10, "candidatesTokenCount": 3, "totalTokenCount": 13},
        "modelVersion": "gemini-2.5-flash",
        "responseId": "resp-1",
    }
    response.update(extra)
    gtypes.GenerateContentResponse.model_validate_json(json.dumps(response))  # a realistic fixture
    return response


def succeeded(response: dict, custom_id: str = "abc", **kwargs) -> dict:
    result = gemini.result_from_output({"response": response}, custom_id=custom_id, **kwargs)
    MessageBatchIndividualResponse.model_validate({"custom_id": custom_id, "result": result})
    assert result["type"] == "succeeded"
    Message.model_validate(result["message"])
    return result["message"]


def test_text_response_becomes_an_anthropic_message():
    message = succeeded(gemini_response())
    assert message == {
        "id": "msg_resp-1",
        "type": "message",
        "role": "assistant",
        "model": "gemini-2.5-flash",
        "content": [{"type": "text", "text": "Hello"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 10,
            "output_tokens": 3,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "service_tier": "batch",
        },
    }


def test_consecutive_text_parts_merge_and_thought_parts_are_skipped():
    parts = [{"text": "secret plan", "thought": True}, {"text": "Hel"}, {"text": "lo"}]
    assert succeeded(gemini_response(parts))["content"] == [{"type": "text", "text": "Hello"}]


def test_function_call_becomes_tool_use_and_stop_becomes_tool_use():
    parts = [
        {"text": "Let me look."},
        {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}, "id": "c1"}},
    ]
    message = succeeded(gemini_response(parts))
    assert message["content"][1] == {
        "type": "tool_use",
        "id": "c1",
        "name": "get_weather",
        "input": {"city": "Paris"},
    }
    assert message["stop_reason"] == "tool_use"


def test_function_calls_without_ids_get_distinct_deterministic_tool_use_ids():
    parts = [{"functionCall": {"name": "a", "args": {}}}, {"functionCall": {"name": "b"}}]
    first = succeeded(gemini_response(parts))
    again = succeeded(gemini_response(parts))
    ids = [block["id"] for block in first["content"]]
    assert all(i.startswith("toolu_") for i in ids)
    assert len(set(ids)) == 2
    assert ids == [block["id"] for block in again["content"]]
    assert first["content"][1]["input"] == {}


def test_tool_round_trip_feeds_the_synthesized_id_back_to_its_name():
    message = succeeded(
        gemini_response([{"functionCall": {"name": "get_weather", "args": {"city": "Oslo"}}}])
    )
    messages = [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": message["content"]},
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": message["content"][0]["id"], "content": "-3 C"}
            ],
        },
    ]
    response = to_gemini(params(tools=[TOOL], messages=messages))["contents"][2]["parts"][0][
        "functionResponse"
    ]
    assert response["name"] == "get_weather"
    assert response["response"] == {"content": "-3 C"}


@pytest.mark.parametrize(
    ("finish", "stop_reason"),
    [
        ("STOP", "end_turn"),
        ("MAX_TOKENS", "max_tokens"),
        ("SAFETY", "refusal"),
        ("RECITATION", "refusal"),
        ("BLOCKLIST", "refusal"),
        ("PROHIBITED_CONTENT", "refusal"),
        ("SPII", "refusal"),
        ("IMAGE_SAFETY", "refusal"),
        ("OTHER", "end_turn"),
        ("MALFORMED_FUNCTION_CALL", "end_turn"),
    ],
)
def test_finish_reasons_map_to_stop_reasons(finish, stop_reason):
    assert succeeded(gemini_response(finish=finish))["stop_reason"] == stop_reason


def test_a_blocked_prompt_is_a_refusal_with_empty_content():
    response = {
        "promptFeedback": {"blockReason": "SAFETY"},
        "usageMetadata": {"promptTokenCount": 7, "totalTokenCount": 7},
        "modelVersion": "gemini-2.5-flash",
    }
    gtypes.GenerateContentResponse.model_validate_json(json.dumps(response))
    message = succeeded(response)
    assert message["content"] == []
    assert message["stop_reason"] == "refusal"
    assert message["usage"]["input_tokens"] == 7
    assert message["usage"]["output_tokens"] == 0


def test_usage_subtracts_cached_tokens_and_adds_thoughts_to_output():
    usage = {
        "promptTokenCount": 100,
        "cachedContentTokenCount": 60,
        "candidatesTokenCount": 20,
        "thoughtsTokenCount": 15,
        "totalTokenCount": 135,
    }
    assert succeeded(gemini_response(usage=usage))["usage"] == {
        "input_tokens": 40,
        "output_tokens": 35,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 60,
        "service_tier": "batch",
    }


def test_missing_counters_count_as_zero_and_missing_model_version_uses_the_request_model():
    response = {
        "candidates": [{"content": {"role": "model", "parts": [{"text": "x"}]}, "finishReason": "STOP"}]
    }
    message = succeeded(response, model="gemini-2.5-pro")
    assert message["model"] == "gemini-2.5-pro"
    assert message["usage"]["input_tokens"] == 0
    assert message["usage"]["output_tokens"] == 0


def test_message_ids_are_stable_and_differ_between_requests_and_batches_without_response_id():
    response = {
        "candidates": [{"content": {"role": "model", "parts": [{"text": "x"}]}, "finishReason": "STOP"}]
    }
    a1 = succeeded(response, custom_id="a", id_seed="batches/1")["id"]
    assert a1 == succeeded(response, custom_id="a", id_seed="batches/1")["id"]
    assert a1 != succeeded(response, custom_id="b", id_seed="batches/1")["id"]
    assert a1 != succeeded(response, custom_id="a", id_seed="batches/2")["id"]
    assert a1.startswith("msg_")


@pytest.mark.parametrize(
    ("status", "http_type"),
    [
        ({"code": 400, "message": "bad", "status": "INVALID_ARGUMENT"}, "invalid_request_error"),
        ({"code": 429, "message": "slow down", "status": "RESOURCE_EXHAUSTED"}, "rate_limit_error"),
        ({"code": 500, "message": "boom", "status": "INTERNAL"}, "api_error"),
        ({"code": 3, "message": "bad"}, "invalid_request_error"),  # gRPC code in a google.rpc.Status
        ({"message": "who knows", "status": "NOT_FOUND"}, "not_found_error"),
    ],
)
def test_error_items_become_errored_results_with_the_anthropic_envelope(status, http_type):
    result = gemini.result_from_output({"error": status}, custom_id="e1")
    MessageBatchIndividualResponse.model_validate({"custom_id": "e1", "result": result})
    assert result["type"] == "errored"
    assert result["error"]["type"] == "error"
    assert result["error"]["error"]["type"] == http_type
    assert status["message"] in result["error"]["error"]["message"]


@pytest.mark.parametrize(
    "status", [{"code": 1, "message": "Cancelled."}, {"status": "CANCELLED", "message": "x"}]
)
def test_an_item_its_cancelled_batch_never_ran_is_canceled_not_errored(status):
    assert gemini.result_from_output({"error": status}, custom_id="c1") == {"type": "canceled"}


def test_an_unreadable_gemini_response_becomes_an_errored_result():
    result = gemini.result_from_output(
        {"response": {"candidates": [{"content": {"parts": ["junk"]}}]}}, custom_id="x"
    )
    assert result["type"] == "errored"
    assert result["error"]["error"]["type"] == "api_error"


@pytest.mark.parametrize(
    "output",
    [
        {"error": "not a status object"},
        {"response": "not a response object"},
        {"response": {"candidates": "junk"}},
        ["not", "an", "item"],
    ],
)
def test_any_unreadable_output_becomes_an_errored_result_instead_of_raising(output):
    result = gemini.result_from_output(output, custom_id="x")
    MessageBatchIndividualResponse.model_validate({"custom_id": "x", "result": result})
    assert result["type"] == "errored"
    assert result["error"]["error"]["type"] == "api_error"


@pytest.mark.parametrize(
    "item",
    [
        {"response": {}},
        {"response": {}, "metadata": None},
        {"response": {}, "metadata": {}},
        {"response": {}, "metadata": {"key": 7}},
        {"response": {}, "metadata": "key"},
        "not an item",
    ],
)
def test_inline_items_without_a_usable_key_have_none(item):
    assert gemini.inline_item_key(item) is None


def test_file_lines_without_a_usable_key_have_none():
    assert gemini.file_line_key({"response": {}}) is None
    assert gemini.file_line_key({"key": None}) is None
    assert gemini.file_line_key(["key"]) is None


# --- batch operation JSON ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "state"),
    [
        ("BATCH_STATE_PENDING", "PENDING"),
        ("BATCH_STATE_RUNNING", "RUNNING"),
        ("BATCH_STATE_SUCCEEDED", "SUCCEEDED"),
        ("JOB_STATE_SUCCEEDED", "SUCCEEDED"),
        ("JOB_STATE_CANCELLED", "CANCELLED"),
        ("BATCH_STATE_EXPIRED", "EXPIRED"),
        ("BATCH_STATE_FAILED", "FAILED"),
    ],
)
def test_state_is_read_with_either_prefix(raw, state):
    assert gemini.batch_state({"name": "batches/b", "metadata": {"state": raw}}) == state


def test_missing_state_is_unspecified():
    assert gemini.batch_state({"name": "batches/b", "metadata": {}}) == "UNSPECIFIED"


def test_a_done_operation_with_an_error_and_no_state_has_failed():
    error = {"code": 13, "message": "Internal error."}
    assert gemini.batch_state({"name": "batches/b", "done": True, "error": error}) == "FAILED"
    assert gemini.batch_state({"name": "batches/b", "done": False, "error": error}) == "UNSPECIFIED"


def test_batch_stats_are_ints_with_omitted_counters_as_zero():
    operation = {"metadata": {"batchStats": {"requestCount": "3", "pendingRequestCount": "3"}}}
    assert gemini.batch_stats(operation) == {
        "requestCount": 3,
        "successfulRequestCount": 0,
        "failedRequestCount": 0,
        "pendingRequestCount": 3,
    }
    assert gemini.batch_stats({"metadata": {}})["requestCount"] == 0


def test_inlined_responses_are_found_under_metadata_output_or_response():
    items = [{"response": gemini_response(), "metadata": {"key": "a"}}]
    under_metadata = {"metadata": {"output": {"inlinedResponses": {"inlinedResponses": items}}}}
    under_response = {"metadata": {}, "response": {"inlinedResponses": {"inlinedResponses": items}}}
    assert gemini.inlined_responses(under_metadata) == items
    assert gemini.inlined_responses(under_response) == items
    assert gemini.inlined_responses({"metadata": {"state": "BATCH_STATE_RUNNING"}}) is None
    assert gemini.inline_item_key(items[0]) == "a"


def test_output_is_attached_once_inline_items_or_a_responses_file_appear():
    items = [{"response": gemini_response(), "metadata": {"key": "a"}}]
    assert not gemini.has_output({"metadata": {"state": "BATCH_STATE_SUCCEEDED"}, "done": True})
    assert not gemini.has_output({"metadata": {"state": "BATCH_STATE_SUCCEEDED", "output": {}}})
    assert gemini.has_output({"metadata": {"output": {"inlinedResponses": {"inlinedResponses": items}}}})
    assert gemini.has_output({"response": {"responsesFile": "files/out"}})


def test_responses_file_is_found_under_metadata_output_or_response():
    assert gemini.responses_file({"metadata": {"output": {"responsesFile": "files/out1"}}}) == "files/out1"
    assert gemini.responses_file({"response": {"responsesFile": "files/out2"}}) == "files/out2"
    assert gemini.responses_file({"metadata": {}}) is None
    assert gemini.file_line_key({"key": "k", "response": {}}) == "k"

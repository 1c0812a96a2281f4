"""Anthropic ⇄ OpenAI batch-line translation, checked against both official SDKs' own types."""

from __future__ import annotations

import base64
import json

import anthropic.types
import openai.types.chat
import pydantic
import pytest
from anthropic.types.messages import MessageBatchIndividualResponse
from openai.types.chat import completion_create_params

from handlers.errors import ApiError
from handlers.providers.base import FileRef
from handlers.translate.openai import (
    TOOL_ERROR_PREFIX,
    encode_line,
    message_from_completion,
    request_line,
    result_from_line,
)

# --- helpers ------------------------------------------------------------------------------------------------

_BODY = pydantic.TypeAdapter(completion_create_params.CompletionCreateParamsNonStreaming)
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
PDF = (
    "JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoKdHJhaWxlcgo8PC9Sb290IDEgMCBSPj4KJSVFT0YK"
)
WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def _materialize(value):
    """pydantic validates the SDK's ``Iterable[...]`` fields lazily; pull them so every item is checked."""
    if isinstance(value, dict):
        return {k: _materialize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_materialize(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return [_materialize(v) for v in value]


def assert_valid_openai_body(body: dict) -> None:
    """Strictly valid for the openai SDK's CompletionCreateParams, with no field the SDK does not define.

    TypedDict validation drops unknown keys, so comparing the validated copy with the original catches any
    field OpenAI would not know (and any value coerced into another type).
    """
    validated = _materialize(_BODY.validate_python(body, strict=True))
    assert validated == body


def openai_line(params: dict, custom_id: str = "req-1", files: dict | None = None) -> dict:
    line = request_line({"custom_id": custom_id, "params": params}, files or {})
    assert line["custom_id"] == custom_id
    assert line["method"] == "POST"
    assert line["url"] == "/v1/chat/completions"
    assert set(line) == {"custom_id", "method", "url", "body"}
    assert_valid_openai_body(line["body"])
    assert json.loads(encode_line(line)) == line
    return line


def body_of(params: dict, **kwargs) -> dict:
    return openai_line(params, **kwargs)["body"]


def refusal(params: dict, custom_id: str = "abc", files: dict | None = None) -> str:
    with pytest.raises(ApiError) as info:
        request_line({"custom_id": custom_id, "params": params}, files or {})
    assert info.value.status == 400
    assert info.value.error_type == "invalid_request_error"
    assert f"requests[custom_id={custom_id}].params" in info.value.message
    return info.value.message


def params(*messages, **extra) -> dict:
    return {"model": "gpt-4o-mini", "max_tokens": 100, "messages": list(messages), **extra}


def user(content) -> dict:
    return {"role": "user", "content": content}


def assistant(content) -> dict:
    return {"role": "assistant", "content": content}


def tool_use(tool_id: str, name: str = "get_weather", input: dict | None = None) -> dict:
    return {
        "type": "tool_use",
        "id": tool_id,
        "name": name,
        "input": input if input is not None else {"city": "Oslo"},
    }


def tool_result(tool_id: str, content="14 °C", **extra) -> dict:
    return {"type": "tool_result", "tool_use_id": tool_id, "content": content, **extra}


def completion(message: dict, finish_reason: str = "stop", usage: dict | None = None, **extra) -> dict:
    body = {
        "id": "chatcmpl-AbC123",
        "object": "chat.completion",
        "created": 1_760_000_000,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": None, "refusal": None, **message},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": usage
        or {
            "prompt_tokens": 30,
            "completion_tokens": 7,
            "total_tokens": 37,
            "prompt_tokens_details": {"cached_tokens": 0},
        },
        **extra,
    }
    openai.types.chat.ChatCompletion.model_validate(body)  # the fixture is a real OpenAI shape
    return body


def output_line(body: dict, custom_id: str = "req-1", status: int = 200) -> dict:
    return {
        "id": "batch_req_1",
        "custom_id": custom_id,
        "response": {"status_code": status, "request_id": "req_abc", "body": body},
        "error": None,
    }


def checked_result(line: dict, hints: dict | None = None) -> dict:
    """Translate a line and validate it as the Anthropic SDK would parse a results file line."""
    custom_id, result = result_from_line(line, hints)
    parsed = MessageBatchIndividualResponse.model_validate({"custom_id": custom_id, "result": result})
    assert parsed.custom_id == line["custom_id"]
    if result["type"] == "succeeded":
        anthropic.types.Message.model_validate(result["message"])
    return result


# --- requests: messages and content -----------------------------------------------------------------------


def test_a_plain_request_becomes_a_chat_completions_line():
    line = openai_line(params(user("Hello there")), custom_id="greet-1")
    assert line["body"] == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "Hello there"}],
        "max_completion_tokens": 100,
    }


def test_system_string_becomes_the_first_system_message():
    body = body_of(params(user("Hi"), system="Be terse."))
    assert body["messages"][0] == {"role": "system", "content": "Be terse."}
    assert body["messages"][1] == {"role": "user", "content": "Hi"}


def test_system_text_blocks_keep_their_text_and_lose_cache_control():
    system = [
        {"type": "text", "text": "You are a poet."},
        {"type": "text", "text": "Rhyme.", "cache_control": {"type": "ephemeral"}},
    ]
    body = body_of(params(user("Hi"), system=system))
    assert body["messages"][0] == {
        "role": "system",
        "content": [{"type": "text", "text": "You are a poet."}, {"type": "text", "text": "Rhyme."}],
    }


def test_multi_turn_conversation_keeps_order_and_roles():
    body = body_of(
        params(
            user("What is 2+2?"),
            assistant([{"type": "text", "text": "4"}]),
            user([{"type": "text", "text": "And 3+3?", "cache_control": {"type": "ephemeral"}}]),
            assistant("6"),
            user([{"type": "text", "text": "Thanks."}, {"type": "text", "text": "Bye."}]),
        )
    )
    assert body["messages"] == [
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "4"},
        {"role": "user", "content": [{"type": "text", "text": "And 3+3?"}]},
        {"role": "assistant", "content": "6"},
        {"role": "user", "content": [{"type": "text", "text": "Thanks."}, {"type": "text", "text": "Bye."}]},
    ]


def test_assistant_with_several_text_blocks_keeps_them_as_parts():
    body = body_of(
        params(
            user("Hi"), assistant([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]), user("?")
        )
    )
    assert body["messages"][1] == {
        "role": "assistant",
        "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
    }


def test_thinking_blocks_in_history_are_left_out():
    body = body_of(
        params(
            user("Hi"),
            assistant(
                [
                    {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                    {"type": "redacted_thinking", "data": "xyz"},
                    {"type": "text", "text": "Hello"},
                ]
            ),
            user("Again"),
        )
    )
    assert body["messages"][1] == {"role": "assistant", "content": "Hello"}


def test_system_role_message_inside_messages_stays_a_system_message():
    body = body_of(params({"role": "system", "content": "Be nice."}, user("Hi")))
    assert body["messages"][0] == {"role": "system", "content": "Be nice."}


def test_base64_image_becomes_a_data_url():
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}
    body = body_of(params(user([image, {"type": "text", "text": "What is this?"}])))
    assert body["messages"][0]["content"] == [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64," + PNG}},
        {"type": "text", "text": "What is this?"},
    ]


def test_url_image_stays_a_url():
    image = {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}}
    body = body_of(params(user([image])))
    assert body["messages"][0]["content"] == [
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}}
    ]


def test_base64_pdf_document_becomes_a_file_part_with_data_url_and_filename():
    untitled = {
        "type": "document",
        "source": {"type": "base64", "media_type": "application/pdf", "data": PDF},
    }
    titled = {**untitled, "title": "Q3 report"}
    body = body_of(params(user([untitled, titled, {"type": "text", "text": "Summarise"}])))
    assert body["messages"][0]["content"][:2] == [
        {
            "type": "file",
            "file": {"filename": "document.pdf", "file_data": "data:application/pdf;base64," + PDF},
        },
        {
            "type": "file",
            "file": {"filename": "Q3 report.pdf", "file_data": "data:application/pdf;base64," + PDF},
        },
    ]


def test_plain_text_and_content_documents_become_text_parts():
    text_doc = {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": "The grass is green."},
    }
    content_doc = {
        "type": "document",
        "source": {"type": "content", "content": [{"type": "text", "text": "Chunk one."}]},
    }
    body = body_of(params(user([text_doc, content_doc])))
    assert body["messages"][0]["content"] == [
        {"type": "text", "text": "The grass is green."},
        {"type": "text", "text": "Chunk one."},
    ]


def test_document_by_openai_file_id_uses_the_openai_file():
    files = {"file_gw1": FileRef("file_gw1", "openai", "file-abc123", "report.pdf", "application/pdf")}
    doc = {"type": "document", "source": {"type": "file", "file_id": "file_gw1"}}
    body = body_of(params(user([doc, {"type": "text", "text": "Summarise"}])), files=files)
    assert body["messages"][0]["content"][0] == {"type": "file", "file": {"file_id": "file-abc123"}}


def test_document_held_by_another_provider_is_refused_with_a_way_out():
    files = {"file_gw2": FileRef("file_gw2", "gemini", "files/xyz", "report.pdf", "application/pdf")}
    doc = {"type": "document", "source": {"type": "file", "file_id": "file_gw2"}}
    message = refusal(params(user([doc])), custom_id="doc-7", files=files)
    assert "requests[custom_id=doc-7].params.messages[0].content[0].source.file_id" in message
    assert "x-model-provider: openai" in message


def test_document_with_unknown_file_id_is_refused():
    doc = {"type": "document", "source": {"type": "file", "file_id": "file_missing"}}
    assert "file_missing" in refusal(params(user([doc])))


def test_an_image_by_file_id_goes_inline_as_a_data_url_from_the_staged_copy():
    png = b"\x89PNG\r\n\x1a\nrest"
    staged = FileRef("file_img", "anthropic", "file_011", "cat.png", "image/png", content=png)
    image = {"type": "image", "source": {"type": "file", "file_id": "file_img"}}
    body = body_of(params(user([image, {"type": "text", "text": "What is it?"}])), files={"file_img": staged})
    url = body["messages"][0]["content"][0]["image_url"]["url"]
    assert url == "data:image/png;base64," + base64.b64encode(png).decode()
    not_staged = {"file_img": FileRef("file_img", "openai", "file-img", "cat.png", "image/png")}
    assert "no file 'file_img'" in refusal(params(user([image])), files=not_staged)
    a_pdf = {"file_img": FileRef("file_img", "openai", "file-p", "a.pdf", "application/pdf")}
    assert "is application/pdf, not an image" in refusal(params(user([image])), files=a_pdf)


def test_a_text_document_by_file_id_goes_as_its_text_and_other_non_pdf_types_are_refused():
    notes = FileRef("file_txt", "openai", "file-t", "notes.txt", "text/plain", content="Größe: 5".encode())
    doc = {"type": "document", "source": {"type": "file", "file_id": "file_txt"}}
    body = body_of(params(user([doc])), files={"file_txt": notes})
    assert body["messages"][0]["content"] == [{"type": "text", "text": "Größe: 5"}]
    sheet = FileRef("file_xls", "openai", "file-x", "a.xlsx", "application/vnd.ms-excel")
    doc_xls = {"type": "document", "source": {"type": "file", "file_id": "file_xls"}}
    message = refusal(params(user([doc_xls])), files={"file_xls": sheet})
    assert "PDF and text documents only" in message


def test_document_by_url_is_refused():
    doc = {"type": "document", "source": {"type": "url", "url": "https://example.com/a.pdf"}}
    assert ".messages[0].content[0].source" in refusal(params(user([doc])))


def test_document_citations_request_is_refused():
    doc = {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": "x"},
        "citations": {"enabled": True},
    }
    assert "requests[custom_id=abc].params.messages[0].content[0].citations" in refusal(params(user([doc])))


# --- requests: tools ----------------------------------------------------------------------------------------


def test_tools_become_function_tools_with_input_schema_as_parameters():
    strict_tool = {"name": "lookup", "input_schema": {"type": "object", "properties": {}}, "strict": True}
    tools = [{**WEATHER_TOOL, "cache_control": {"type": "ephemeral"}}, strict_tool]
    body = body_of(params(user("Weather?"), tools=tools))
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather for a city",
                "parameters": WEATHER_TOOL["input_schema"],
            },
        },
        {
            "type": "function",
            "function": {
                "name": "lookup",
                "parameters": {"type": "object", "properties": {}},
                "strict": True,
            },
        },
    ]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ({"type": "auto"}, "auto"),
        ({"type": "any"}, "required"),
        ({"type": "none"}, "none"),
        ({"type": "tool", "name": "get_weather"}, {"type": "function", "function": {"name": "get_weather"}}),
    ],
)
def test_tool_choice_maps_to_openai(choice, expected):
    body = body_of(params(user("Weather?"), tools=[WEATHER_TOOL], tool_choice=choice))
    assert body["tool_choice"] == expected
    assert "parallel_tool_calls" not in body


def test_disable_parallel_tool_use_turns_parallel_tool_calls_off():
    choice = {"type": "any", "disable_parallel_tool_use": True}
    body = body_of(params(user("Weather?"), tools=[WEATHER_TOOL], tool_choice=choice))
    assert body["tool_choice"] == "required"
    assert body["parallel_tool_calls"] is False


def test_tool_choice_without_tools_is_not_sent():
    body = body_of(params(user("Hi"), tool_choice={"type": "auto", "disable_parallel_tool_use": True}))
    assert "tool_choice" not in body
    assert "parallel_tool_calls" not in body


def test_server_tools_are_refused_naming_the_tool():
    tools = [WEATHER_TOOL, {"type": "web_search_20250305", "name": "web_search"}]
    message = refusal(params(user("News?"), tools=tools), custom_id="news-1")
    assert message.startswith("requests[custom_id=news-1].params.tools[1]:")
    assert "web_search_20250305" in message


def test_tool_names_longer_than_openai_allows_are_refused():
    tool = {**WEATHER_TOOL, "name": "t" * 65}
    assert ".tools[0].name" in refusal(params(user("x"), tools=[tool]))


def test_tool_use_becomes_assistant_tool_calls_with_json_arguments():
    body = body_of(
        params(
            user("Weather in Oslo and Rome?"),
            assistant(
                [
                    {"type": "text", "text": "Checking."},
                    tool_use("toolu_1", input={"city": "Oslo", "days": [1, 2]}),
                    tool_use("toolu_2", input={"city": "Rome"}),
                ]
            ),
            user([tool_result("toolu_1"), tool_result("toolu_2", "20 °C")]),
            tools=[WEATHER_TOOL],
        )
    )
    call_message = body["messages"][1]
    assert call_message["role"] == "assistant"
    assert call_message["content"] == "Checking."
    assert [c["id"] for c in call_message["tool_calls"]] == ["toolu_1", "toolu_2"]
    first = call_message["tool_calls"][0]
    assert first["type"] == "function"
    assert first["function"]["name"] == "get_weather"
    assert json.loads(first["function"]["arguments"]) == {"city": "Oslo", "days": [1, 2]}


def test_assistant_with_only_tool_use_has_null_content():
    body = body_of(params(user("Weather?"), assistant([tool_use("toolu_1")]), user([tool_result("toolu_1")])))
    assert body["messages"][1]["content"] is None


def test_tool_results_come_right_after_the_tool_calls_and_before_the_user_text():
    body = body_of(
        params(
            user("Weather in Oslo and Rome?"),
            assistant([tool_use("toolu_1"), tool_use("toolu_2", input={"city": "Rome"})]),
            user(
                [
                    tool_result("toolu_1", "5 °C"),
                    {"type": "text", "text": "Compare them."},
                    tool_result("toolu_2", "20 °C"),
                ]
            ),
        )
    )
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "tool", "tool", "user"]
    assert body["messages"][2] == {"role": "tool", "tool_call_id": "toolu_1", "content": "5 °C"}
    assert body["messages"][3] == {"role": "tool", "tool_call_id": "toolu_2", "content": "20 °C"}
    assert body["messages"][4] == {"role": "user", "content": [{"type": "text", "text": "Compare them."}]}


def test_tool_result_text_blocks_and_empty_content():
    one_block = tool_result("toolu_1", [{"type": "text", "text": "sunny"}])
    two_blocks = tool_result("toolu_2", [{"type": "text", "text": "wind"}, {"type": "text", "text": "rain"}])
    no_content = {"type": "tool_result", "tool_use_id": "toolu_3"}
    empty_list = tool_result("toolu_4", [])
    body = body_of(
        params(
            user("Go"),
            assistant([tool_use("toolu_1"), tool_use("toolu_2"), tool_use("toolu_3"), tool_use("toolu_4")]),
            user([one_block, two_blocks, no_content, empty_list]),
        )
    )
    assert [m["content"] for m in body["messages"][2:]] == [
        "sunny",
        [{"type": "text", "text": "wind"}, {"type": "text", "text": "rain"}],
        "",
        "",  # OpenAI refuses an empty content array
    ]


def test_tool_result_is_error_is_kept_as_a_text_prefix():
    as_string = tool_result("toolu_1", "city not found", is_error=True)
    as_blocks = tool_result(
        "toolu_2", [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}], is_error=True
    )
    body = body_of(
        params(
            user("Go"), assistant([tool_use("toolu_1"), tool_use("toolu_2")]), user([as_string, as_blocks])
        )
    )
    assert body["messages"][2]["content"] == TOOL_ERROR_PREFIX + "city not found"
    assert body["messages"][3]["content"][0]["text"] == TOOL_ERROR_PREFIX.strip()
    assert body["messages"][3]["content"][1:] == [
        {"type": "text", "text": "a"},
        {"type": "text", "text": "b"},
    ]


def test_tool_result_with_an_image_is_refused():
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}
    message = refusal(
        params(user("Go"), assistant([tool_use("toolu_1")]), user([tool_result("toolu_1", [image])]))
    )
    assert ".messages[2].content[0].content[0]" in message


def test_tool_result_that_answers_no_tool_call_is_refused():
    message = refusal(
        params(
            user("Go"),
            assistant([tool_use("toolu_1")]),
            user([tool_result("toolu_1"), tool_result("toolu_9")]),
        )
    )
    assert "toolu_9" in message


def test_unanswered_tool_calls_are_refused():
    message = refusal(
        params(
            user("Go"), assistant([tool_use("toolu_1"), tool_use("toolu_2")]), user([tool_result("toolu_1")])
        )
    )
    assert "toolu_2" in message
    assert "toolu_1" in refusal(params(user("Go"), assistant([tool_use("toolu_1")]), user("never mind")))
    assert "toolu_1" in refusal(params(user("Go"), assistant([tool_use("toolu_1")])))


# --- requests: sampling and other params --------------------------------------------------------------------


def test_sampling_params_and_limits_are_mapped():
    body = body_of(
        params(
            user("Hi"),
            max_tokens=321,
            temperature=0.2,
            top_p=0.9,
            stop_sequences=["END", "STOP"],
            metadata={"user_id": "user-42"},
        )
    )
    assert body["max_completion_tokens"] == 321
    assert "max_tokens" not in body
    assert body["temperature"] == 0.2
    assert body["top_p"] == 0.9
    assert body["stop"] == ["END", "STOP"]
    assert body["safety_identifier"] == "user-42"


def test_a_long_user_id_becomes_a_stable_digest_openai_accepts():
    first = body_of(params(user("Hi"), metadata={"user_id": "u" * 300}))["safety_identifier"]
    again = body_of(params(user("Hi"), metadata={"user_id": "u" * 300}))["safety_identifier"]
    assert first == again
    assert len(first) <= 128


def test_more_than_four_stop_sequences_are_refused_naming_the_custom_id():
    message = refusal(params(user("Hi"), stop_sequences=["a", "b", "c", "d", "e"]), custom_id="stop-5")
    assert message.startswith("requests[custom_id=stop-5].params.stop_sequences:")
    assert "4" in message


def test_harmless_anthropic_only_params_are_dropped():
    body = body_of(
        params(
            user("Hi"),
            top_k=5,
            cache_control={"type": "ephemeral"},
            service_tier="auto",
            thinking={"type": "disabled"},
            stream=False,
        )
    )
    assert set(body) == {"model", "messages", "max_completion_tokens"}


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"thinking": {"type": "enabled", "budget_tokens": 2048}}, "thinking"),
        ({"stream": True}, "stream"),
        ({"container": "container_1"}, "container"),
        ({"mcp_servers": [{"type": "url", "url": "https://mcp.example", "name": "m"}]}, "mcp_servers"),
        (
            {"output_config": {"format": {"type": "json_schema", "schema": {}}, "task_budget": 5}},
            "output_config",
        ),
    ],
)
def test_params_without_an_openai_equivalent_are_refused_naming_the_field(extra, field):
    message = refusal(params(user("Hi"), **extra), custom_id="x-9")
    assert message.startswith(f"requests[custom_id=x-9].params.{field}")


def test_structured_output_and_effort_map_to_response_format_and_reasoning_effort():
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    body = body_of(
        params(
            user("Hi"), output_config={"format": {"type": "json_schema", "schema": schema}, "effort": "low"}
        )
    )
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "output", "schema": schema},
    }
    assert body["reasoning_effort"] == "low"


def test_a_schema_strict_mode_can_take_is_sent_strict_so_openai_must_follow_it():
    closed = {
        "type": "object",
        "properties": {
            "answer": {"type": "string"},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"n": {"type": "integer"}},
                    "required": ["n"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["answer", "items"],
        "additionalProperties": False,
    }
    body = body_of(params(user("Hi"), output_config={"format": {"type": "json_schema", "schema": closed}}))
    assert body["response_format"]["json_schema"] == {"name": "output", "schema": closed, "strict": True}
    # An optional property or an open nested object: strict mode would refuse it, so it goes without.
    optional = {**closed, "required": ["answer"]}
    inner_open = json.loads(json.dumps(closed))
    del inner_open["properties"]["items"]["items"]["additionalProperties"]
    in_definitions = {**closed, "definitions": {"open": {"type": "object", "properties": {}}}}
    not_an_object = {"anyOf": [closed]}
    for schema in (optional, inner_open, in_definitions, not_an_object):
        body = body_of(
            params(user("Hi"), output_config={"format": {"type": "json_schema", "schema": schema}})
        )
        assert "strict" not in body["response_format"]["json_schema"]


@pytest.mark.parametrize(
    "bad",
    [
        {"model": "gpt-4o", "max_tokens": 10},
        {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]},
        {"model": "gpt-4o", "max_tokens": 10, "messages": []},
        {"model": "gpt-4o", "max_tokens": 0, "messages": [{"role": "user", "content": "x"}]},
        {"model": "gpt-4o", "max_tokens": 10, "messages": [{"role": "user"}]},
        {"model": "gpt-4o", "max_tokens": 10, "messages": "hello"},
        {"model": "gpt-4o", "max_tokens": 10, "messages": [{"role": "user", "content": [{"type": "video"}]}]},
    ],
)
def test_malformed_params_are_a_400_never_a_crash(bad):
    refusal(bad)


# --- results -------------------------------------------------------------------------------------------------


def test_a_text_reply_becomes_a_succeeded_anthropic_message():
    result = checked_result(output_line(completion({"content": "Hello!"})))
    assert result == {
        "type": "succeeded",
        "message": {
            "id": "msg_AbC123",
            "type": "message",
            "role": "assistant",
            "model": "gpt-4o-mini-2024-07-18",
            "content": [{"type": "text", "text": "Hello!"}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {
                "input_tokens": 30,
                "output_tokens": 7,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "service_tier": "batch",
            },
        },
    }


def test_cached_prompt_tokens_are_reported_as_cache_reads():
    usage = {
        "prompt_tokens": 2000,
        "completion_tokens": 50,
        "total_tokens": 2050,
        "prompt_tokens_details": {"cached_tokens": 1536},
        "completion_tokens_details": {"reasoning_tokens": 20},
    }
    message = checked_result(output_line(completion({"content": "ok"}, usage=usage)))["message"]
    assert message["usage"]["input_tokens"] == 464
    assert message["usage"]["cache_read_input_tokens"] == 1536
    assert message["usage"]["cache_creation_input_tokens"] == 0
    assert message["usage"]["output_tokens"] == 50


def test_prompt_tokens_written_to_the_cache_are_reported_as_cache_creation():
    usage = {
        "prompt_tokens": 2000,
        "completion_tokens": 50,
        "total_tokens": 2050,
        "prompt_tokens_details": {"cached_tokens": 500, "cache_write_tokens": 1024},
    }
    message = checked_result(output_line(completion({"content": "ok"}, usage=usage)))["message"]
    assert message["usage"]["input_tokens"] == 476
    assert message["usage"]["cache_read_input_tokens"] == 500
    assert message["usage"]["cache_creation_input_tokens"] == 1024


def test_tool_calls_become_tool_use_blocks_with_parsed_input():
    calls = [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
        },
        {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": "{not json"}},
        {"id": "call_3", "type": "function", "function": {"name": "get_weather", "arguments": "[1, 2]"}},
    ]
    message = checked_result(
        output_line(completion({"content": "Let me look.", "tool_calls": calls}, "tool_calls"))
    )["message"]
    assert message["stop_reason"] == "tool_use"
    assert message["content"] == [
        {"type": "text", "text": "Let me look."},
        {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Oslo"}},
        {"type": "tool_use", "id": "call_2", "name": "get_weather", "input": {"_raw": "{not json"}},
        {"type": "tool_use", "id": "call_3", "name": "get_weather", "input": {"_raw": "[1, 2]"}},
    ]
    parsed = anthropic.types.Message.model_validate(message)
    assert isinstance(parsed.content[1], anthropic.types.ToolUseBlock)


@pytest.mark.parametrize(
    ("finish", "stop_reason"), [("length", "max_tokens"), ("function_call", "tool_use"), ("stop", "end_turn")]
)
def test_finish_reasons_map_to_stop_reasons(finish, stop_reason):
    assert (
        checked_result(output_line(completion({"content": "x"}, finish)))["message"]["stop_reason"]
        == stop_reason
    )


def test_content_filter_becomes_a_refusal_with_no_content():
    message = checked_result(output_line(completion({"content": None}, "content_filter")))["message"]
    assert message["stop_reason"] == "refusal"
    assert message["content"] == []
    assert message["stop_details"] == {"type": "refusal", "category": None, "explanation": None}


def test_message_refusal_becomes_a_refusal_carrying_its_explanation():
    message = checked_result(
        output_line(completion({"content": None, "refusal": "I can't help with that."}))
    )["message"]
    assert message["stop_reason"] == "refusal"
    assert message["stop_details"]["explanation"] == "I can't help with that."
    assert (
        anthropic.types.Message.model_validate(message).stop_details.explanation == "I can't help with that."
    )


def test_stop_sequence_is_reported_when_the_text_ends_with_one_of_the_requested_sequences():
    hints = {"req-1": {"stop_sequences": ["END", "\n\nEND"]}}
    message = checked_result(output_line(completion({"content": "The answer is 4.\n\nEND"})), hints)[
        "message"
    ]
    assert message["stop_reason"] == "stop_sequence"
    assert message["stop_sequence"] == "\n\nEND"
    assert message["content"] == [{"type": "text", "text": "The answer is 4."}]


def test_stop_without_a_visible_sequence_is_end_turn():
    hints = {"req-1": {"stop_sequences": ["END"]}}
    message = checked_result(output_line(completion({"content": "The answer is 4."})), hints)["message"]
    assert (message["stop_reason"], message["stop_sequence"]) == ("end_turn", None)
    no_hint = checked_result(output_line(completion({"content": "ends with END"})))["message"]
    assert (no_hint["stop_reason"], no_hint["stop_sequence"]) == ("end_turn", None)
    other_id = checked_result(
        output_line(completion({"content": "ends with END"}), custom_id="req-2"), hints
    )["message"]
    assert other_id["stop_reason"] == "end_turn"


def test_message_id_is_stable_and_prefixed():
    line = output_line(completion({"content": "x"}))
    assert (
        result_from_line(line)[1]["message"]["id"]
        == result_from_line(line)[1]["message"]["id"]
        == "msg_AbC123"
    )


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, "invalid_request_error"),
        (404, "not_found_error"),
        (429, "rate_limit_error"),
        (500, "api_error"),
        (503, "api_error"),
    ],
)
def test_non_200_lines_become_errored_results_with_the_mapped_type(status, error_type):
    body = {
        "error": {
            "message": "Invalid 'messages[0]'.",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }
    result = checked_result(output_line(body, status=status))
    assert result == {
        "type": "errored",
        "error": {
            "type": "error",
            "error": {"type": error_type, "message": "Invalid 'messages[0]'."},
            "request_id": "req_abc",  # OpenAI's id for the failed request, to quote to its support
        },
    }


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ({"code": "batch_expired", "message": "not executed in time"}, {"type": "expired"}),
        ({"code": "batch_cancelled", "message": "cancelled"}, {"type": "canceled"}),
        (
            {"code": "server_error", "message": "Something broke."},
            {
                "type": "errored",
                "error": {"type": "error", "error": {"type": "api_error", "message": "Something broke."}},
            },
        ),
    ],
)
def test_error_lines_become_expired_canceled_or_errored(error, expected):
    line = {"id": "batch_req_9", "custom_id": "late-1", "response": None, "error": error}
    assert checked_result(line) == expected
    assert result_from_line(line)[0] == "late-1"


def test_tool_round_trip_through_both_directions():
    call = {
        "id": "call_7",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'},
    }
    first = message_from_completion(completion({"content": None, "tool_calls": [call]}, "tool_calls"))
    assert first["stop_reason"] == "tool_use"
    # The client sends the assistant content back with its tool result, as the Anthropic docs show.
    follow_up = params(
        user("Weather in Oslo?"),
        assistant(first["content"]),
        user([tool_result(first["content"][0]["id"], "5 °C")]),
        tools=[WEATHER_TOOL],
    )
    body = body_of(follow_up)
    assert body["messages"][1] == {"role": "assistant", "content": None, "tool_calls": [call]}
    assert body["messages"][2] == {"role": "tool", "tool_call_id": "call_7", "content": "5 °C"}


def test_every_mapping_at_once_still_validates_against_the_openai_sdk():
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": PNG}}
    pdf = {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": PDF}}
    files = {"file_gw1": FileRef("file_gw1", "openai", "file-abc", "a.pdf", "application/pdf")}
    by_id = {"type": "document", "source": {"type": "file", "file_id": "file_gw1"}}
    body = body_of(
        params(
            user([image, pdf, by_id, {"type": "text", "text": "Look"}]),
            assistant([{"type": "text", "text": "Calling"}, tool_use("toolu_1")]),
            user(
                [
                    tool_result("toolu_1", [{"type": "text", "text": "ok"}], is_error=True),
                    {"type": "text", "text": "Go on"},
                ]
            ),
            system=[{"type": "text", "text": "sys"}],
            tools=[WEATHER_TOOL],
            tool_choice={"type": "tool", "name": "get_weather", "disable_parallel_tool_use": True},
            temperature=1.0,
            top_p=0.5,
            top_k=3,
            stop_sequences=["a", "b", "c", "d"],
            metadata={"user_id": "u1"},
        ),
        files=files,
    )
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "tool", "user"]

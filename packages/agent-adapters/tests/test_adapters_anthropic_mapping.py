"""Anthropic mapping without a network: requests, whole answers, stream events, errors."""

from __future__ import annotations

from typing import Any

import anthropic
import httpx2
import pytest
from anthropic.types import Message as WireMessage
from anthropic.types import RawMessageStreamEvent
from anthropic.types import Usage as WireUsage

from mxp_agents.adapters import (
    AuthenticationError,
    ContentFilteredError,
    ContextLengthExceededError,
    Finish,
    FinishReason,
    InvalidRequestError,
    MalformedResponseError,
    ModelRequest,
    ModelTimeoutError,
    PermissionDeniedError,
    RateLimitedError,
    ResponseAssembler,
    ResponseFormat,
    TextDelta,
    ToolCallDelta,
    ToolChoiceTool,
    TransientModelError,
    UsageUpdate,
)
from mxp_agents.adapters._anthropic._errors import map_error
from mxp_agents.adapters._anthropic._request import build_call
from mxp_agents.adapters._anthropic._response import (
    finish_reason,
    response_from_message,
    usage_from,
)
from mxp_agents.adapters._anthropic._stream import StreamTranslator
from mxp_agents.adapters._retry_after import retry_after_seconds as retry_after
from mxp_agents.primitives import Message, ToolCall, ToolDefinition, Usage

MODEL = "claude-haiku-4-5"
CLOCK = ToolDefinition("clock", "The time.", {"type": "object", "properties": {}})
SEARCH = ToolDefinition(
    "search",
    "Search.",
    {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
    strict=True,
)
CALL_1 = ToolCall("toolu_01", "clock", {})
CALL_2 = ToolCall("toolu_02", "search", {"q": "mxp"})


def call_of(*messages: Message, **options: Any) -> Any:
    return build_call(ModelRequest(messages, **options), model=MODEL, default_max_tokens=1000)


# -- requests ---------------------------------------------------------------------------------


def test_leading_system_messages_become_the_system_parameter_in_order() -> None:
    call = call_of(Message.system("One."), Message.system("Two."), Message.user("Hi"))
    assert call.system == [{"type": "text", "text": "One."}, {"type": "text", "text": "Two."}]
    assert call.messages == [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]


def test_a_later_system_message_stays_in_place_as_a_system_turn() -> None:
    call = call_of(
        Message.system("Be brief."),
        Message.user("Hi"),
        Message.assistant("Hello."),
        Message.system("Now answer in French."),
        Message.user("Bye"),
    )
    assert call.system == [{"type": "text", "text": "Be brief."}]
    assert [turn["role"] for turn in call.messages] == ["user", "assistant", "system", "user"]
    assert call.messages[2] == {"role": "system", "content": "Now answer in French."}


def test_cache_system_marks_the_last_system_block() -> None:
    request = ModelRequest((Message.system("A"), Message.system("B"), Message.user("Hi")))
    call = build_call(request, model=MODEL, default_max_tokens=10, cache_system=True)
    assert call.system == [
        {"type": "text", "text": "A"},
        {"type": "text", "text": "B", "cache_control": {"type": "ephemeral"}},
    ]
    assert build_call(request, model=MODEL, default_max_tokens=10).system == [
        {"type": "text", "text": "A"},
        {"type": "text", "text": "B"},
    ]


def test_no_system_message_sends_no_system_parameter() -> None:
    assert call_of(Message.user("Hi")).system is None


def test_tool_calls_become_tool_use_blocks_with_their_ids() -> None:
    call = call_of(
        Message.user("Time and search?"),
        Message.assistant("Checking.", tool_calls=[CALL_1, CALL_2]),
        Message.tool("12:00", tool_call_id="toolu_01"),
        Message.tool("found it", tool_call_id="toolu_02"),
        tools=(CLOCK, SEARCH),
    )
    assistant = call.messages[1]
    assert assistant == {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "toolu_01", "name": "clock", "input": {}},
            {"type": "tool_use", "id": "toolu_02", "name": "search", "input": {"q": "mxp"}},
        ],
    }
    # Consecutive tool results are one user turn, in order.
    assert call.messages[2] == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "toolu_01", "content": "12:00"},
            {"type": "tool_result", "tool_use_id": "toolu_02", "content": "found it"},
        ],
    }
    assert len(call.messages) == 3


def test_same_role_turns_merge_and_tool_results_come_first() -> None:
    call = call_of(
        Message.user("Time?"),
        Message.user("Quickly."),
        Message.assistant(tool_calls=[CALL_1]),
        Message.user("Also, hurry."),
        Message.tool("12:00", tool_call_id="toolu_01"),
        tools=(CLOCK,),
    )
    roles = [turn["role"] for turn in call.messages]
    assert roles == ["user", "assistant", "user"]
    assert [block["text"] for block in call.messages[0]["content"]] == ["Time?", "Quickly."]
    assert call.messages[2]["content"] == [
        {"type": "tool_result", "tool_use_id": "toolu_01", "content": "12:00"},
        {"type": "text", "text": "Also, hurry."},
    ]


def test_empty_messages_and_empty_tool_results_send_no_empty_text() -> None:
    call = call_of(
        Message.user("Time?"),
        Message.assistant("", tool_calls=[CALL_1]),
        Message.tool("", tool_call_id="toolu_01"),
        Message.assistant(""),
        Message.user("Thanks"),
        tools=(CLOCK,),
    )
    assert call.messages[1]["content"] == [
        {"type": "tool_use", "id": "toolu_01", "name": "clock", "input": {}}
    ]
    assert call.messages[2] == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "toolu_01"},
            {"type": "text", "text": "Thanks"},
        ],
    }


def test_tools_and_tool_choice() -> None:
    def choice(value: Any) -> Any:
        return call_of(Message.user("Hi"), tools=(CLOCK, SEARCH), tool_choice=value).tool_choice

    call = call_of(Message.user("Hi"), tools=(CLOCK, SEARCH))
    assert call.tools == [
        {"name": "clock", "input_schema": CLOCK.parameters, "description": "The time."},
        {
            "name": "search",
            "input_schema": SEARCH.parameters,
            "description": "Search.",
            "strict": True,
        },
    ]
    assert choice("auto") is None
    assert choice("required") == {"type": "any"}
    assert choice("none") == {"type": "none"}
    assert choice(ToolChoiceTool("search")) == {"type": "tool", "name": "search"}
    assert call_of(Message.user("Hi"), tool_choice="none").tool_choice is None  # no tools


def test_options_max_tokens_stop_temperature_metadata() -> None:
    call = call_of(
        Message.user("Hi"),
        max_output_tokens=77,
        stop=("END", "STOP"),
        temperature=0.3,
        metadata={"user_id": "u-42", "trace": "t"},
    )
    assert call.max_tokens == 77
    assert call.stop_sequences == ["END", "STOP"]
    assert call.extra_body == {"temperature": 0.3}
    assert call.metadata == {"user_id": "u-42"}
    plain = call_of(Message.user("Hi"))
    assert plain.max_tokens == 1000
    assert plain.stop_sequences is None
    assert plain.extra_body is None
    assert plain.metadata is None


def test_json_schema_uses_native_structured_output() -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "size": {"type": "integer", "minimum": 1}},
        "required": ["name"],
    }
    strict = call_of(Message.user("A city?"), response_format=ResponseFormat("city", schema))
    sent = strict.output_config["format"]
    assert sent["type"] == "json_schema"
    # strict: the SDK's transform makes it fit the API (closed objects, unsupported keywords
    # moved into the description)
    assert sent["schema"]["additionalProperties"] is False
    assert "minimum" not in sent["schema"]["properties"]["size"]
    loose = call_of(
        Message.user("A city?"), response_format=ResponseFormat("city", schema, strict=False)
    )
    assert loose.output_config == {"format": {"type": "json_schema", "schema": schema}}


def test_a_schema_the_transform_cannot_read_is_an_invalid_request() -> None:
    with pytest.raises(InvalidRequestError, match="strict=False"):
        call_of(Message.user("?"), response_format=ResponseFormat("any", {"description": "x"}))


# -- whole answers ----------------------------------------------------------------------------


def wire_message(content: list[dict[str, Any]], stop: str | None, **usage: Any) -> WireMessage:
    return WireMessage.model_validate(
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-haiku-4-5-20251001",
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": 10, "output_tokens": 5, **usage},
        }
    )


def test_usage_adds_cache_reads_and_writes_to_input() -> None:
    usage = WireUsage(
        input_tokens=10,
        output_tokens=5,
        cache_read_input_tokens=90,
        cache_creation_input_tokens=20,
    )
    assert usage_from(usage) == Usage(input_tokens=120, output_tokens=5, cached_input_tokens=90)
    bare = WireUsage(input_tokens=3, output_tokens=4)
    assert usage_from(bare) == Usage(input_tokens=3, output_tokens=4)


def test_thinking_tokens_are_reasoning_tokens() -> None:
    usage = WireUsage.model_validate(
        {"input_tokens": 3, "output_tokens": 40, "output_tokens_details": {"thinking_tokens": 25}}
    )
    assert usage_from(usage).reasoning_tokens == 25


def test_response_from_message_text_tools_usage_model() -> None:
    message = wire_message(
        [
            {"type": "thinking", "thinking": "hmm", "signature": "sig"},
            {"type": "text", "text": "Let me "},
            {"type": "text", "text": "check."},
            {"type": "tool_use", "id": "toolu_9", "name": "search", "input": {"q": "x"}},
        ],
        "tool_use",
        cache_read_input_tokens=4,
    )
    response = response_from_message(message, model=MODEL)
    assert response.text == "Let me check."
    assert response.tool_calls == (ToolCall("toolu_9", "search", {"q": "x"}),)
    assert response.finish_reason is FinishReason.TOOL_CALLS
    assert response.usage == Usage(input_tokens=14, output_tokens=5, cached_input_tokens=4)
    assert response.model == "claude-haiku-4-5-20251001"
    assert response.provider == "anthropic"


def test_duplicate_tool_use_ids_are_malformed() -> None:
    block = {"type": "tool_use", "id": "toolu_1", "name": "clock", "input": {}}
    with pytest.raises(MalformedResponseError, match="toolu_1"):
        response_from_message(wire_message([block, block], "tool_use"), model=MODEL)


@pytest.mark.parametrize(
    ("stop", "reason"),
    [
        ("end_turn", FinishReason.STOP),
        ("stop_sequence", FinishReason.STOP),
        ("max_tokens", FinishReason.LENGTH),
        ("model_context_window_exceeded", FinishReason.LENGTH),
        ("tool_use", FinishReason.TOOL_CALLS),
        ("refusal", FinishReason.CONTENT_FILTER),
        ("pause_turn", FinishReason.OTHER),
        ("something_new", FinishReason.OTHER),
        (None, FinishReason.OTHER),
    ],
)
def test_finish_reasons(stop: str | None, reason: FinishReason) -> None:
    assert finish_reason(stop) is reason


# -- stream events ----------------------------------------------------------------------------

_EVENT: Any = anthropic.types.RawMessageStreamEvent


def events(*raw: dict[str, Any]) -> list[RawMessageStreamEvent]:
    from pydantic import TypeAdapter

    adapter: Any = TypeAdapter(_EVENT)
    return [adapter.validate_python(item) for item in raw]


def test_stream_translation_text_tools_usage_and_finish() -> None:
    start_usage = {"input_tokens": 10, "cache_read_input_tokens": 30, "output_tokens": 1}
    raw = events(
        {
            "type": "message_start",
            "message": {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "model": "claude-haiku-4-5",
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": start_usage,
            },
        },
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
        {"type": "content_block_stop", "index": 0},
        {
            "type": "content_block_start",
            "index": 1,
            "content_block": {"type": "thinking", "thinking": "", "signature": ""},
        },
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "thinking_delta", "thinking": "hmm"},
        },
        {
            "type": "content_block_start",
            "index": 2,
            "content_block": {"type": "tool_use", "id": "toolu_7", "name": "search", "input": {}},
        },
        {
            "type": "content_block_delta",
            "index": 2,
            "delta": {"type": "input_json_delta", "partial_json": ""},
        },
        {
            "type": "content_block_delta",
            "index": 2,
            "delta": {"type": "input_json_delta", "partial_json": '{"q": '},
        },
        {
            "type": "content_block_delta",
            "index": 2,
            "delta": {"type": "input_json_delta", "partial_json": '"mxp"}'},
        },
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": None},
            "usage": {"input_tokens": 10, "cache_read_input_tokens": 30, "output_tokens": 12},
        },
        {"type": "message_stop"},
    )
    translator = StreamTranslator()
    ours = [event for item in raw if (event := translator.translate(item)) is not None]
    assert ours == [
        UsageUpdate(Usage(input_tokens=40, output_tokens=1, cached_input_tokens=30)),
        TextDelta("Hi"),
        ToolCallDelta(0, "toolu_7", "search", ""),
        ToolCallDelta(0, None, None, '{"q": '),
        ToolCallDelta(0, None, None, '"mxp"}'),
        UsageUpdate(Usage(output_tokens=11)),
        Finish(FinishReason.TOOL_CALLS),
    ]
    assert translator.model == "claude-haiku-4-5"
    assembler = ResponseAssembler()
    for event in ours:
        assembler.add(event)
    response = assembler.response()
    assert response.usage == Usage(input_tokens=40, output_tokens=12, cached_input_tokens=30)
    assert response.tool_calls[0].arguments == {"q": "mxp"}


# -- errors -----------------------------------------------------------------------------------

KEY = "sk-ant-unit-test-key-0123456789"
REQUEST = httpx2.Request("POST", "https://api.anthropic.com/v1/messages")


def status_error(status: int, kind: str, message: str, **headers: str) -> Exception:
    body = {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_1"}
    response = httpx2.Response(status, json=body, headers=headers, request=REQUEST)
    return anthropic.APIStatusError(f"Error code: {status} - {body}", response=response, body=body)


@pytest.mark.parametrize(
    ("status", "kind", "message", "expected"),
    [
        (401, "authentication_error", f"invalid x-api-key: {KEY}", AuthenticationError),
        (403, "permission_error", "no access", PermissionDeniedError),
        (402, "billing_error", "credit balance too low", PermissionDeniedError),
        (429, "rate_limit_error", "slow down", RateLimitedError),
        (400, "invalid_request_error", "prompt is too long: 9 > 8", ContextLengthExceededError),
        (400, "invalid_request_error", "max_tokens: bad", InvalidRequestError),
        (
            400,
            "invalid_request_error",
            "Output blocked by content filtering policy",
            ContentFilteredError,
        ),
        (404, "not_found_error", "model: nope", InvalidRequestError),
        (413, "request_too_large", "too big", InvalidRequestError),
        (500, "api_error", "Internal server error", TransientModelError),
        (529, "overloaded_error", "Overloaded", TransientModelError),
        (504, "timeout_error", "Request timeout", TransientModelError),
    ],
)
def test_status_errors_map_by_type(
    status: int, kind: str, message: str, expected: type[Exception]
) -> None:
    sdk_error = status_error(status, kind, message)
    error = map_error(sdk_error, model=MODEL, secret=KEY)
    assert KEY not in str(sdk_error)  # the SDK error is our error's __cause__
    assert error is not None
    assert type(error) is expected
    assert error.status_code == status
    assert error.provider == "anthropic"
    assert error.model == MODEL
    assert KEY not in str(error)
    assert KEY not in repr(error)
    assert kind in error.message
    assert "req_1" in error.message


def test_an_error_event_inside_a_stream_maps_by_its_type() -> None:
    # The SDK raises a mid-stream `error` event as an APIStatusError of the 200 response.
    error = map_error(status_error(200, "overloaded_error", "Overloaded"), model=MODEL)
    assert isinstance(error, TransientModelError)
    assert error.status_code == 529


def test_rate_limit_retry_after_headers() -> None:
    error = map_error(
        status_error(429, "rate_limit_error", "x", **{"retry-after": "3"}), model=MODEL
    )
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 3.0
    assert retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # in the past
    assert retry_after({"retry-after": "soon"}) is None
    assert retry_after({}) is None


def test_transport_errors() -> None:
    timeout = map_error(anthropic.APITimeoutError(REQUEST), model=MODEL)
    assert isinstance(timeout, ModelTimeoutError)
    refused = map_error(anthropic.APIConnectionError(request=REQUEST), model=MODEL)
    assert isinstance(refused, TransientModelError)
    cut = map_error(httpx2.RemoteProtocolError("peer closed connection"), model=MODEL)
    assert isinstance(cut, TransientModelError)
    assert "peer closed" in cut.message
    assert isinstance(map_error(httpx2.ReadTimeout("slow"), model=MODEL), ModelTimeoutError)
    assert map_error(ValueError("ours"), model=MODEL) is None

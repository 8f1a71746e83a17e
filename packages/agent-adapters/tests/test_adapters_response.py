import msgspec
import pytest

from mxp_agents.adapters import (
    Finish,
    FinishReason,
    InvalidModelValue,
    MalformedResponseError,
    ModelEvent,
    ModelResponse,
    TextDelta,
    ToolCallDelta,
    UsageUpdate,
)
from mxp_agents.primitives import Message, Role, ToolCall, Usage, from_json, to_json


def test_finish_reasons():
    assert [reason.value for reason in FinishReason] == [
        "stop",
        "length",
        "tool_calls",
        "content_filter",
        "other",
    ]


def test_response_defaults_and_message():
    response = ModelResponse(text="Paris.")
    assert response.tool_calls == ()
    assert response.usage == Usage()
    assert response.finish_reason is FinishReason.STOP
    assert response.message == Message(Role.ASSISTANT, "Paris.")


def test_message_carries_tool_calls():
    call = ToolCall("c1", "search", {"q": "mxp"})
    response = ModelResponse(
        text="Let me look.", tool_calls=(call,), finish_reason=FinishReason.TOOL_CALLS
    )
    assert response.message == Message.assistant("Let me look.", tool_calls=[call])


def test_response_json_round_trip():
    response = ModelResponse(
        text="hi",
        tool_calls=(ToolCall("c1", "clock", {}, "{}"),),
        usage=Usage(input_tokens=5, output_tokens=2, cached_input_tokens=1, reasoning_tokens=1),
        finish_reason=FinishReason.LENGTH,
        model="m",
        provider="p",
    )
    assert from_json(to_json(response), ModelResponse) == response


def test_finish_reason_given_as_text_is_normalised():
    response = ModelResponse(finish_reason="length")  # type: ignore[arg-type]
    assert response.finish_reason is FinishReason.LENGTH


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: ModelResponse(text=3), "expected str, got int - at $.text"),  # type: ignore[arg-type]
        (
            lambda: ModelResponse(tool_calls=("x",)),  # type: ignore[arg-type]
            "expected ToolCall, got str - at $.tool_calls[0]",
        ),
        (
            lambda: ModelResponse(tool_calls=(ToolCall("c1", "a"), ToolCall("c1", "b"))),
            "tool call id 'c1' appears more than once - at $.tool_calls[1].id",
        ),
        (
            lambda: ModelResponse(finish_reason="done"),  # type: ignore[arg-type]
            "unknown finish reason 'done'; use one of stop, length, tool_calls, content_filter,"
            " other - at $.finish_reason",
        ),
        (
            lambda: ModelResponse(usage={"input_tokens": 1}),  # type: ignore[arg-type]
            "expected Usage, got object - at $.usage",
        ),
    ],
)
def test_invalid_responses(build, message):
    with pytest.raises(InvalidModelValue) as caught:
        build()
    assert str(caught.value) == message


def test_tool_calls_given_as_a_list_become_a_tuple():
    call = ToolCall("c1", "a")
    assert ModelResponse(tool_calls=[call]).tool_calls == (call,)  # type: ignore[arg-type]


def test_parsed_json_any_and_typed():
    class City(msgspec.Struct):
        name: str
        population: int

    response = ModelResponse(text='{"name": "Paris", "population": 2100000}')
    assert response.parsed_json() == {"name": "Paris", "population": 2100000}
    assert response.parsed_json(City) == City("Paris", 2100000)


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("Paris", "the answer is not the expected JSON: "),
        ('{"name": "Paris"}', "object missing required field 'population'"),
    ],
)
def test_parsed_json_errors_are_malformed_response(text, detail):
    class City(msgspec.Struct):
        name: str
        population: int

    response = ModelResponse(text=text, model="gpt", provider="openai")
    with pytest.raises(MalformedResponseError) as caught:
        response.parsed_json(City)
    assert detail in str(caught.value)
    assert str(caught.value).startswith("openai model 'gpt': the answer is not the expected JSON")
    assert caught.value.retryable


def test_events_are_a_tagged_union():
    events: list[ModelEvent] = [
        TextDelta("Hel"),
        ToolCallDelta(0, "c1", "search", '{"q"'),
        ToolCallDelta(0, arguments=': "x"}'),
        UsageUpdate(Usage(input_tokens=3)),
        Finish(FinishReason.TOOL_CALLS),
    ]
    data = msgspec.json.encode(events)
    assert msgspec.json.decode(data, type=list[ModelEvent]) == events
    assert msgspec.json.encode(TextDelta("x")) == b'{"type":"text_delta","text":"x"}'
    assert msgspec.json.encode(Finish()) == b'{"type":"finish","reason":"stop"}'


def test_decoded_tool_call_delta_index_is_not_negative():
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"type":"tool_call_delta","index":-1}', type=ModelEvent)

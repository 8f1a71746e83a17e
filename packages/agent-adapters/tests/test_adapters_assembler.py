import pytest
import trio

from mxp_agents.adapters import (
    Finish,
    FinishReason,
    MalformedResponseError,
    ModelEvent,
    ResponseAssembler,
    TextDelta,
    ToolCallDelta,
    UsageUpdate,
    collect_response,
)
from mxp_agents.primitives import ToolCall, Usage


def assemble(*events: ModelEvent, model: str = "m", provider: str = "p"):
    assembler = ResponseAssembler(model=model, provider=provider)
    for event in events:
        assembler.add(event)
    return assembler.response()


def test_text_usage_and_finish():
    response = assemble(
        UsageUpdate(Usage(input_tokens=10, cached_input_tokens=4)),
        TextDelta("Hel"),
        TextDelta("lo"),
        UsageUpdate(Usage(output_tokens=2, reasoning_tokens=1)),
        Finish(FinishReason.LENGTH),
    )
    assert response.text == "Hello"
    assert response.tool_calls == ()
    assert response.usage == Usage(
        input_tokens=10, output_tokens=2, cached_input_tokens=4, reasoning_tokens=1
    )
    assert response.finish_reason is FinishReason.LENGTH
    assert (response.model, response.provider) == ("m", "p")


def test_interleaved_deltas_of_parallel_tool_calls_are_joined_per_index_in_index_order():
    response = assemble(
        ToolCallDelta(1, "call_b", "clock", ""),
        ToolCallDelta(0, "call_a", "search", '{"qu'),
        ToolCallDelta(2, "call_c", "weather", '{"city":'),
        ToolCallDelta(1, None, None, '{"tz": "UTC"}'),
        ToolCallDelta(0, None, None, 'ery": "mx'),
        ToolCallDelta(2, None, None, ' "Paris"}'),
        ToolCallDelta(0, None, None, 'p"}'),
        Finish(FinishReason.TOOL_CALLS),
    )
    assert response.tool_calls == (
        ToolCall("call_a", "search", {"query": "mxp"}, '{"query": "mxp"}'),
        ToolCall("call_b", "clock", {"tz": "UTC"}, '{"tz": "UTC"}'),
        ToolCall("call_c", "weather", {"city": "Paris"}, '{"city": "Paris"}'),
    )
    assert response.message.tool_calls == response.tool_calls


def test_id_and_name_may_come_late_or_repeat():
    response = assemble(
        ToolCallDelta(0, None, None, "{"),
        ToolCallDelta(0, "c1", None, "}"),
        ToolCallDelta(0, "c1", "search", ""),
        Finish(),
    )
    assert response.tool_calls == (ToolCall("c1", "search", {}, "{}"),)


def test_sparse_indexes_keep_their_order():
    response = assemble(
        ToolCallDelta(5, "c5", "b", "{}"),
        ToolCallDelta(2, "c2", "a", "{}"),
        Finish(),
    )
    assert [call.id for call in response.tool_calls] == ["c2", "c5"]


def test_blank_arguments_mean_an_empty_object():
    response = assemble(ToolCallDelta(0, "c1", "clock"), Finish())
    assert response.tool_calls[0].arguments == {}


@pytest.mark.parametrize(
    ("events", "message"),
    [
        (
            [ToolCallDelta(0, "c1", "search", '{"q": '), Finish()],
            "p model 'm': tool call 0 ('search'): arguments are not valid JSON",
        ),
        (
            [ToolCallDelta(0, "c1", "search", "[1, 2]"), Finish()],
            "p model 'm': tool call 0 ('search'): arguments must be a JSON object, got array",
        ),
        (
            [ToolCallDelta(3, "c1", None, "{}"), Finish()],
            "p model 'm': tool call 3 has no tool name",
        ),
        (
            [ToolCallDelta(0, None, "search", "{}"), Finish()],
            "p model 'm': tool call 0 ('search') has no id",
        ),
        ([TextDelta("hi")], "p model 'm': the stream ended without a Finish event"),
    ],
)
def test_malformed_streams_at_response(events, message):
    assembler = ResponseAssembler(model="m", provider="p")
    for event in events:
        assembler.add(event)
    with pytest.raises(MalformedResponseError) as caught:
        assembler.response()
    assert str(caught.value).startswith(message)
    assert caught.value.provider == "p"
    assert caught.value.model == "m"


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ([Finish(), TextDelta("late")], "got a TextDelta event after the Finish event"),
        ([Finish(), Finish()], "got a Finish event after the Finish event"),
        (
            [ToolCallDelta(0, "c1", "a"), ToolCallDelta(0, "c2")],
            "tool call 0 got a second id 'c2' (first 'c1')",
        ),
        (
            [ToolCallDelta(0, "c1", "a"), ToolCallDelta(0, None, "b")],
            "tool call 0 got a second name 'b' (first 'a')",
        ),
        ([ToolCallDelta(-1, "c1", "a")], "a tool call index must be an int >= 0, got -1"),
    ],
)
def test_malformed_streams_at_add(events, message):
    assembler = ResponseAssembler()
    *good, bad = events
    for event in good:
        assembler.add(event)
    with pytest.raises(MalformedResponseError) as caught:
        assembler.add(bad)
    assert str(caught.value) == message


def test_not_an_event_is_a_type_error():
    with pytest.raises(TypeError, match="expected a ModelEvent, got str"):
        ResponseAssembler().add("hello")  # type: ignore[arg-type]


def test_finish_reason_property():
    assembler = ResponseAssembler()
    assert assembler.finish_reason is None
    assembler.add(Finish(FinishReason.CONTENT_FILTER))
    assert assembler.finish_reason is FinishReason.CONTENT_FILTER


def test_response_arguments_override_the_labels():
    assembler = ResponseAssembler(model="a", provider="b")
    assembler.add(Finish())
    response = assembler.response(model="x", provider="y")
    assert (response.model, response.provider) == ("x", "y")


async def test_collect_response_reads_and_closes_the_stream():
    closed = []

    async def stream():
        try:
            yield TextDelta("Hi")
            yield Finish()
            yield TextDelta("never read")
        finally:
            closed.append(True)

    with pytest.raises(MalformedResponseError, match="after the Finish event"):
        await collect_response(stream(), "m", "p")
    assert closed == [True]


async def test_collect_response_closes_the_stream_on_cancellation():
    closed = []

    async def stream():
        try:
            yield TextDelta("Hi")
            await trio.sleep_forever()
            yield Finish()
        finally:
            closed.append(True)

    with trio.move_on_after(0.01) as scope:
        await collect_response(stream(), "m", "p")
    assert scope.cancelled_caught
    assert closed == [True]


async def test_collect_response_of_a_well_formed_stream():
    async def stream():
        yield TextDelta("Paris")
        yield UsageUpdate(Usage(input_tokens=3, output_tokens=1))
        yield Finish()

    response = await collect_response(stream(), model="m", provider="p")
    assert (response.text, response.usage.total, response.model) == ("Paris", 4, "m")

import pytest
import trio
import trio.testing

from mxp_agents.adapters import (
    Finish,
    FinishReason,
    ModelAdapter,
    ModelRequest,
    ModelResponse,
    RateLimitedError,
    ResponseAssembler,
    TextDelta,
    ToolCallDelta,
    TransientModelError,
    UsageUpdate,
    collect_response,
)
from mxp_agents.adapters.testing import ScriptedModel, ScriptExhausted, Step
from mxp_agents.primitives import Message, ToolCall, Usage

REQUEST = ModelRequest(
    (Message.system("Be brief."), Message.user("What is the capital of France?"))
)
SEARCH = ToolCall("call_1", "search", {"query": "capital of France", "limit": 3})
CLOCK = ToolCall("call_2", "clock", {})


async def streamed(model: ScriptedModel, request: ModelRequest = REQUEST) -> list:
    return [event async for event in model.stream(request)]


def assembled(events: list, model: ScriptedModel) -> ModelResponse:
    assembler = ResponseAssembler(model=model.model_name, provider=model.provider)
    for event in events:
        assembler.add(event)
    return assembler.response()


def every_kind() -> list[Step]:
    return [
        Step.text("Paris is the capital of France."),
        Step.tool_calls(SEARCH, CLOCK, text="Let me check."),
        Step.json({"city": "Paris", "population": 2102650}),
        Step.text("Cut short", finish_reason=FinishReason.LENGTH),
        Step.respond(lambda request: ModelResponse(text=f"{len(request.messages)} messages")),
        Step.text("Scripted usage", usage=Usage(input_tokens=7, output_tokens=3)),
    ]


def test_is_a_model_adapter():
    model = ScriptedModel([], model_name="fake-gpt")
    assert isinstance(model, ModelAdapter)
    assert (model.provider, model.model_name) == ("scripted", "fake-gpt")


async def test_text_step():
    model = ScriptedModel([Step.text("Paris.")])
    response = await model.complete(REQUEST)
    assert response.text == "Paris."
    assert response.tool_calls == ()
    assert response.finish_reason is FinishReason.STOP
    assert (response.model, response.provider) == ("scripted", "scripted")
    assert response.usage.input_tokens > 0
    assert response.usage.output_tokens > 0
    model.assert_complete()


async def test_usage_is_estimated_at_four_characters_per_token():
    request = ModelRequest((Message.user("x" * 40),))
    response = await ScriptedModel([Step.text("y" * 9)]).complete(request)
    assert response.usage == Usage(input_tokens=10, output_tokens=3)
    empty = await ScriptedModel([Step.text("")]).complete(request)
    assert empty.usage.output_tokens == 1


async def test_tool_calls_step():
    model = ScriptedModel([Step.tool_calls(SEARCH, CLOCK, text="Checking.")])
    response = await model.complete(REQUEST)
    assert [call.name for call in response.tool_calls] == ["search", "clock"]
    assert response.tool_calls[0].arguments == SEARCH.arguments
    assert response.tool_calls[0].raw_arguments == '{"query":"capital of France","limit":3}'
    assert response.text == "Checking."
    assert response.finish_reason is FinishReason.TOOL_CALLS
    assert response.message.tool_calls == response.tool_calls


async def test_json_step():
    response = await ScriptedModel([Step.json({"city": "Paris"})]).complete(REQUEST)
    assert response.text == '{"city":"Paris"}'
    assert response.parsed_json() == {"city": "Paris"}


async def test_error_step_raises_the_error_in_complete_and_stream():
    error = RateLimitedError("slow down", retry_after=1.0)
    model = ScriptedModel([Step.error(error), Step.error(error)])
    with pytest.raises(RateLimitedError) as caught:
        await model.complete(REQUEST)
    assert caught.value is error
    with pytest.raises(RateLimitedError):
        await streamed(model)
    model.assert_complete()


async def test_error_step_with_partial_text_streams_it_first():
    model = ScriptedModel(
        [Step.error(TransientModelError("connection reset"), partial_text="Paris is")],
        chunk_size=3,
    )
    seen = []

    async def read() -> None:
        async for event in model.stream(REQUEST):
            seen.append(event)

    with pytest.raises(TransientModelError):
        await read()
    assert seen == [TextDelta("Par"), TextDelta("is "), TextDelta("is")]


async def test_respond_step_gets_the_request():
    model = ScriptedModel(
        [Step.respond(lambda request: ModelResponse(text=request.messages[-1].content.upper()))]
    )
    response = await model.complete(REQUEST)
    assert response.text == "WHAT IS THE CAPITAL OF FRANCE?"
    assert (response.model, response.provider) == ("scripted", "scripted")
    assert response.usage.total > 0  # estimated, since the function gave none


async def test_respond_step_may_return_a_step_or_be_async():
    async def later(request: ModelRequest) -> Step:
        await trio.lowlevel.checkpoint()
        return Step.tool_calls(SEARCH)

    model = ScriptedModel(
        [Step.respond(later), Step.respond(lambda request: Step.text("ok", usage=Usage()))]
    )
    first = await model.complete(REQUEST)
    assert first.tool_calls[0].name == "search"
    events = await streamed(model)
    assert assembled(events, model).text == "ok"


async def test_respond_step_returning_something_else_is_a_type_error():
    model = ScriptedModel([Step.respond(lambda request: "text")])  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match="return a ModelResponse or a Step"):
        await model.complete(REQUEST)


@pytest.mark.parametrize("chunk_size", [None, 1, 5, 1000])
async def test_streamed_and_whole_answers_assemble_to_the_complete_response(chunk_size):
    for streamed_flag in (True, False):
        steps = every_kind()
        whole = ScriptedModel(steps, chunk_size=chunk_size)
        completes = [await whole.complete(REQUEST) for _ in steps]
        streaming = ScriptedModel(every_kind_with(streamed_flag), chunk_size=chunk_size)
        for expected in completes:
            events = await streamed(streaming)
            assert isinstance(events[-1], Finish)
            assert sum(isinstance(event, Finish) for event in events) == 1
            assert assembled(events, streaming) == expected


def every_kind_with(streamed_flag: bool) -> list[Step]:
    return [
        Step.text("Paris is the capital of France.", streamed=streamed_flag),
        Step.tool_calls(SEARCH, CLOCK, text="Let me check.", streamed=streamed_flag),
        Step.json({"city": "Paris", "population": 2102650}, streamed=streamed_flag),
        Step.text("Cut short", finish_reason=FinishReason.LENGTH, streamed=streamed_flag),
        Step.respond(
            lambda request: ModelResponse(text=f"{len(request.messages)} messages"),
            streamed=streamed_flag,
        ),
        Step.text(
            "Scripted usage",
            usage=Usage(input_tokens=7, output_tokens=3),
            streamed=streamed_flag,
        ),
    ]


async def test_streamed_step_is_many_small_deltas():
    model = ScriptedModel([Step.tool_calls(SEARCH, text="Checking it.")], chunk_size=4)
    events = await streamed(model)
    texts = [event.text for event in events if isinstance(event, TextDelta)]
    assert texts == ["Chec", "king", " it."]
    fragments = [event for event in events if isinstance(event, ToolCallDelta)]
    assert len(fragments) > 3
    assert (fragments[0].id, fragments[0].name) == ("call_1", "search")
    assert all(fragment.id is None and fragment.name is None for fragment in fragments[1:])
    assert "".join(fragment.arguments for fragment in fragments) == SEARCH_JSON
    usage = [event for event in events if isinstance(event, UsageUpdate)]
    assert usage[0].usage.output_tokens == 0  # input first, output at the end
    assert usage[-1].usage.input_tokens == 0


SEARCH_JSON = '{"query":"capital of France","limit":3}'


async def test_unstreamed_step_is_one_delta_per_part():
    model = ScriptedModel([Step.tool_calls(SEARCH, CLOCK, text="Checking.", streamed=False)])
    events = await streamed(model)
    assert events[:3] == [
        TextDelta("Checking."),
        ToolCallDelta(0, "call_1", "search", SEARCH_JSON),
        ToolCallDelta(1, "call_2", "clock", "{}"),
    ]
    assert isinstance(events[3], UsageUpdate)
    assert events[4] == Finish(FinishReason.TOOL_CALLS)


async def test_requests_are_recorded_in_order_by_both_calls():
    model = ScriptedModel([Step.text("a"), Step.text("b"), Step.text("c")])
    second = ModelRequest((Message.user("second"),))
    await model.complete(REQUEST)
    await streamed(model, second)
    with trio.move_on_after(0) as scope:
        await model.complete(REQUEST)  # cancelled before it answers, but recorded
    assert scope.cancelled_caught
    assert model.requests == [REQUEST, second, REQUEST]
    model.assert_complete()


async def test_script_exhausted_names_the_script_and_the_last_message():
    model = ScriptedModel([Step.text("only")], model_name="planner")
    await model.complete(REQUEST)
    with pytest.raises(ScriptExhausted) as caught:
        await model.complete(ModelRequest((Message.user("And Germany?"),)))
    text = str(caught.value)
    assert "ScriptedModel 'planner' got request #2, but its script has 1 step;" in text
    assert "the request's last message is user: 'And Germany?'" in text
    assert isinstance(caught.value, AssertionError)
    with pytest.raises(ScriptExhausted, match="request #3, but its script has 1 step"):
        await streamed(model)
    assert len(model.requests) == 3


async def test_script_exhausted_shows_a_tool_message():
    model = ScriptedModel([])
    request = ModelRequest(
        (
            Message.user("time?"),
            Message.assistant(tool_calls=[CLOCK]),
            Message.tool("12:00", tool_call_id="call_2", name="clock"),
        )
    )
    with pytest.raises(
        ScriptExhausted, match=r"has 0 steps; .* tool \(answering call_2\): '12:00'"
    ):
        await model.complete(request)


async def test_assert_complete_lists_the_unused_steps():
    model = ScriptedModel(
        [Step.text("a"), Step.tool_calls(SEARCH), Step.error(RateLimitedError("x"))]
    )
    await model.complete(REQUEST)
    assert model.remaining == 2
    with pytest.raises(AssertionError) as caught:
        model.assert_complete()
    assert str(caught.value) == (
        "ScriptedModel 'scripted': 2 of 3 scripted steps were not used (1 requests came): "
        "#2 Step.tool_calls(search), #3 Step.error(RateLimitedError('x'))"
    )


async def test_delay_waits_on_the_trio_clock(autojump_clock: trio.testing.MockClock):
    model = ScriptedModel([Step.text("slow", delay=30.0), Step.text("slow stream", delay=5.0)])
    start = trio.current_time()
    await model.complete(REQUEST)
    assert trio.current_time() - start == pytest.approx(30.0)
    await streamed(model)
    assert trio.current_time() - start == pytest.approx(35.0)


async def test_delay_is_cancellable_for_timeout_tests(autojump_clock: trio.testing.MockClock):
    model = ScriptedModel([Step.text("too slow", delay=60.0), Step.text("in time", delay=1.0)])
    with trio.move_on_after(10) as scope:
        await model.complete(REQUEST)
    assert scope.cancelled_caught
    with trio.fail_after(10):
        assert (await model.complete(REQUEST)).text == "in time"


async def test_delayed_stream_is_cancellable(autojump_clock: trio.testing.MockClock):
    model = ScriptedModel([Step.text("too slow", delay=60.0)])
    with trio.move_on_after(10) as scope:
        await collect_response(model.stream(REQUEST), "scripted", "scripted")
    assert scope.cancelled_caught
    model.assert_complete()  # the step was consumed by the call that timed out


async def test_closing_a_stream_early_mid_answer():
    model = ScriptedModel([Step.text("Paris is the capital of France."), Step.text("next")])
    stream = model.stream(REQUEST)
    seen = [await stream.__anext__() for _ in range(3)]
    assert isinstance(seen[1], TextDelta)
    await stream.aclose()
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()
    assert (await model.complete(REQUEST)).text == "next"  # the next call gets the next step


async def test_breaking_out_of_a_stream_and_closing_it():
    model = ScriptedModel([Step.tool_calls(SEARCH, CLOCK)], chunk_size=2)
    stream = model.stream(REQUEST)
    async for event in stream:
        if isinstance(event, ToolCallDelta) and event.index == 1:
            break
    await stream.aclose()
    model.assert_complete()


async def test_concurrent_calls_take_steps_in_arrival_order():
    model = ScriptedModel([Step.text(str(number)) for number in range(5)])
    answers: list[str] = []

    async def ask() -> None:
        answers.append((await model.complete(REQUEST)).text)

    async with trio.open_nursery() as nursery:
        for _ in range(5):
            nursery.start_soon(ask)
    assert sorted(answers) == ["0", "1", "2", "3", "4"]
    model.assert_complete()


async def test_a_repeated_step_object_plays_each_time():
    step = Step.text("ok")
    model = ScriptedModel([step] * 3)
    texts = [(await model.complete(REQUEST)).text for _ in range(2)]
    texts.append(assembled(await streamed(model), model).text)
    assert texts == ["ok", "ok", "ok"]


def test_step_reprs():
    assert repr(Step.text("x" * 100)) == f"Step.text('{'x' * 37}...')"
    assert repr(Step.json([1])) == "Step.json('[1]')"
    assert repr(Step.tool_calls(SEARCH, CLOCK)) == "Step.tool_calls(search, clock)"

    def reply(request: ModelRequest) -> ModelResponse:
        return ModelResponse()

    assert repr(Step.respond(reply)).startswith("Step.respond(test_step_reprs.")


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda: Step.tool_calls(), ValueError, "at least one ToolCall"),
        (lambda: Step.tool_calls("search"), TypeError, "takes ToolCall values"),  # type: ignore[arg-type]
        (lambda: Step.text("x", delay=-1), ValueError, "delay must be"),
        (lambda: Step.text("x", delay=float("inf")), ValueError, "delay must be"),
        (lambda: Step.text("x", usage=3), TypeError, "usage must be a Usage"),  # type: ignore[arg-type]
        (lambda: Step.text("x", finish_reason="done"), ValueError, "done"),
        (lambda: Step.error("boom"), TypeError, "takes an exception"),  # type: ignore[arg-type]
        (lambda: Step.respond("x"), TypeError, "takes a callable"),  # type: ignore[arg-type]
        (lambda: ScriptedModel(["x"]), TypeError, "not a Step"),  # type: ignore[list-item]
        (lambda: ScriptedModel([], chunk_size=0), ValueError, "chunk_size"),
    ],
)
def test_bad_script_arguments(build, error, match):
    with pytest.raises(error, match=match):
        build()

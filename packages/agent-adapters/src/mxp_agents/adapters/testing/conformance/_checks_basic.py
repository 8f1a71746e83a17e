"""Checks of plain answers: text, streaming, request options, structured output, usage, cost."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from mxp_agents.adapters._assembler import ResponseAssembler, collect_response
from mxp_agents.adapters._cost import Price, PriceTable
from mxp_agents.adapters._events import Finish, FinishReason, ModelEvent, TextDelta, UsageUpdate
from mxp_agents.adapters._request import ModelRequest
from mxp_agents.adapters.testing.conformance._fixtures import CITY, CITY_SCHEMA, TEXT, ask
from mxp_agents.adapters.testing.conformance._registry import check, expect
from mxp_agents.adapters.testing.conformance._types import Harness, Reply
from mxp_agents.primitives import Message, Usage

if TYPE_CHECKING:
    from mxp_agents.adapters._protocol import ModelAdapter
    from mxp_agents.adapters._response import ModelResponse


async def stream_events(model: ModelAdapter, request: ModelRequest) -> list[ModelEvent]:
    """Every event of ``model.stream(request)``, checking the stream's shape on the way."""
    events = [event async for event in model.stream(request)]
    finishes = [i for i, event in enumerate(events) if isinstance(event, Finish)]
    expect(finishes == [len(events) - 1], f"one Finish, last; got events {events!r}")
    return events


def assembled(events: list[ModelEvent], model: ModelAdapter) -> ModelResponse:
    """The response the events add up to."""
    assembler = ResponseAssembler(model=model.model_name, provider=model.provider)
    for event in events:
        assembler.add(event)
    return assembler.response()


@check()
async def complete_text(harness: Harness) -> None:
    """complete(): the text, usage, finish reason and provider the backend reported."""
    usage = Usage(input_tokens=21, output_tokens=9)
    async with harness.model([Reply(text=TEXT, usage=usage)]) as model:
        response = await model.complete(ask())
    expect(response.text == TEXT, f"text {response.text!r} != {TEXT!r}")
    expect(response.finish_reason is FinishReason.STOP, f"finish {response.finish_reason}")
    expect(response.usage == usage, f"usage {response.usage} != {usage}")
    expect(response.provider == harness.name, f"provider {response.provider!r}")
    expect(bool(response.model), "the response names no model")
    seen = harness.seen()
    expect(len(seen) == 1 and not seen[0].stream, f"one non-streamed request, saw {seen}")


@check()
async def stream_text(harness: Harness) -> None:
    """stream(): several text deltas that add up to the text, usage, exactly one Finish."""
    usage = Usage(input_tokens=21, output_tokens=9)
    async with harness.model([Reply(text=TEXT, usage=usage)]) as model:
        events = await stream_events(model, ask())
        response = assembled(events, model)
    deltas = [event for event in events if isinstance(event, TextDelta)]
    expect(len(deltas) >= 2, f"the text came in {len(deltas)} delta(s); it must stream")
    expect(response.text == TEXT, f"streamed text {response.text!r} != {TEXT!r}")
    expect(response.usage == usage, f"streamed usage {response.usage} != {usage}")
    expect(response.finish_reason is FinishReason.STOP, f"finish {response.finish_reason}")
    seen = harness.seen()
    expect(len(seen) == 1 and seen[0].stream, f"one streamed request, saw {seen}")


@check()
async def system_prompt(harness: Harness) -> None:
    """System messages reach the provider where it wants them; nothing is dropped."""
    request = ModelRequest(
        (
            Message.system("You are terse."),
            Message.user("Hi"),
            Message.assistant("Hello."),
            Message.user("Bye"),
        )
    )
    async with harness.model([Reply(text="ok"), Reply(text="ok")]) as model:
        await model.complete(request)
        await collect_response(model.stream(request))
    for seen in harness.seen():
        expect("You are terse." in seen.system, f"system prompt lost: {seen.system!r}")
        expect(seen.roles == ("user", "assistant", "user"), f"turns {seen.roles}")
        expect(seen.texts == ("Hi", "Hello.", "Bye"), f"texts {seen.texts}")


@check()
async def request_options(harness: Harness) -> None:
    """max_output_tokens (and temperature and stop, where supported) reach the provider."""
    options: dict[str, Any] = {"max_output_tokens": 77}
    if "temperature" in harness.features:
        options["temperature"] = 0.3
    if "stop" in harness.features:
        options["stop"] = ("END",)
    async with harness.model([Reply(text="ok")]) as model:
        await model.complete(ask(**options))
    (seen,) = harness.seen()
    expect(seen.max_output_tokens == 77, f"max_output_tokens {seen.max_output_tokens}")
    if "temperature" in harness.features:
        temperature = seen.temperature
        expect(
            temperature is not None and math.isclose(temperature, 0.3), f"temperature {temperature}"
        )
    if "stop" in harness.features:
        expect(seen.stop == ("END",), f"stop {seen.stop}")


@check("json_schema")
async def json_schema(harness: Harness) -> None:
    """A JSON-schema response format reaches the provider; the answer parses."""
    answer = '{"name": "Paris", "population": 2102650}'
    async with harness.model([Reply(text=answer), Reply(text=answer)]) as model:
        response = await model.complete(ask("A city?", response_format=CITY))
        streamed = await collect_response(model.stream(ask("A city?", response_format=CITY)))
    for result in (response, streamed):
        parsed = result.parsed_json()
        expect(parsed == {"name": "Paris", "population": 2102650}, f"parsed {parsed!r}")
    for seen in harness.seen():
        expect(seen.response_schema == CITY_SCHEMA, f"schema sent {seen.response_schema!r}")


async def _usage_round_trip(harness: Harness, usage: Usage) -> None:
    async with harness.model([Reply(text="ok", usage=usage)] * 2) as model:
        response = await model.complete(ask())
        streamed = await collect_response(model.stream(ask()))
    expect(response.usage == usage, f"complete usage {response.usage} != {usage}")
    expect(streamed.usage == usage, f"streamed usage {streamed.usage} != {usage}")


@check("cached_tokens")
async def cached_tokens(harness: Harness) -> None:
    """Prompt-cache hits are reported as cached_input_tokens (part of input_tokens)."""
    await _usage_round_trip(
        harness, Usage(input_tokens=100, cached_input_tokens=60, output_tokens=20)
    )


@check("reasoning_tokens")
async def reasoning_tokens(harness: Harness) -> None:
    """Reasoning tokens are reported as reasoning_tokens (part of output_tokens)."""
    usage = Usage(input_tokens=50, output_tokens=40, reasoning_tokens=25)
    await _usage_round_trip(harness, usage)


@check()
async def cost(harness: Harness) -> None:
    """Each response and each streamed usage update carries its cost from the price table."""
    price = Price(input=2.0, output=4.0)
    prices = PriceTable({f"{harness.name}/{harness.model_name}": price}, defaults=False)
    usage = Usage(input_tokens=1000, output_tokens=500)
    async with harness.model([Reply(text="ok", usage=usage)] * 2, prices=prices) as model:
        response = await model.complete(ask())
        events = await stream_events(model, ask())
    expected = price.cost(usage)
    got = response.cost
    expect(got is not None and math.isclose(got, expected), f"cost {got} != {expected}")
    costs = [event.cost for event in events if isinstance(event, UsageUpdate)]
    total = sum(c for c in costs if c is not None)
    expect(costs and None not in costs, f"usage updates without cost: {costs}")
    expect(math.isclose(total, expected), f"streamed cost {total} != {expected}")
    unpriced = PriceTable(defaults=False)
    async with harness.model([Reply(text="ok", usage=usage)], prices=unpriced) as model:
        response = await model.complete(ask())
    expect(response.cost is None, f"an unpriced model reported cost {response.cost}")

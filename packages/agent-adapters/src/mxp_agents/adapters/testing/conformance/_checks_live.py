"""Checks that hold for any answer of a live model (one whose output cannot be scripted)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mxp_agents.adapters._assembler import collect_response
from mxp_agents.adapters._events import TextDelta
from mxp_agents.adapters._request import ToolChoiceTool
from mxp_agents.adapters.testing.conformance._checks_basic import assembled, stream_events
from mxp_agents.adapters.testing.conformance._fixtures import CITY, CLOCK, WEATHER, ask
from mxp_agents.adapters.testing.conformance._registry import check, expect

if TYPE_CHECKING:
    from mxp_agents.adapters.testing.conformance._types import Harness

_SHORT = 24  # output tokens: enough to say something, cheap to generate


@check(scripted=False)
async def live_complete(harness: Harness) -> None:
    """complete() answers with text or tool calls, usage and a provider label."""
    async with harness.model([]) as model:
        response = await model.complete(ask(max_output_tokens=_SHORT))
    expect(response.text or response.tool_calls, "an empty answer")
    expect(response.usage.input_tokens > 0, f"usage {response.usage}")
    expect(0 < response.usage.output_tokens <= _SHORT, f"output tokens {response.usage}")
    expect(response.provider == harness.name, f"provider {response.provider!r}")


@check(scripted=False)
async def live_stream(harness: Harness) -> None:
    """stream() yields text deltas and exactly one final Finish, adding up to an answer."""
    async with harness.model([]) as model:
        events = await stream_events(model, ask(max_output_tokens=_SHORT))
        response = assembled(events, model)
    deltas = [event for event in events if isinstance(event, TextDelta)]
    expect(len(deltas) >= 2, f"{len(deltas)} text delta(s): the answer did not stream")
    expect(response.usage.output_tokens > 0, f"usage {response.usage}")


@check("tools", scripted=False)
async def live_tool_call(harness: Harness) -> None:
    """A required tool call names an offered tool, with the arguments its schema requires."""
    async with harness.model([]) as model:
        forced = await model.complete(
            ask(
                "Weather in Paris?",
                tools=(WEATHER, CLOCK),
                tool_choice="required",
                max_output_tokens=64,
            )
        )
        named = await model.complete(
            ask(
                "Weather in Paris?",
                tools=(WEATHER, CLOCK),
                tool_choice=ToolChoiceTool("weather"),
                max_output_tokens=64,
            )
        )
    expect(forced.tool_calls, f"no tool call under tool_choice='required': {forced.text!r}")
    expect(all(c.name in ("weather", "clock") for c in forced.tool_calls), "an unknown tool")
    expect([c.name for c in named.tool_calls] == ["weather"], f"named: {named.tool_calls}")
    city = named.tool_calls[0].arguments.get("city")
    expect(isinstance(city, str), f"weather arguments {named.tool_calls[0].arguments}")


@check("json_schema", scripted=False)
async def live_json_schema(harness: Harness) -> None:
    """A JSON-schema response format gives JSON that fits the schema."""
    async with harness.model([]) as model:
        response = await model.complete(ask("A city?", response_format=CITY, max_output_tokens=64))
    value = response.parsed_json()
    expect(isinstance(value, dict), f"not an object: {value!r}")
    expect(isinstance(value.get("name"), str), f"name missing: {value!r}")
    expect(type(value.get("population")) is int, f"population missing: {value!r}")
    expect(set(value) == {"name", "population"}, f"extra keys: {value!r}")


@check(scripted=False)
async def live_cancel(harness: Harness) -> None:
    """Closing a stream early stops it, and the model answers the next call."""
    async with harness.model([]) as model:
        stream = model.stream(ask("Count from one to fifty.", max_output_tokens=128))
        async for _event in stream:
            break
        await stream.aclose()  # type: ignore[attr-defined]
        response = await collect_response(model.stream(ask(max_output_tokens=8)))
    expect(response.usage.output_tokens > 0, "the model did not answer after a cancel")

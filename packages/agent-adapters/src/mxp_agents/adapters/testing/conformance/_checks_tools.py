"""Checks of tools: definitions and choice sent, calls received whole and streamed, results."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mxp_agents.adapters._assembler import collect_response
from mxp_agents.adapters._events import FinishReason, ToolCallDelta
from mxp_agents.adapters._request import ToolChoiceTool
from mxp_agents.adapters.testing.conformance._checks_basic import assembled, stream_events
from mxp_agents.adapters.testing.conformance._fixtures import (
    CALL_A,
    CALL_B,
    CLOCK,
    WEATHER,
    ask,
    tool_conversation,
)
from mxp_agents.adapters.testing.conformance._registry import check, expect
from mxp_agents.adapters.testing.conformance._types import Harness, Reply

if TYPE_CHECKING:
    from mxp_agents.adapters._response import ModelResponse
    from mxp_agents.primitives import ToolCall


def _calls(harness: Harness) -> tuple[ToolCall, ...]:
    return (CALL_A, CALL_B) if "parallel_tool_calls" in harness.features else (CALL_A,)


def _check_calls(harness: Harness, response: ModelResponse, how: str) -> None:
    wanted = _calls(harness)
    got = response.tool_calls
    expect(len(got) == len(wanted), f"{how}: {len(got)} tool call(s), wanted {len(wanted)}")
    for call, want in zip(got, wanted, strict=True):
        expect(call.name == want.name, f"{how}: tool {call.name!r} != {want.name!r}")
        expect(call.arguments == want.arguments, f"{how}: arguments {call.arguments!r}")
        if "tool_call_ids" in harness.features:
            expect(call.id == want.id, f"{how}: id {call.id!r} != {want.id!r}")
    ids = [call.id for call in got]
    expect(all(ids) and len(set(ids)) == len(ids), f"{how}: ids must be unique, got {ids}")
    expect(
        response.finish_reason is FinishReason.TOOL_CALLS, f"{how}: finish {response.finish_reason}"
    )


@check("tools")
async def tools_offered(harness: Harness) -> None:
    """The tool definitions reach the provider, in order."""
    async with harness.model([Reply(text="ok")]) as model:
        await model.complete(ask(tools=(WEATHER, CLOCK)))
    (seen,) = harness.seen()
    expect(seen.tool_names == ("weather", "clock"), f"tools sent {seen.tool_names}")


@check("tools", "tool_choice")
async def tool_choice(harness: Harness) -> None:
    """ "required" and a named tool reach the provider as its own way of forcing a tool."""
    choices = ("required", ToolChoiceTool("clock"), "none")
    async with harness.model([Reply(text="ok")] * len(choices)) as model:
        for choice in choices:
            await model.complete(ask(tools=(WEATHER, CLOCK), tool_choice=choice))
    sent = [seen.tool_choice for seen in harness.seen()]
    expect(sent[:2] == ["required", "clock"], f"tool_choice sent {sent}")
    expect(sent[2] in ("none", None), f"tool_choice 'none' sent as {sent[2]!r}")


@check("tools")
async def tool_calls_complete(harness: Harness) -> None:
    """complete(): tool calls with their names, JSON arguments and (where carried) ids."""
    async with harness.model([Reply(tool_calls=_calls(harness))]) as model:
        response = await model.complete(ask(tools=(WEATHER, CLOCK)))
    _check_calls(harness, response, "complete")


@check("tools")
async def tool_calls_stream(harness: Harness) -> None:
    """stream(): tool-call deltas assemble into the same calls."""
    async with harness.model([Reply(tool_calls=_calls(harness))]) as model:
        events = await stream_events(model, ask(tools=(WEATHER, CLOCK)))
        response = assembled(events, model)
    deltas = [event for event in events if isinstance(event, ToolCallDelta)]
    expect(len(deltas) >= len(_calls(harness)), f"{len(deltas)} tool-call deltas")
    _check_calls(harness, response, "stream")


@check("tools")
async def tool_results(harness: Harness) -> None:
    """A tool call and its result go back to the provider matched to each other."""
    async with harness.model([Reply(text="Sunny."), Reply(text="Sunny.")]) as model:
        response = await model.complete(tool_conversation())
        streamed = await collect_response(model.stream(tool_conversation()))
    expect(response.text == streamed.text == "Sunny.", f"answers {response.text!r}")
    for seen in harness.seen():
        expect(seen.roles == ("user", "assistant", "tool"), f"turns {seen.roles}")
        expect(seen.texts[-1] == "sunny, 21 C", f"tool result text {seen.texts[-1:]}")
        if "tool_call_ids" in harness.features:
            expect(seen.tool_call_ids == (CALL_A.id,), f"call ids {seen.tool_call_ids}")
            expect(seen.tool_result_ids == (CALL_A.id,), f"result ids {seen.tool_result_ids}")
        else:
            ids = seen.tool_result_ids
            expect(ids in ((CALL_A.id,), (CALL_A.name,)), f"result matched by {ids}")

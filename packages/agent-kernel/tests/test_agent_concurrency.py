"""1,000 concurrent runs through one Agent: all in flight at once, with bounded memory."""

from __future__ import annotations

import tracemalloc
from collections.abc import AsyncGenerator

import trio
import trio.lowlevel
import trio.testing

from mxp_agents.adapters import Finish, ModelEvent, ModelRequest, ModelResponse, TextDelta
from mxp_agents.kernel import Agent, RunResult
from mxp_agents.primitives import Role, ToolCall
from mxp_agents.tools import tool

RUNS = 1_000
# Each run in flight holds its transcript (5 small messages), two requests, a tool call and its
# result, a few cancel scopes and its trio task with the coroutine frames of the loop, the
# executor and the tool; each finished run keeps its RunResult (kept by this test). That is
# about 9 KB per run measured with CPython 3.11. 24 KiB per run leaves room for allocator and
# version differences, and still fails if a run leaked a per-step copy of the request, of the
# agent's tool schemas or of its events (each several KB at this scale).
BYTES_PER_RUN = 24 * 1024


class AddingModel:
    """Asks for one ``add`` call, then answers with the tool's result (records nothing)."""

    provider = "test"
    model_name = "adding"

    async def complete(self, request: ModelRequest) -> ModelResponse:
        await trio.lowlevel.checkpoint()
        last = request.messages[-1]
        if last.role is Role.TOOL:
            return ModelResponse(text=f"sum {last.content}")
        return ModelResponse(tool_calls=(ToolCall("c1", "add", {"a": 1, "b": 2}),))

    async def stream(self, request: ModelRequest) -> AsyncGenerator[ModelEvent, None]:
        response = await self.complete(request)
        yield TextDelta(response.text)
        yield Finish()


async def test_a_thousand_concurrent_runs_with_bounded_memory(
    autojump_clock: trio.testing.MockClock,
) -> None:
    in_flight = 0
    everyone_in = trio.Event()

    @tool
    async def add(a: int, b: int) -> int:
        """Add, once every run is inside a tool call (proves the runs overlap)."""
        nonlocal in_flight
        in_flight += 1
        if in_flight == RUNS:
            everyone_in.set()
        await everyone_in.wait()
        return a + b

    agent = Agent("many", instructions="You add.", model=AddingModel(), tools=[add])
    results: list[RunResult[str]] = []

    async def one(index: int) -> None:
        results.append(await agent.run(f"task {index}"))

    await agent.run("warm up")  # imports and caches outside the measurement
    in_flight = 0
    everyone_in = trio.Event()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        with trio.fail_after(60):  # a deadlock (runs not concurrent) would hit this
            async with trio.open_nursery() as nursery:
                for index in range(RUNS):
                    nursery.start_soon(one, index)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(results) == RUNS
    assert all(result.ok and result.output == "sum 3" for result in results)
    assert len({result.run_id for result in results}) == RUNS
    growth = peak - before
    assert growth < RUNS * BYTES_PER_RUN, f"{growth / RUNS:.0f} bytes per run"

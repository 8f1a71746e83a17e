"""A kernel under load: busy replies, priorities, 1,000 concurrent calls, graceful shutdown."""

from contextlib import aclosing

import pytest
import trio

from mxp.transport import Endpoint
from mxp_agents.adapters.testing import FunctionModel
from mxp_agents.kernel import (
    Agent,
    AgentHooks,
    AgentState,
    CallError,
    CallRequest,
    CallResponse,
    Kernel,
    KernelConfig,
    LifecycleEvent,
    call_agent,
    stream_agent,
)


class Gate:
    """A model that records each task and waits for the gate to open before answering."""

    def __init__(self) -> None:
        self.opened = trio.Event()
        self.tasks: list[str] = []
        self.entered = trio.Event()

    async def __call__(self, request) -> str:
        task = request.messages[-1].content
        self.tasks.append(task)
        self.entered.set()
        await self.opened.wait()
        return f"done: {task}"


class Accepted(AgentHooks):
    """Sets ``reached`` once ``target`` calls passed ``on_message`` (admission follows at once)."""

    def __init__(self, target: int) -> None:
        self.count = 0
        self.target = target
        self.reached = trio.Event()

    async def on_message(self, kernel, message, peer):
        self.count += 1
        if self.count >= self.target:
            self.reached.set()


async def outcome(client, address, request) -> CallResponse | CallError:
    try:
        return await call_agent(client, address, request, timeout=20)
    except CallError as error:
        return error


async def test_a_full_queue_answers_busy_with_a_retry_hint():
    gate = Gate()
    agent = Agent("narrow", model=FunctionModel(gate))
    config = KernelConfig(max_concurrency=1, queue_size=2, retry_after_ms=300)
    results: list[CallResponse | CallError] = []
    busy = trio.Event()

    async def one(client, address, number):
        result = await outcome(client, address, f"task {number}")
        results.append(result)
        if sum(isinstance(r, CallError) for r in results) == 4:
            busy.set()

    kernel = Kernel(agent, config=config)
    async with (
        kernel.running(),
        Endpoint.bind("127.0.0.1", 0) as client,
        trio.open_nursery() as nursery,
    ):
        for number in range(7):
            nursery.start_soon(one, client, kernel.address, number)
        with trio.fail_after(10):
            await busy.wait()
        assert (kernel.scheduler.running, kernel.scheduler.queued) == (1, 2)
        gate.opened.set()
    errors = [r for r in results if isinstance(r, CallError)]
    responses = [r for r in results if isinstance(r, CallResponse)]
    assert len(errors) == 4
    assert len(responses) == 3
    assert {(e.code, e.retry_after_ms, e.retryable) for e in errors} == {("busy", 300, True)}
    stats = kernel.scheduler.stats()
    assert (stats.peak_queued, stats.peak_running, stats.rejected_busy) == (2, 1, 4)


async def test_control_calls_overtake_queued_background_calls():
    gate = Gate()
    hooks = Accepted(target=5)
    agent = Agent("ordered", model=FunctionModel(gate))
    kernel = Kernel(agent, config=KernelConfig(max_concurrency=1), hooks=hooks)
    async with (
        kernel.running(),
        Endpoint.bind("127.0.0.1", 0) as client,
        trio.open_nursery() as nursery,
    ):
        nursery.start_soon(outcome, client, kernel.address, "first")
        await gate.entered.wait()
        for number in range(3):
            request = CallRequest(task=f"background {number}", priority="background")
            nursery.start_soon(outcome, client, kernel.address, request)
        hooks.target = 4
        await hooks.reached.wait()
        control = CallRequest(task="control", priority="control")
        nursery.start_soon(outcome, client, kernel.address, control)
        hooks.reached = trio.Event()
        hooks.target = 5
        await hooks.reached.wait()
        assert kernel.scheduler.queued == 4
        gate.opened.set()
    assert gate.tasks[:2] == ["first", "control"]
    assert sorted(gate.tasks[2:]) == [f"background {n}" for n in range(3)]


async def test_a_thousand_concurrent_calls_all_get_a_response_in_bounded_memory():
    agent = Agent("echo", model=FunctionModel(lambda request: request.messages[-1].content))
    kernel = Kernel(agent, config=KernelConfig(max_concurrency=32, queue_size=1024))
    texts: dict[int, str] = {}

    async def one(client, number):
        response = await call_agent(client, kernel.address, f"call {number}", timeout=30)
        texts[number] = response.text

    async with (
        kernel.running(),
        Endpoint.bind("127.0.0.1", 0) as client,
        trio.open_nursery() as nursery,
    ):
        for number in range(1000):
            nursery.start_soon(one, client, number)
    assert texts == {number: f"call {number}" for number in range(1000)}
    stats = kernel.scheduler.stats()
    assert stats.completed == 1000
    assert stats.peak_running <= 32
    assert stats.peak_queued <= 1024
    assert stats.rejected_busy == 0
    assert kernel.in_flight == 0


async def test_shutdown_drains_accepted_calls_queued_ones_included():
    gate = Gate()
    hooks = Accepted(target=6)
    agent = Agent("drained", model=FunctionModel(gate))
    config = KernelConfig(max_concurrency=2, queue_size=10, drain_timeout=30)
    kernel = Kernel(agent, config=config, hooks=hooks)
    results: list[CallResponse | CallError] = []

    async def one(client, address, number):
        results.append(await outcome(client, address, f"task {number}"))

    async with Endpoint.bind("127.0.0.1", 0) as client, trio.open_nursery() as nursery:
        async with kernel.running():
            for number in range(6):
                nursery.start_soon(one, client, kernel.address, number)
            await hooks.reached.wait()
            assert kernel.in_flight == 6
            assert (kernel.scheduler.running, kernel.scheduler.queued) == (2, 4)
            gate.opened.set()  # the work finishes while the kernel retires
        assert kernel.state is AgentState.TERMINATED
    assert sorted(r.text for r in results if isinstance(r, CallResponse)) == [
        f"done: task {n}" for n in range(6)
    ]


async def test_work_left_after_the_drain_timeout_is_cancelled_and_answered():
    gate = Gate()  # never opened
    hooks = Accepted(target=6)
    agent = Agent("stuck", model=FunctionModel(gate))
    config = KernelConfig(max_concurrency=2, queue_size=10, drain_timeout=0.2)
    kernel = Kernel(agent, config=config, hooks=hooks)
    results: list[CallResponse | CallError] = []

    async def one(client, address, number):
        results.append(await outcome(client, address, f"task {number}"))

    async def streamed(client, address):
        try:
            async with aclosing(stream_agent(client, address, "streamed", timeout=20)) as events:
                async for _ in events:
                    pass
        except CallError as error:
            results.append(error)

    async with (
        Endpoint.bind("127.0.0.1", 0) as client,
        trio.open_nursery() as nursery,
        kernel.running(),  # leaving it first: the shutdown happens with the calls in flight
    ):
        for number in range(5):
            nursery.start_soon(one, client, kernel.address, number)
        nursery.start_soon(streamed, client, kernel.address)
        await hooks.reached.wait()
        assert kernel.in_flight == 6
    assert len(results) == 6  # every accepted call got an answer, none timed out
    assert all(isinstance(r, CallError) for r in results)
    assert {r.code for r in results if isinstance(r, CallError)} == {"shutting_down"}
    assert kernel.state is AgentState.TERMINATED


async def test_calls_after_retirement_are_refused():
    agent = Agent("gone", model=FunctionModel(lambda request: "hi"))
    async with Endpoint.bind("127.0.0.1", 0) as client, Kernel(agent).running() as kernel:
        kernel.lifecycle.transition(LifecycleEvent.RETIRE)  # as the shutdown begins
        with pytest.raises(CallError) as caught:
            await call_agent(client, kernel.address, "hello")
    assert caught.value.code == "shutting_down"
    assert not caught.value.retry_after_ms


async def test_cancelling_serve_stops_gracefully_and_answers_in_flight_calls():
    gate = Gate()  # never opened: the drain times out and cancels the call
    agent = Agent("served", model=FunctionModel(gate))
    kernel = Kernel(agent, config=KernelConfig(drain_timeout=0.1))
    results: list[CallResponse | CallError] = []

    async def one(client, address):
        results.append(await outcome(client, address, "pending"))

    async with Endpoint.bind("127.0.0.1", 0) as client, trio.open_nursery() as calls:
        async with trio.open_nursery() as server:
            await server.start(kernel.serve)
            calls.start_soon(one, client, kernel.address)
            await gate.entered.wait()
            server.cancel_scope.cancel()
        assert kernel.state is AgentState.TERMINATED
    assert len(results) == 1
    assert isinstance(results[0], CallError)
    assert results[0].code == "shutting_down"

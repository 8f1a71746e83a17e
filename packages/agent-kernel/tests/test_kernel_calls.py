"""Calls to a kernel over real UDP: our body, the reference body, invalid bodies, streaming,
structured output and deadlines."""

from contextlib import aclosing, asynccontextmanager

import msgspec
import pytest
import trio

import mxp
from mxp import MessageType
from mxp.bodies import ErrorResponse, decode_body
from mxp.transport import Endpoint
from mxp_agents.adapters.testing import FunctionModel, ScriptedModel, Step
from mxp_agents.kernel import (
    Agent,
    CallError,
    CallRequest,
    CallResponse,
    CallStarted,
    CallStep,
    CallTextDelta,
    CallToolFinished,
    CallToolStarted,
    Kernel,
    KernelConfig,
    call_agent,
    stream_agent,
)
from mxp_agents.primitives import Message, Role, ToolCall
from mxp_agents.tools import ToolContext, tool


@asynccontextmanager
async def serving(agent, **settings):
    kernel = Kernel(agent, config=KernelConfig(**settings))
    async with kernel.running() as running, Endpoint.bind("127.0.0.1", 0) as client:
        yield running, client


async def raw_call(client, address, payload: bytes) -> mxp.Message:
    return await client.request(mxp.Message.new(MessageType.CALL, payload), address, timeout=5)


async def drain(stream) -> list:
    async with aclosing(stream) as events:
        return [event async for event in events]


def add_tool(log: list[str] | None = None):
    @tool(capabilities=("math.basic",))
    def add(a: int, b: int) -> int:
        """Add two integers.

        Args:
            a: The first.
            b: The second.
        """
        if log is not None:
            log.append(f"add({a}, {b})")
        return a + b

    return add


async def test_a_task_call_gets_a_response_with_the_run():
    model = ScriptedModel(
        [Step.tool_calls(ToolCall("c1", "add", {"a": 2, "b": 3})), Step.text("5")]
    )
    agent = Agent("calc", model=model, tools=[add_tool()], capabilities=["math.basic"])
    async with serving(agent) as (kernel, client):
        response = await call_agent(client, kernel.address, "what is 2 + 3?", trace_id=1234)
    assert isinstance(response, CallResponse)
    assert (response.output, response.text, response.stop_reason) == ("5", "5", "completed")
    assert response.ok
    assert response.error is None
    assert response.trace_id == 1234
    assert response.steps == 2
    assert [(c.id, c.name, c.is_error) for c in response.tool_calls] == [("c1", "add", False)]
    assert response.usage.total > 0
    assert model.requests[0].messages[-1] == Message.user("what is 2 + 3?")


async def test_messages_run_id_trace_id_and_metadata_reach_the_run_and_its_tools():
    @tool
    async def peek(ctx: ToolContext) -> str:
        """Report what the tool's context carries."""
        return f"{ctx.run_id} {ctx.trace_id} {ctx.metadata['tenant']}"

    model = ScriptedModel([Step.tool_calls(ToolCall("c1", "peek")), Step.text("seen")])
    agent = Agent("history", model=model, tools=[peek])
    request = CallRequest(
        messages=(Message.user("hi"), Message.assistant("hello"), Message.user("again")),
        run_id="run-42",
        metadata={"tenant": "acme"},
        priority="background",
    )
    async with serving(agent) as (kernel, client):
        response = await call_agent(client, kernel.address, request, trace_id=99)
    assert (response.run_id, response.text) == ("run-42", "seen")
    assert [m.content for m in model.requests[0].messages] == ["hi", "hello", "again"]
    assert model.requests[1].messages[-1].content == "run-42 99 acme"


async def test_the_reference_body_runs_its_listed_tools_first():
    log: list[str] = []

    def answer(request):
        log.append("model")
        return "The sum is 5."

    model = FunctionModel(answer)
    agent = Agent("calc", model=model, tools=[add_tool(log)], capabilities=["math.basic"])
    body = {
        "messages": [
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": "Add them."},
        ],
        "temperature": 0.2,
        "max_output_tokens": 50,
        "tools": [{"name": "add", "input": {"a": 2, "b": 3}}],
    }
    async with serving(agent) as (kernel, client):
        reply = await raw_call(client, kernel.address, msgspec.json.encode(body))
    assert reply.type is MessageType.RESPONSE
    response = msgspec.json.decode(reply.payload, type=CallResponse)
    assert response.text == "The sum is 5."
    assert log == ["add(2, 3)", "model"]  # the listed tool ran before the model
    sent = model.requests[0].messages
    assert [m.role for m in sent] == [Role.SYSTEM, Role.USER, Role.ASSISTANT, Role.TOOL]
    assert sent[2].tool_calls == (ToolCall("ref_tool_0", "add", {"a": 2, "b": 3}),)
    assert (sent[3].tool_call_id, sent[3].content) == ("ref_tool_0", "5")
    assert [(c.id, c.name, c.is_error) for c in response.tool_calls] == [
        ("ref_tool_0", "add", False)
    ]
    # the body's sampling settings reach the model call (the agent has none of its own)
    assert (model.requests[0].temperature, model.requests[0].max_output_tokens) == (0.2, 50)


async def test_a_listed_tool_without_its_capability_is_never_executed():
    executed: list[str] = []

    @tool(capabilities=("fs.write",))
    def wipe(path: str) -> str:
        """Delete a path.

        Args:
            path: What to delete.
        """
        executed.append(path)
        return "deleted"

    model = ScriptedModel([Step.text("ok")])
    agent = Agent("guarded", model=model, tools=[wipe], capabilities=["fs.read"])
    body = {
        "messages": [{"role": "user", "content": "clean up"}],
        "tools": [{"name": "wipe", "input": {"path": "/"}}],
    }
    async with serving(agent) as (kernel, client):
        reply = await raw_call(client, kernel.address, msgspec.json.encode(body))
    response = msgspec.json.decode(reply.payload, type=CallResponse)
    assert executed == []
    denial = model.requests[0].messages[-1]
    assert denial.role is Role.TOOL
    assert "needs capabilities this agent was not granted: fs.write" in denial.content
    assert response.tool_calls[0].is_error


async def test_reference_tool_messages_without_ids_are_kept_as_tool_answers():
    model = ScriptedModel([Step.text("noted")])
    agent = Agent("notes", model=model)
    body = {"messages": [{"role": "user", "content": "hi"}, {"role": "tool", "content": "42"}]}
    async with serving(agent) as (kernel, client):
        reply = await raw_call(client, kernel.address, msgspec.json.encode(body))
    assert reply.type is MessageType.RESPONSE
    sent = model.requests[0].messages
    assert [m.role for m in sent] == [Role.USER, Role.ASSISTANT, Role.TOOL]
    assert sent[2].content == "42"


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"not json", "the body is not JSON"),
        (b"[1, 2]", "expected object, got array - at $"),
        (b"{}", "neither 'task' nor 'messages'"),
        (b'{"task": ""}', "task cannot be empty - at $.task"),
        (b'{"task": "a", "messages": []}', "give exactly one of 'task' and 'messages'"),
        (b'{"task": "a", "tools": []}', "mixes CallRequest fields (task)"),
        (b'{"task": "a", "priority": "urgent"}', "invalid enum value 'urgent' - at $.priority"),
        (b'{"task": 5}', "expected str | null, got int - at $.task"),
        (b'{"task": "a", "deadline_ms": 0}', "deadline_ms must be >= 1, got 0 - at $.deadline_ms"),
        (b'{"task": "a", "extra": 1}', "unknown field 'extra' - at $"),
        (b'{"messages": [{"role": "bot"}]}', "unknown role 'bot'"),
        (b'{"messages": [{"content": "x"}]}', "missing required field 'role' - at $.messages[0]"),
        (
            b'{"messages": [{"role": "user", "content": "x"}], "tools": [{"name": "t", '
            b'"input": 3}]}',
            "tool input must be a JSON object or null, got int - at $.tools[0].input",
        ),
    ],
)
async def test_invalid_bodies_get_an_invalid_request_error_with_a_path(payload, expected):
    agent = Agent("strict", model=ScriptedModel([]))
    async with serving(agent) as (kernel, client):
        reply = await raw_call(client, kernel.address, payload)
    assert reply.type is MessageType.ERROR
    error = decode_body(reply.payload, ErrorResponse)
    assert error.code == "invalid_request"
    assert expected in error.error


async def test_call_agent_raises_call_error_for_error_replies():
    agent = Agent("strict", model=ScriptedModel([]))
    async with serving(agent) as (kernel, client):
        with pytest.raises(CallError) as caught:
            await call_agent(client, kernel.address, CallRequest(task="x", deadline_ms=None))
    assert caught.value.code == "internal"  # the empty script fails the run: a bug, reported
    assert not caught.value.retryable


async def test_a_streaming_call_sends_events_then_the_response():
    model = ScriptedModel(
        [Step.tool_calls(ToolCall("c1", "add", {"a": 20, "b": 22})), Step.text("It is 42.")]
    )
    agent = Agent("calc", model=model, tools=[add_tool()], capabilities=["math.basic"])
    async with serving(agent) as (kernel, client):
        events = []
        async with aclosing(
            stream_agent(client, kernel.address, "20 + 22?", trace_id=77)
        ) as stream:
            async for event in stream:
                events.append(event)
    assert isinstance(events[0], CallStarted)
    assert (events[0].agent_name, events[0].trace_id) == ("calc", 77)
    final = events[-1]
    assert isinstance(final, CallResponse)
    assert (final.text, final.stop_reason, final.trace_id) == ("It is 42.", "completed", 77)
    assert "".join(e.text for e in events if isinstance(e, CallTextDelta)) == "It is 42."
    assert len([e for e in events if isinstance(e, CallTextDelta)]) > 1  # token by token
    started = [e for e in events if isinstance(e, CallToolStarted)]
    finished = [e for e in events if isinstance(e, CallToolFinished)]
    assert [(e.id, e.name) for e in started] == [("c1", "add")]
    assert [(e.id, e.is_error) for e in finished] == [("c1", False)]
    steps = [e for e in events if isinstance(e, CallStep)]
    assert [e.step for e in steps] == [1, 2]
    assert steps[-1].usage == final.usage


async def test_a_refused_streaming_call_raises_call_error():
    agent = Agent("strict", model=ScriptedModel([]))
    async with serving(agent) as (kernel, client):
        await kernel.suspend()
        with pytest.raises(CallError) as caught:
            await drain(stream_agent(client, kernel.address, "hi"))
    assert (caught.value.code, caught.value.retry_after_ms) == ("suspended", 1000)


class Sum(msgspec.Struct):
    total: int


async def test_structured_output_travels_as_json():
    agent = Agent("typed", model=ScriptedModel([Step.json({"total": 5})]), output_type=Sum)
    async with serving(agent) as (kernel, client):
        response = await call_agent(client, kernel.address, "sum")
    assert response.output == {"total": 5}


async def test_a_run_that_reaches_its_deadline_answers_with_its_partial_result():
    async def never(request):
        await trio.sleep_forever()

    agent = Agent("slow", model=FunctionModel(never))
    async with serving(agent) as (kernel, client):
        response = await call_agent(client, kernel.address, CallRequest(task="x", deadline_ms=100))
    assert response.stop_reason == "timeout"
    assert not response.ok
    assert response.error


async def test_a_call_whose_deadline_passes_in_the_queue_gets_deadline_exceeded():
    gate = trio.Event()
    entered = trio.Event()

    async def wait(request):
        entered.set()
        await gate.wait()
        return "done"

    agent = Agent("busy", model=FunctionModel(wait))
    async with (
        serving(agent, max_concurrency=1) as (kernel, client),
        trio.open_nursery() as nursery,
    ):
        nursery.start_soon(call_agent, client, kernel.address, "first")
        await entered.wait()  # the first call holds the only slot
        with pytest.raises(CallError) as caught:
            await call_agent(client, kernel.address, CallRequest(task="second", deadline_ms=50))
        gate.set()
    assert caught.value.code == "deadline_exceeded"
    assert "while waiting for a free slot" in caught.value.error

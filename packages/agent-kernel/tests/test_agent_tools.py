"""Tool calls in the loop: parallel execution, errors, capabilities, timeouts, guardrails, audit."""

from __future__ import annotations

import math

import pytest
import trio
import trio.lowlevel
import trio.testing

from mxp_agents.adapters.testing import ScriptedModel, Step
from mxp_agents.config import Secret
from mxp_agents.kernel import Agent, StopReason
from mxp_agents.primitives import Message, Role, ToolCall
from mxp_agents.prompts import Guardrails
from mxp_agents.tools import ToolContext, tool
from mxp_agents.tools.testing import RecordingAuditSink


def answer_after_tools(*calls: ToolCall, final: str = "done") -> ScriptedModel:
    return ScriptedModel([Step.tool_calls(*calls), Step.text(final)])


async def test_parallel_calls_run_concurrently_and_results_keep_call_order() -> None:
    ping_ready, pong_ready = trio.Event(), trio.Event()
    order: list[str] = []

    @tool
    async def ping() -> str:
        """Wait for pong."""
        ping_ready.set()
        await pong_ready.wait()  # deadlocks unless pong runs at the same time
        order.append("ping")
        return "ping done"

    @tool
    async def pong() -> str:
        """Wait for ping."""
        pong_ready.set()
        await ping_ready.wait()
        await trio.lowlevel.checkpoint()
        await trio.lowlevel.checkpoint()
        order.append("pong")
        return "pong done"

    model = answer_after_tools(ToolCall("c1", "pong"), ToolCall("c2", "ping"))
    agent = Agent("par", model=model, tools=[ping, pong])
    with trio.fail_after(5):
        result = await agent.run("go")
    assert result.ok
    assert sorted(order) == ["ping", "pong"]
    assert [record.call.id for record in result.tool_calls] == ["c1", "c2"]
    tool_messages = [m for m in result.messages if m.role is Role.TOOL]
    assert [(m.tool_call_id, m.content) for m in tool_messages] == [
        ("c1", "pong done"),
        ("c2", "ping done"),
    ]


async def test_tool_errors_go_back_to_the_model() -> None:
    @tool
    async def explode(x: int) -> int:
        """Fail."""
        raise ValueError(f"bad x {x}")

    model = ScriptedModel(
        [
            Step.tool_calls(
                ToolCall("c1", "explode", {"x": 1}),
                ToolCall("c2", "explode", {"x": "one"}),
                ToolCall("c3", "nope"),
            ),
            Step.text("sorry"),
        ]
    )
    result = await Agent("err", model=model, tools=[explode]).run("go")
    assert result.ok
    contents = [m.content for m in model.requests[1].messages if m.role is Role.TOOL]
    assert contents == [
        "tool 'explode' failed: ValueError: bad x 1",
        "invalid arguments for tool 'explode': expected int, got str - at $.x",
        "unknown tool 'nope'; available tools: explode",
    ]
    assert all(record.result.is_error for record in result.tool_calls)


async def test_a_tool_whose_capability_was_not_granted_is_never_run() -> None:
    calls = 0

    @tool(capabilities=("deploy.prod",))
    async def deploy() -> str:
        """Deploy."""
        nonlocal calls
        calls += 1
        return "deployed"

    @tool(capabilities=("math.add",))
    async def add(a: int, b: int) -> int:
        """Add."""
        return a + b

    sink = RecordingAuditSink()
    model = answer_after_tools(ToolCall("c1", "deploy"), ToolCall("c2", "add", {"a": 1, "b": 1}))
    agent = Agent("cap", model=model, tools=[deploy, add], capabilities=["math.add"], audit=sink)
    result = await agent.run("ship it")
    assert calls == 0
    assert [definition.name for definition in model.requests[0].tools] == ["add"]
    denied, added = result.tool_calls
    assert denied.result.is_error
    assert denied.result.content == (
        "tool 'deploy' needs capabilities this agent was not granted: deploy.prod"
    )
    assert added.result.content == "2"
    assert sorted(sink.kinds()) == ["denied", "invoked"]
    assert sink.of_kind("denied")[0].missing_capabilities == ("deploy.prod",)
    assert {event.run_id for event in sink.events} == {result.run_id}
    assert {event.agent_id for event in sink.events} == {str(agent.id)}


async def test_tool_timeouts_cancel_the_tool(autojump_clock: trio.testing.MockClock) -> None:
    cleaned_up = trio.Event()

    @tool(timeout=5)
    async def hang() -> str:
        """Never answer."""
        try:
            await trio.sleep_forever()
        finally:
            cleaned_up.set()
        return "unreachable"

    model = answer_after_tools(ToolCall("c1", "hang"), final="gave up")
    start = trio.current_time()
    result = await Agent("slow", model=model, tools=[hang]).run("go")
    assert cleaned_up.is_set()
    assert result.ok
    assert result.output == "gave up"
    assert result.tool_calls[0].result.content == "tool 'hang' timed out after 5.0 s"
    assert result.tool_calls[0].duration == pytest.approx(5.0)
    assert trio.current_time() - start == pytest.approx(5.0)


async def test_tool_context_carries_run_ids_and_scoped_secrets() -> None:
    seen: list[ToolContext] = []

    @tool(secrets=("token",))
    async def whoami(ctx: ToolContext) -> str:
        """Report the context."""
        seen.append(ctx)
        return ctx.secret("token").reveal()[:2]

    model = answer_after_tools(ToolCall("c1", "whoami"))
    agent = Agent(
        "ctx",
        model=model,
        tools=[whoami],
        secrets={"token": Secret("s3cret"), "other": Secret("hidden")},
    )
    result = await agent.run("who?", run_id="r-9", trace_id=77, metadata={"user": "ada"})
    [context] = seen
    assert (context.call_id, context.run_id, context.trace_id) == ("c1", "r-9", 77)
    assert context.agent_id == str(agent.id)
    assert dict(context.metadata) == {"user": "ada"}
    assert sorted(context.secrets) == ["token"]
    assert result.tool_calls[0].result.content == "s3"


async def test_sync_tools_run_in_threads() -> None:
    @tool
    def shout(text: str) -> str:
        """Upper-case a text."""
        return text.upper()

    model = answer_after_tools(ToolCall("c1", "shout", {"text": "hi"}))
    result = await Agent("sync", model=model, tools=[shout]).run("go")
    assert result.tool_calls[0].result.content == "HI"


async def test_guardrails_redact_tool_arguments() -> None:
    received: list[str] = []

    @tool
    async def send_mail(to: str, body: str) -> str:
        """Send a mail."""
        received.append(f"{to}|{body}")
        return "sent"

    call = ToolCall("c1", "send_mail", {"to": "team", "body": "reach ada@example.com"})
    model = answer_after_tools(call)
    agent = Agent("mail", model=model, tools=[send_mail], guardrails=Guardrails())
    result = await agent.run("notify the team")
    assert received == ["team|reach [REDACTED:email]"]
    record = result.tool_calls[0]
    assert record.call.arguments == {"to": "team", "body": "reach [REDACTED:email]"}
    assert record.call.raw_arguments is None
    assert result.messages[1].tool_calls[0].arguments == call.arguments  # the model's call
    assert [(hit.kind, hit.path) for hit in result.guardrail_hits] == [("email", "$.body")]


async def test_guardrails_block_tool_arguments() -> None:
    calls = 0

    @tool
    async def post(text: str) -> str:
        """Post a text."""
        nonlocal calls
        calls += 1
        return "posted"

    sink = RecordingAuditSink()
    call = ToolCall("c1", "post", {"text": "key AKIAIOSFODNN7EXAMPLE"})
    model = answer_after_tools(call, final="refused")
    guardrails = Guardrails(policies={"secret": "block"})
    agent = Agent("post", model=model, tools=[post], guardrails=guardrails, audit=sink)
    result = await agent.run("publish")
    assert calls == 0
    content = result.tool_calls[0].result.content
    assert content.startswith("tool 'post' was not run: blocked by guardrails: aws_access_key")
    assert "AKIAIOSFODNN7EXAMPLE" not in content
    assert result.tool_calls[0].result.is_error
    [event] = sink.events
    assert (event.kind, event.tool, event.argument_keys) == ("denied", "post", ("text",))
    assert result.output == "refused"


async def test_a_run_with_tool_calls_within_limits_uses_no_nursery_for_one_call() -> None:
    tasks: list[int] = []

    @tool
    async def where() -> str:
        """Report the current task."""
        tasks.append(id(trio.lowlevel.current_task()))
        return "here"

    model = answer_after_tools(ToolCall("c1", "where"))
    agent = Agent("one", model=model, tools=[where])

    async def outer() -> int:
        await agent.run("go")
        return id(trio.lowlevel.current_task())

    assert await outer() == tasks[0]


async def test_many_rounds_of_tools() -> None:
    @tool
    async def inc(n: int) -> int:
        """Increment."""
        return n + 1

    steps = [Step.tool_calls(ToolCall(f"c{i}", "inc", {"n": i})) for i in range(4)]
    model = ScriptedModel([*steps, Step.text("4")])
    result = await Agent("loop", model=model, tools=[inc]).run("count")
    assert result.steps == 5
    assert [r.result.content for r in result.tool_calls] == ["1", "2", "3", "4"]
    assert len([m for m in result.messages if m.role is Role.TOOL]) == 4
    assert result.messages[-1] == Message.assistant("4")


async def test_unbounded_tool_timeout_is_allowed() -> None:
    @tool(timeout=math.inf)
    async def quick() -> int:
        """Answer."""
        return 1

    model = answer_after_tools(ToolCall("c1", "quick"))
    assert (await Agent("inf", model=model, tools=[quick]).run("go")).stop_reason is (
        StopReason.COMPLETED
    )


async def test_tool_choice_forces_the_first_call_then_resets() -> None:
    from mxp_agents.adapters import ToolChoiceTool
    from mxp_agents.adapters.testing import ScriptedModel, Step
    from mxp_agents.kernel import Agent
    from mxp_agents.primitives import ToolCall
    from mxp_agents.tools import tool

    @tool
    def ping() -> str:
        """Answer pong."""
        return "pong"

    model = ScriptedModel([Step.tool_calls(ToolCall("c1", "ping")), Step.text("done")])
    agent = Agent("forced", model=model, tools=[ping], tool_choice=ToolChoiceTool("ping"))
    assert (await agent.run("go")).ok
    assert [r.tool_choice for r in model.requests] == [ToolChoiceTool("ping"), "auto"]

    sticky = ScriptedModel([Step.tool_calls(ToolCall("c1", "ping")), Step.text("done")])
    kept = Agent(
        "kept", model=sticky, tools=[ping], tool_choice="required", reset_tool_choice=False
    )
    await kept.run("go")
    assert [r.tool_choice for r in sticky.requests] == ["required", "required"]


def test_tool_choice_is_checked() -> None:
    import pytest

    from mxp_agents.adapters import ToolChoiceTool
    from mxp_agents.adapters.testing import ScriptedModel
    from mxp_agents.kernel import Agent, AgentConfigError

    with pytest.raises(AgentConfigError, match="does not offer"):
        Agent("x", model=ScriptedModel([]), tool_choice=ToolChoiceTool("missing"))
    with pytest.raises(AgentConfigError, match="tool_choice must be"):
        Agent("x", model=ScriptedModel([]), tool_choice="always")  # type: ignore[arg-type]

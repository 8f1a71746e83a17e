"""ToolExecutor: capabilities, secrets, timeouts, limits, audit and error results."""

import datetime as dt
import math
import threading

import msgspec
import pytest
import trio
import trio.testing

from mxp_agents.config import Secret
from mxp_agents.primitives import InvalidCapabilityId, ToolCall, ToolResult, parse_capability_id
from mxp_agents.primitives.testing import ManualClock, make_tool_call
from mxp_agents.tools import (
    ToolAuditEvent,
    ToolAuditSink,
    ToolContext,
    ToolExecutor,
    ToolRegistry,
    ToolsError,
    tool,
)
from mxp_agents.tools.testing import RecordingAuditSink

SECRET_VALUE = "sk-live-0123456789abcdef"


@tool
async def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def executor_for(*tools, **options) -> tuple[ToolExecutor, RecordingAuditSink]:
    sink = RecordingAuditSink()
    return ToolExecutor(ToolRegistry(tools), audit=sink, **options), sink


async def test_successful_call_and_invoked_event() -> None:
    executor, sink = executor_for(add)
    result = await executor.execute(
        make_tool_call("add", {"a": 1, "b": 2}, id="call_7"),
        agent_id="planner",
        run_id="run_1",
        trace_id=9,
    )
    assert result == ToolResult(tool_call_id="call_7", name="add", content="3")
    [event] = sink.events
    assert event.kind == "invoked"
    assert (event.tool, event.version, event.call_id) == ("add", "1.0.0", "call_7")
    assert (event.agent_id, event.run_id, event.trace_id) == ("planner", "run_1", 9)
    assert event.argument_keys == ("a", "b")
    assert event.duration is not None
    assert event.duration >= 0
    assert event.timestamp.tzinfo is not None


async def test_capability_denied_never_calls_the_tool() -> None:
    calls = 0

    @tool(capabilities=("deploy.prod", "deploy.read"))
    async def deploy(service: str) -> str:
        nonlocal calls
        calls += 1
        return "deployed"

    executor, sink = executor_for(deploy, granted=["deploy.read"])
    result = await executor.execute(make_tool_call("deploy", {"service": "api"}), agent_id="a1")
    assert calls == 0
    assert result.is_error
    assert (
        result.content == "tool 'deploy' needs capabilities this agent was not granted: deploy.prod"
    )
    [event] = sink.events
    assert event.kind == "denied"
    assert event.missing_capabilities == ("deploy.prod",)
    assert event.agent_id == "a1"
    assert event.argument_keys == ("service",)
    assert event.duration is None
    assert "api" not in msgspec.json.encode(event).decode()


async def test_granted_capabilities_allow_the_call() -> None:
    @tool(capabilities=("math.basic",))
    async def double(x: int) -> int:
        return 2 * x

    executor, _ = executor_for(double, granted=["math.basic", "other.cap"])
    assert (await executor.execute(make_tool_call("double", {"x": 4}))).content == "8"
    assert executor.granted == frozenset({"math.basic", "other.cap"})


async def test_denied_even_with_invalid_arguments_and_no_argument_check() -> None:
    calls = 0

    @tool(capabilities=("x.y",))
    def guarded(a: int) -> int:
        nonlocal calls
        calls += 1
        return a

    executor, sink = executor_for(guarded)
    result = await executor.execute(make_tool_call("guarded", {"a": "not an int"}))
    assert sink.kinds() == ["denied"]
    assert "not granted" in result.content
    assert calls == 0


async def test_unknown_tool_is_an_error_result_listing_what_exists() -> None:
    executor, sink = executor_for(add)
    result = await executor.execute(make_tool_call("ad"))
    assert result.is_error
    assert result.content == "unknown tool 'ad'; did you mean 'add'?"
    result = await executor.execute(make_tool_call("zzz"))
    assert result.content == "unknown tool 'zzz'; available tools: add"
    assert sink.kinds() == ["denied", "denied"]
    assert sink.events[0].version is None


async def test_unknown_tool_with_nothing_available() -> None:
    executor, _ = executor_for()
    result = await executor.execute(make_tool_call("zzz"))
    assert result.content == "unknown tool 'zzz'; no tools are available"


async def test_invalid_arguments_become_an_error_result() -> None:
    executor, sink = executor_for(add)
    result = await executor.execute(make_tool_call("add", {"a": 1, "b": "2"}))
    assert result.is_error
    assert result.content == "invalid arguments for tool 'add': expected int, got str - at $.b"
    result = await executor.execute(make_tool_call("add", {"a": 1}))
    assert result.content == "invalid arguments for tool 'add': missing required argument 'b'"
    result = await executor.execute(make_tool_call("add", {"a": 1, "b": 2, "c": 3}))
    assert result.content == "invalid arguments for tool 'add': unknown argument 'c' - at $.c"
    assert sink.kinds() == ["invalid_arguments"] * 3


async def test_exception_in_the_tool_becomes_an_error_result() -> None:
    @tool
    def explode(x: int) -> int:
        raise ValueError(f"cannot handle {x}")

    @tool
    async def bare() -> None:
        raise RuntimeError

    executor, sink = executor_for(explode, bare)
    result = await executor.execute(make_tool_call("explode", {"x": 3}))
    assert result.is_error
    assert result.content == "tool 'explode' failed: ValueError: cannot handle 3"
    result = await executor.execute(make_tool_call("bare"))
    assert result.content == "tool 'bare' failed: RuntimeError"
    assert sink.kinds() == ["failed", "failed"]


async def test_unencodable_return_becomes_an_error_result() -> None:
    class Handle:
        pass

    @tool
    async def leak() -> object:
        return {"h": Handle()}

    executor, sink = executor_for(leak)
    result = await executor.execute(make_tool_call("leak"))
    assert result.is_error
    assert "tool 'leak' returned a value that cannot be encoded as JSON" in result.content
    assert "Handle" in result.content
    assert sink.kinds() == ["failed"]


async def test_timeout_cancels_an_async_tool_and_its_cleanup_runs(autojump_clock) -> None:
    cleaned_up = trio.Event()

    @tool(timeout=2.0)
    async def hang() -> None:
        try:
            await trio.sleep_forever()
        finally:
            cleaned_up.set()

    executor, sink = executor_for(hang)
    started = trio.current_time()
    result = await executor.execute(make_tool_call("hang"))
    assert result.is_error
    assert result.content == "tool 'hang' timed out after 2.0 s"
    assert cleaned_up.is_set()
    assert trio.current_time() - started == pytest.approx(2.0)
    [event] = sink.events
    assert event.kind == "timed_out"
    assert event.duration == pytest.approx(2.0)


async def test_executor_default_timeout_applies_when_the_tool_has_none(autojump_clock) -> None:
    @tool
    async def slow() -> str:
        await trio.sleep(100)
        return "late"

    @tool(timeout=math.inf)
    async def patient() -> str:
        await trio.sleep(1000)
        return "done"

    executor, _ = executor_for(slow, patient, default_timeout=5.0)
    result = await executor.execute(make_tool_call("slow"))
    assert result.content == "tool 'slow' timed out after 5.0 s"
    assert (await executor.execute(make_tool_call("patient"))).content == "done"


async def test_timeout_abandons_a_blocked_sync_tool(autojump_clock) -> None:
    release = threading.Event()
    finished = threading.Event()

    @tool(timeout=1.0)
    def block() -> str:
        release.wait(10)
        finished.set()
        return "late"

    executor, sink = executor_for(block)
    result = await executor.execute(make_tool_call("block"))
    assert result.content == "tool 'block' timed out after 1.0 s"
    assert sink.kinds() == ["timed_out"]
    release.set()  # let the abandoned thread finish
    await trio.to_thread.run_sync(finished.wait, 10)


async def test_concurrency_limit_is_honoured(autojump_clock) -> None:
    running = 0
    most = 0

    @tool(max_concurrency=2)
    async def busy(i: int) -> int:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await trio.sleep(1)
        running -= 1
        return i

    executor, _ = executor_for(busy)
    started = trio.current_time()
    results = await executor.execute_many(
        [make_tool_call("busy", {"i": i}, id=f"c{i}") for i in range(7)]
    )
    assert [r.content for r in results] == [str(i) for i in range(7)]
    assert most == 2
    assert trio.current_time() - started == pytest.approx(4.0)  # 7 calls, 2 at a time


async def test_waiting_for_a_slot_does_not_count_toward_the_timeout(autojump_clock) -> None:
    @tool(max_concurrency=1, timeout=1.5)
    async def one_at_a_time(i: int) -> int:
        await trio.sleep(1)
        return i

    executor, _ = executor_for(one_at_a_time)
    calls = [make_tool_call("one_at_a_time", {"i": i}, id=f"c{i}") for i in range(3)]
    results = await executor.execute_many(calls)
    assert [r.is_error for r in results] == [False, False, False]


async def test_execute_many_runs_concurrently_and_keeps_call_order(autojump_clock) -> None:
    @tool
    async def wait(seconds: float) -> float:
        await trio.sleep(seconds)
        return seconds

    executor, _ = executor_for(wait, add)
    started = trio.current_time()
    calls = [
        make_tool_call("wait", {"seconds": 3}, id="a"),
        make_tool_call("wait", {"seconds": 1}, id="b"),
        make_tool_call("nope", id="c"),
        make_tool_call("add", {"a": 1, "b": 1}, id="d"),
        make_tool_call("wait", {"seconds": 2}, id="e"),
    ]
    results = await executor.execute_many(calls)
    assert [r.tool_call_id for r in results] == ["a", "b", "c", "d", "e"]
    assert [r.content for r in results][:2] == ["3.0", "1.0"]
    assert results[2].is_error
    assert results[3].content == "2"
    assert trio.current_time() - started == pytest.approx(3.0)


async def test_execute_many_with_zero_and_one_call() -> None:
    executor, _ = executor_for(add)
    assert await executor.execute_many([]) == []
    [result] = await executor.execute_many(iter([make_tool_call("add", {"a": 2, "b": 2})]))
    assert result.content == "4"


async def test_secret_scoping() -> None:
    seen: dict[str, object] = {}

    @tool(secrets=("github_token",))
    def github(repo: str, ctx: ToolContext) -> str:
        seen["names"] = sorted(ctx.secrets)
        seen["token"] = ctx.secret("github_token").reveal()
        return repo

    @tool
    def nosy(ctx: ToolContext) -> list[str]:
        return sorted(ctx.secrets)

    secrets = {"github_token": Secret(SECRET_VALUE), "openai_key": Secret("sk-other")}
    executor, _ = executor_for(github, nosy, secrets=secrets)
    assert (await executor.execute(make_tool_call("github", {"repo": "r"}))).content == "r"
    assert seen == {"names": ["github_token"], "token": SECRET_VALUE}
    assert (await executor.execute(make_tool_call("nosy"))).content == "[]"


async def test_declared_secret_the_agent_lacks_is_an_error_naming_it_not_its_value() -> None:
    calls = 0

    @tool(secrets=("github_token", "slack_token"))
    def notify(ctx: ToolContext) -> None:
        nonlocal calls
        calls += 1

    executor, sink = executor_for(notify, secrets={"github_token": Secret(SECRET_VALUE)})
    result = await executor.execute(make_tool_call("notify"))
    assert calls == 0
    assert result.is_error
    assert (
        result.content == "tool 'notify' needs secret 'slack_token', which this agent does not have"
    )
    assert SECRET_VALUE not in result.content
    [event] = sink.events
    assert event.kind == "denied"
    assert SECRET_VALUE not in msgspec.json.encode(event).decode()


async def test_secret_values_are_masked_in_error_results_and_audit() -> None:
    @tool(secrets=("token",))
    def careless(ctx: ToolContext) -> None:
        raise RuntimeError(f"login failed with {ctx.secret('token').reveal()}")

    executor, sink = executor_for(careless, secrets={"token": Secret(SECRET_VALUE)})
    result = await executor.execute(make_tool_call("careless"))
    assert result.content == "tool 'careless' failed: RuntimeError: login failed with **********"
    assert SECRET_VALUE not in repr(sink.events)


async def test_audit_events_carry_keys_not_values() -> None:
    executor, sink = executor_for(add)
    await executor.execute(make_tool_call("add", {"a": 123456, "b": "654321"}))
    [event] = sink.events
    assert event.argument_keys == ("a", "b")
    encoded = msgspec.json.encode(event).decode()
    assert "123456" not in encoded
    assert "654321" not in encoded


async def test_audit_sink_can_be_a_plain_callable_and_timestamps_use_the_clock() -> None:
    events: list[ToolAuditEvent] = []
    clock = ManualClock()
    executor = ToolExecutor(ToolRegistry([add]), audit=events.append, clock=clock)
    await executor.execute(make_tool_call("add", {"a": 1, "b": 1}))
    assert [event.kind for event in events] == ["invoked"]
    assert events[0].timestamp == clock.now()


async def test_no_audit_sink_is_fine() -> None:
    executor = ToolExecutor(ToolRegistry([add]))
    assert (await executor.execute(make_tool_call("add", {"a": 1, "b": 1}))).content == "2"


async def test_a_failing_audit_sink_propagates() -> None:
    class Broken:
        def emit(self, event: ToolAuditEvent) -> None:
            raise OSError("audit log unavailable")

    assert isinstance(Broken(), ToolAuditSink)
    executor = ToolExecutor(ToolRegistry([add]), audit=Broken())
    with pytest.raises(OSError, match="audit log unavailable"):
        await executor.execute(make_tool_call("add", {"a": 1, "b": 1}))


async def test_cancellation_propagates(autojump_clock) -> None:
    cleaned_up = trio.Event()

    @tool
    async def hang() -> None:
        try:
            await trio.sleep_forever()
        finally:
            cleaned_up.set()

    executor, sink = executor_for(hang)
    with trio.move_on_after(1) as scope:
        await executor.execute(make_tool_call("hang"))
    assert scope.cancelled_caught
    assert cleaned_up.is_set()
    [event] = sink.events
    assert event.kind == "failed"
    assert event.reason == "tool 'hang' was cancelled by its caller"
    assert event.duration == pytest.approx(1.0)


async def test_call_to_an_exact_version() -> None:
    @tool(name="add", version="2.0.0")
    async def add_v2(a: int, b: int) -> str:
        return f"v2:{a + b}"

    executor, sink = executor_for(add, add_v2)
    assert (await executor.execute(make_tool_call("add", {"a": 1, "b": 1}))).content == "v2:2"
    result = await executor.execute(ToolCall("c2", "add@1.0.0", {"a": 1, "b": 1}))
    assert result.content == "2"
    assert result.name == "add@1.0.0"
    assert [event.version for event in sink.events] == ["2.0.0", "1.0.0"]


async def test_context_metadata_and_ids_reach_the_tool() -> None:
    @tool
    async def echo(ctx: ToolContext) -> dict[str, object]:
        return {
            "call": ctx.call_id,
            "agent": ctx.agent_id,
            "run": ctx.run_id,
            "trace": ctx.trace_id,
            "meta": dict(ctx.metadata),
        }

    executor, _ = executor_for(echo)
    result = await executor.execute(
        make_tool_call("echo", id="c5"), agent_id="a", run_id="r", trace_id=7, metadata={"k": 1}
    )
    assert msgspec.json.decode(result.content) == {
        "call": "c5",
        "agent": "a",
        "run": "r",
        "trace": 7,
        "meta": {"k": 1},
    }


def test_constructor_checks() -> None:
    registry = ToolRegistry()
    with pytest.raises(InvalidCapabilityId):
        ToolExecutor(registry, granted=["Not Valid"])
    with pytest.raises(ToolsError, match="got the str"):
        ToolExecutor(registry, granted="fs.read")
    with pytest.raises(ToolsError, match=r"must be a mxp_agents\.config\.Secret, got str"):
        ToolExecutor(registry, secrets={"k": "plain"})  # type: ignore[dict-item]
    with pytest.raises(ToolsError, match="default_timeout must be > 0"):
        ToolExecutor(registry, default_timeout=0)
    with pytest.raises(ToolsError, match="audit must have an emit"):
        ToolExecutor(registry, audit=42)  # type: ignore[arg-type]
    assert ToolExecutor(registry).registry is registry


def test_audit_event_encodes_to_json() -> None:
    event = ToolAuditEvent(
        kind="denied",
        tool="deploy",
        call_id="c1",
        reason="no",
        missing_capabilities=(parse_capability_id("deploy.prod"),),
        timestamp=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    )
    assert msgspec.json.decode(msgspec.json.encode(event), type=ToolAuditEvent) == event


def test_recording_sink_helpers() -> None:
    sink = RecordingAuditSink()
    event = ToolAuditEvent(
        kind="failed",
        tool="t",
        call_id="c",
        reason="r",
        timestamp=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    )
    sink.emit(event)
    assert len(sink) == 1
    assert sink.of_kind("failed") == [event]
    assert sink.of_kind("denied") == []
    assert repr(sink) == "RecordingAuditSink(1 events)"
    sink.clear()
    assert sink.events == []

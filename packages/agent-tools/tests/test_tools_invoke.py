"""Invoking tools: sync in a thread, async in trio, the context, return encoding."""

import dataclasses
import datetime as dt
import enum
import pathlib
import threading
import uuid

import msgspec
import pytest
import trio

from mxp_agents.config import Secret
from mxp_agents.tools import (
    FunctionTool,
    Tool,
    ToolArgumentsError,
    ToolContext,
    ToolReturnError,
    ToolsError,
    tool,
)

CONTEXT = ToolContext(call_id="call_1")


class Color(enum.Enum):
    RED = "red"


class Point(msgspec.Struct):
    x: int
    y: int


@dataclasses.dataclass
class Box:
    size: int


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
async def add_async(a: int, b: int) -> int:
    """Add two integers, asynchronously."""
    await trio.lowlevel.checkpoint()
    return a + b


def test_decorated_objects_are_tools_and_still_callable() -> None:
    assert isinstance(add, FunctionTool)
    assert isinstance(add, Tool)
    assert add(1, 2) == 3
    assert getattr(add, "__name__") == "add"
    assert add.__doc__ == "Add two integers."
    assert repr(add) == "FunctionTool('add@1.0.0')"
    assert add.is_async is False
    assert add_async.is_async is True


def test_bare_and_called_decorator_give_the_same_defaults() -> None:
    @tool()
    def f(x: int) -> int:
        return x

    assert (f.version, f.timeout, f.max_concurrency) == ("1.0.0", None, None)
    assert (f.capabilities, f.secrets) == (frozenset(), frozenset())


async def test_invoke_sync_and_async() -> None:
    assert await add.invoke({"a": 1, "b": 2}, CONTEXT) == "3"
    assert await add_async.invoke({"a": 1, "b": 2}, CONTEXT) == "3"


async def test_sync_tool_runs_in_a_worker_thread() -> None:
    seen: list[int] = []

    @tool
    def where() -> None:
        seen.append(threading.get_ident())

    await where.invoke({}, CONTEXT)
    assert seen
    assert seen[0] != threading.get_ident()


async def test_async_tool_runs_in_the_trio_thread() -> None:
    seen: list[int] = []

    @tool
    async def where() -> None:
        seen.append(threading.get_ident())

    await where.invoke({}, CONTEXT)
    assert seen == [threading.get_ident()]


async def test_invalid_arguments_never_call_the_function() -> None:
    calls = 0

    @tool
    def count(a: int) -> int:
        nonlocal calls
        calls += 1
        return a

    with pytest.raises(ToolArgumentsError, match=r"expected int, got str - at \$\.a"):
        await count.invoke({"a": "x"}, CONTEXT)
    assert calls == 0


async def test_context_is_passed_by_any_parameter_name() -> None:
    @tool
    async def who(greeting: str, call: ToolContext) -> str:
        return f"{greeting} {call.agent_id} {call.call_id} {call.metadata['k']}"

    context = ToolContext(call_id="c9", agent_id="planner", metadata={"k": "v"})
    assert await who.invoke({"greeting": "hi"}, context) == "hi planner c9 v"


async def test_positional_only_and_keyword_only_parameters() -> None:
    @tool
    def mixed(a: int, /, ctx: ToolContext, *, b: int = 10) -> str:
        return f"{a}-{b}-{ctx.call_id}"

    assert await mixed.invoke({"a": 1}, CONTEXT) == "1-10-call_1"
    assert await mixed.invoke({"a": 1, "b": 2}, CONTEXT) == "1-2-call_1"


async def test_tool_sees_its_secrets_through_the_context() -> None:
    @tool(secrets=("token",))
    def use(ctx: ToolContext) -> str:
        return ctx.secret("token").reveal()[:3]

    context = ToolContext(call_id="c1", secrets={"token": Secret("abc-123")})
    assert await use.invoke({}, context) == "abc"
    with pytest.raises(ToolsError, match="secret 'other' is not available to this tool"):
        context.secret("other")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("plain text", "plain text"),
        (None, "null"),
        (3, "3"),
        (2.5, "2.5"),
        (True, "true"),
        ([1, "a", None], '[1,"a",null]'),
        ({"k": (1, 2)}, '{"k":[1,2]}'),
        (Point(1, 2), '{"x":1,"y":2}'),
        (Box(3), '{"size":3}'),
        (Color.RED, '"red"'),
        (dt.date(2025, 1, 2), '"2025-01-02"'),
        (uuid.UUID(int=1), '"00000000-0000-0000-0000-000000000001"'),
        (pathlib.PurePosixPath("/tmp/x"), '"/tmp/x"'),
        ({"key": Secret("sk-live-1")}, '{"key":"**********"}'),
    ],
)
async def test_return_values_are_encoded(value, text) -> None:
    @tool
    async def give() -> object:
        return value

    assert await give.invoke({}, CONTEXT) == text


async def test_unencodable_return_names_the_type() -> None:
    class Handle:
        pass

    @tool
    async def leak() -> object:
        return [Handle()]

    with pytest.raises(ToolReturnError, match=r"cannot be encoded as JSON.*Handle"):
        await leak.invoke({}, CONTEXT)


def test_validate_returns_the_arguments_struct() -> None:
    args = add.validate({"a": 1, "b": 2})
    assert isinstance(args, msgspec.Struct)
    assert msgspec.structs.asdict(args) == {"a": 1, "b": 2}

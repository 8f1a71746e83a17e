"""`Tool`, the protocol the registry and executor rely on, and `FunctionTool`, made by `tool`."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, Protocol, TypeVar, runtime_checkable

import trio

from mxp_agents.tools._arguments import convert_arguments
from mxp_agents.tools._encode import encode_return

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import msgspec

    from mxp_agents.primitives import CapabilityId, ToolDefinition
    from mxp_agents.tools._context import ToolContext
    from mxp_agents.tools._signature import CallPlan

__all__ = ["FunctionTool", "Tool"]

P = ParamSpec("P")
R = TypeVar("R")


@runtime_checkable
class Tool(Protocol):
    """What `ToolRegistry` and `ToolExecutor` need from a tool; `tool` makes `FunctionTool`s.

    Implement it to offer something other than a Python function (a remote or sandboxed tool).
    ``validate`` must raise `ToolArgumentsError` for bad arguments without side effects;
    ``invoke`` validates too, runs the tool once and returns the text for the model.
    Timeouts, concurrency limits, capability and secret checks are the executor's job.

    Example:
        >>> isinstance(add, Tool)  # a function decorated with @tool
        True
    """

    @property
    def name(self) -> str:
        """Name the model calls it by: 1-64 characters of ``[A-Za-z0-9_-]``."""
        ...

    @property
    def version(self) -> str:
        """Semantic version (``1.0.0``); several versions of a name can be registered."""
        ...

    @property
    def key(self) -> str:
        """``name@version``, unique in a registry."""
        ...

    @property
    def description(self) -> str:
        """What the tool does, for the model."""
        ...

    @property
    def capabilities(self) -> frozenset[CapabilityId]:
        """Capabilities an agent must be granted before this tool may run."""
        ...

    @property
    def secrets(self) -> frozenset[str]:
        """Names of the secrets the tool receives in its `ToolContext`."""
        ...

    @property
    def timeout(self) -> float | None:
        """Seconds a call may run (None: the executor's default)."""
        ...

    @property
    def max_concurrency(self) -> int | None:
        """Most calls running at once per executor (None: no limit)."""
        ...

    @property
    def definition(self) -> ToolDefinition:
        """The tool as offered to a model."""
        ...

    @property
    def schema(self) -> dict[str, Any]:
        """JSON Schema of the arguments (``definition.parameters``); do not mutate it."""
        ...

    def validate(self, arguments: Mapping[str, Any]) -> object:
        """The arguments, checked and converted; raises `ToolArgumentsError`."""
        ...

    async def invoke(self, arguments: Mapping[str, Any], context: ToolContext) -> str:
        """Validate ``arguments``, run the tool and return its result as text."""
        ...


class FunctionTool(Generic[P, R]):
    """A Python function (sync or async) as a `Tool`; build it with the `tool` decorator.

    Calling the object calls the function unchanged (handy in unit tests); `invoke` is the
    checked call: arguments validated, a sync function run in a worker thread, the return value
    encoded as JSON text.

    Example:
        >>> @tool
        ... def add(a: int, b: int) -> int:
        ...     '''Add two integers.'''
        ...     return a + b
        >>> add.key, add(1, 2)
        ('add@1.0.0', 3)
        >>> trio.run(add.invoke, {"a": 1, "b": 2}, ToolContext(call_id="c1"))
        '3'
    """

    def __init__(
        self,
        function: Callable[P, R],
        *,
        plan: CallPlan,
        definition: ToolDefinition,
        version: str,
        capabilities: frozenset[CapabilityId],
        secrets: frozenset[str],
        timeout: float | None,
        max_concurrency: int | None,
        is_async: bool,
    ) -> None:
        functools.update_wrapper(self, function)
        self.function = function
        self.name = definition.name
        self.version = version
        self.key = f"{definition.name}@{version}"
        self.description = definition.description
        self.capabilities = capabilities
        self.secrets = secrets
        self.timeout = timeout
        self.max_concurrency = max_concurrency
        self.definition = definition
        self.schema: dict[str, Any] = definition.parameters
        self.is_async = is_async
        self._plan = plan

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.function(*args, **kwargs)

    def validate(self, arguments: Mapping[str, Any]) -> msgspec.Struct:
        """``arguments`` converted to the tool's arguments Struct (defaults filled in).

        Raises:
            ToolArgumentsError: ``expected int, got str - at $.a``, ``unknown argument 'x' -
                at $.x``, ``missing required argument 'a'``, ...

        Example:
            >>> add.validate({"a": 1, "b": 2})
            add_arguments(a=1, b=2)
        """
        return convert_arguments(arguments, self._plan.args_type)

    async def invoke(self, arguments: Mapping[str, Any], context: ToolContext) -> str:
        """Validate ``arguments``, run the function and return its result as text.

        An async function is awaited; a sync one runs in a worker thread
        (``trio.to_thread.run_sync(..., abandon_on_cancel=True)``: on cancellation the
        thread is left to finish in the background). A str result is returned as is,
        anything else as JSON.

        Raises:
            ToolArgumentsError: the arguments do not fit; the function was not called.
            ToolReturnError: the result cannot be encoded as JSON.
            Exception: whatever the function raised.

        Example:
            >>> await add.invoke({"a": 1, "b": 2}, ToolContext(call_id="c1"))  # doctest: +SKIP
            '3'
        """
        plan = self._plan
        args = convert_arguments(arguments, plan.args_type)
        positional = plan.positional(args, context) if plan.positional_only else ()
        keywords = plan.keywords(args, context)
        function: Callable[..., Any] = self.function
        if self.is_async:
            value = await function(*positional, **keywords)
        else:
            call = functools.partial(function, *positional, **keywords)
            value = await trio.to_thread.run_sync(call, abandon_on_cancel=True)
        return encode_return(value, self.name)

    def __repr__(self) -> str:
        return f"FunctionTool({self.key!r})"

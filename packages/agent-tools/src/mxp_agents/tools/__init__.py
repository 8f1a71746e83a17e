"""Tools for MXP Agents: typed Python functions that a model can call, run safely.

`tool` turns a sync or async function into a `FunctionTool` whose JSON Schema comes from its type
hints and docstring; `ToolRegistry` keeps tools by name and version; `ToolExecutor` runs a model's
`ToolCall`s for one agent: unknown tools, capabilities not granted, missing secrets, invalid
arguments, timeouts and exceptions all come back as error `ToolResult`s for the model, and every
outcome is reported as a `ToolAuditEvent`.

Example:
    >>> import trio
    >>> from mxp_agents.primitives import ToolCall
    >>> from mxp_agents.tools import ToolExecutor, ToolRegistry, tool
    >>> @tool(capabilities=("math.basic",))
    ... async def add(a: int, b: int) -> int:
    ...     '''Add two integers.
    ...
    ...     Args:
    ...         a: The first.
    ...         b: The second.
    ...     '''
    ...     return a + b
    >>> executor = ToolExecutor(ToolRegistry([add]), granted=["math.basic"])
    >>> trio.run(executor.execute, ToolCall("call_1", "add", {"a": 1, "b": "2"})).content
    "invalid arguments for tool 'add': expected int, got str - at $.b"
    >>> trio.run(executor.execute, ToolCall("call_2", "add", {"a": 1, "b": 2})).content
    '3'
"""

from mxp_agents.tools._audit import AuditKind, AuditSinkLike, ToolAuditEvent, ToolAuditSink
from mxp_agents.tools._context import ToolContext
from mxp_agents.tools._decorator import tool
from mxp_agents.tools._errors import (
    DuplicateToolError,
    ToolArgumentsError,
    ToolDefinitionError,
    ToolReturnError,
    ToolsError,
    UnknownToolError,
)
from mxp_agents.tools._executor import DEFAULT_TIMEOUT, ToolExecutor
from mxp_agents.tools._registry import ToolRegistry
from mxp_agents.tools._tool import FunctionTool, Tool
from mxp_agents.tools._types import SUPPORTED_TYPES

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_TIMEOUT",
    "SUPPORTED_TYPES",
    "AuditKind",
    "AuditSinkLike",
    "DuplicateToolError",
    "FunctionTool",
    "Tool",
    "ToolArgumentsError",
    "ToolAuditEvent",
    "ToolAuditSink",
    "ToolContext",
    "ToolDefinitionError",
    "ToolExecutor",
    "ToolRegistry",
    "ToolReturnError",
    "ToolsError",
    "UnknownToolError",
    "tool",
]

"""The `tool` decorator: a typed, documented function becomes a `FunctionTool`."""

from __future__ import annotations

import functools
import inspect
import math
import re
import typing
from typing import TYPE_CHECKING, Any, Final, ParamSpec, TypeVar, overload

from mxp_agents.primitives import (
    MAX_TOOL_NAME_LEN,
    CapabilityId,
    InvalidCapabilityId,
    ToolDefinition,
    parse_capability_id,
)
from mxp_agents.tools._docstring import parse_docstring
from mxp_agents.tools._errors import ToolDefinitionError
from mxp_agents.tools._schema import arguments_schema
from mxp_agents.tools._semver import version_key
from mxp_agents.tools._signature import analyse, call_target, is_async_callable
from mxp_agents.tools._tool import FunctionTool

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = ["tool"]

P = ParamSpec("P")
R = TypeVar("R")

_NAME: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")


@overload
def tool(function: Callable[P, R], /) -> FunctionTool[P, R]: ...


@overload
def tool(
    *,
    name: str | None = None,
    version: str = "1.0.0",
    description: str | None = None,
    capabilities: Iterable[CapabilityId | str] = (),
    timeout: float | None = None,
    max_concurrency: int | None = None,
    secrets: Iterable[str] = (),
) -> Callable[[Callable[P, R]], FunctionTool[P, R]]: ...


def tool(
    function: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    version: str = "1.0.0",
    description: str | None = None,
    capabilities: Iterable[CapabilityId | str] = (),
    timeout: float | None = None,
    max_concurrency: int | None = None,
    secrets: Iterable[str] = (),
) -> FunctionTool[P, R] | Callable[[Callable[P, R]], FunctionTool[P, R]]:
    """Make a sync or async function a tool, bare (``@tool``) or with options (``@tool(...)``).

    The name defaults to the function's, the description to its docstring's text before the first
    section (plus the ``Returns:`` text), and the JSON Schema of the arguments comes from the
    type hints, with each parameter's ``Args:`` entry as its description. A parameter annotated
    `ToolContext` receives the call's context and is left out of the schema.

    Options: ``capabilities`` an agent must be granted to run it; ``timeout`` in seconds (None:
    the executor's default, 30 s; ``math.inf``: none); ``max_concurrency`` calls at once per
    executor; ``secrets`` it may read from its context.

    Raises:
        ToolDefinitionError: an unsupported or missing annotation, ``*args``/``**kwargs``, a name
            outside ``[A-Za-z0-9_-]{1,64}``, a version that is not semantic, a bad option.

    Example:
        >>> @tool(capabilities=("math.basic",), timeout=2.0)
        ... async def add(a: int, b: int = 1) -> int:
        ...     '''Add two integers.
        ...
        ...     Args:
        ...         a: The first.
        ...         b: The second.
        ...     '''
        ...     return a + b
        >>> add.key, add.schema["required"], add.schema["properties"]["a"]
        ('add@1.0.0', ['a'], {'type': 'integer', 'description': 'The first.'})
    """
    options = functools.partial(
        _build,
        name=name,
        version=version,
        description=description,
        capabilities=capabilities,
        timeout=timeout,
        max_concurrency=max_concurrency,
        secrets=secrets,
    )
    if function is None:
        return options
    return options(function)


def _build(
    function: Callable[P, R],
    *,
    name: str | None,
    version: str,
    description: str | None,
    capabilities: Iterable[CapabilityId | str],
    timeout: float | None,
    max_concurrency: int | None,
    secrets: Iterable[str],
) -> FunctionTool[P, R]:
    if not callable(function):
        raise ToolDefinitionError(f"@tool decorates a function, got {type(function).__name__}")
    tool_name = _check_name(name if name is not None else _function_name(function))
    where = f"tool {tool_name!r}"
    target = call_target(function)
    if inspect.isasyncgenfunction(target) or inspect.isgeneratorfunction(target):
        raise ToolDefinitionError(f"{where}: generators cannot be tools; return the whole result")
    _check_version(version, where)
    plan = analyse(function, tool_name)
    docs = parse_docstring(_docstring_of(function))
    schema_fields = set(plan.args_type.__struct_fields__)
    stray = sorted(set(docs.arguments) - schema_fields - {plan.context_param})
    if stray and not _is_partial(function):  # a partial binds some parameters away
        raise ToolDefinitionError(
            f"{where}: the docstring documents {', '.join(map(repr, stray))}, which "
            f"{'is not a parameter' if len(stray) == 1 else 'are not parameters'}; "
            "fix the Args: section"
        )
    try:
        schema = arguments_schema(plan.args_type, docs.arguments, plan.defaults)
    except (TypeError, ValueError) as error:
        raise ToolDefinitionError(f"{where}: cannot describe its arguments: {error}") from None
    if description is None:
        description = docs.description
        if docs.returns:
            description = f"{description}\n\nReturns: {docs.returns}".strip()
    elif not isinstance(description, str):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ToolDefinitionError(f"{where}: description must be a str")
    return FunctionTool(
        function,
        plan=plan,
        definition=ToolDefinition(name=tool_name, description=description, parameters=schema),
        version=version,
        capabilities=_capabilities(capabilities, where),
        secrets=_secret_names(secrets, where),
        timeout=_check_timeout(timeout, where),
        max_concurrency=_check_concurrency(max_concurrency, where),
        is_async=is_async_callable(function),
    )


def _is_partial(function: object) -> bool:
    return isinstance(function, functools.partial)


def _docstring_of(function: Callable[..., Any]) -> str | None:
    """The docstring of the function itself (not of `functools.partial`), else of its class."""
    while isinstance(function, functools.partial):
        function = typing.cast("functools.partial[Any]", function).func
    return inspect.getdoc(call_target(function)) or inspect.getdoc(function)


def _function_name(function: Callable[..., Any]) -> str:
    while isinstance(function, functools.partial):
        function = typing.cast("functools.partial[Any]", function).func
    return str(getattr(function, "__name__", type(function).__name__))


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ToolDefinitionError(
            f"tool name must be 1-{MAX_TOOL_NAME_LEN} characters of [A-Za-z0-9_-], got {name!r}; "
            "pass @tool(name=...)"
        )
    return name


def _check_version(version: str, where: str) -> None:
    try:
        version_key(version)
    except (ValueError, TypeError) as error:
        raise ToolDefinitionError(f"{where}: {error}") from None


def _capabilities(values: Iterable[CapabilityId | str], where: str) -> frozenset[CapabilityId]:
    if isinstance(values, str):
        raise ToolDefinitionError(
            f"{where}: capabilities must be a collection of ids, got the str {values!r}; "
            f"write capabilities=({values!r},)"
        )
    try:
        return frozenset(parse_capability_id(value) for value in values)
    except InvalidCapabilityId as error:
        raise ToolDefinitionError(f"{where}: {error}") from None


def _secret_names(values: Iterable[str], where: str) -> frozenset[str]:
    if isinstance(values, str):
        raise ToolDefinitionError(
            f"{where}: secrets must be a collection of names, got the str {values!r}; "
            f"write secrets=({values!r},)"
        )
    names = frozenset(values)
    for name in names:
        if not isinstance(name, str) or not name.strip():  # pyright: ignore[reportUnnecessaryIsInstance]
            raise ToolDefinitionError(f"{where}: secret names must be non-empty str, got {name!r}")
    return names


def _check_timeout(timeout: float | None, where: str) -> float | None:
    if timeout is None:
        return None
    number = isinstance(timeout, int | float)  # pyright: ignore[reportUnnecessaryIsInstance]
    if isinstance(timeout, bool) or not number or math.isnan(timeout):
        raise ToolDefinitionError(f"{where}: timeout must be a number of seconds, got {timeout!r}")
    if timeout <= 0:
        raise ToolDefinitionError(f"{where}: timeout must be > 0 seconds, got {timeout!r}")
    return float(timeout)


def _check_concurrency(limit: int | None, where: str) -> int | None:
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ToolDefinitionError(f"{where}: max_concurrency must be an int >= 1, got {limit!r}")
    return limit

"""From a function's signature to an arguments Struct, and from a Struct back to a call."""

from __future__ import annotations

import copy
import functools
import inspect
import types
import typing
from typing import Any, Final

import msgspec

from mxp_agents.tools._context import ToolContext
from mxp_agents.tools._errors import ToolDefinitionError
from mxp_agents.tools._types import SUPPORTED_TYPES, unsupported_part

if typing.TYPE_CHECKING:
    from collections.abc import Callable, Sized

__all__ = ["CallPlan", "analyse", "call_target", "is_async_callable"]

_VARIADIC: Final = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


class CallPlan:
    """How to call a tool's function: its arguments Struct and where the context goes.

    Example:
        >>> def add(a: int, b: int = 2) -> int:
        ...     return a + b
        >>> plan = analyse(add, "add")
        >>> args = plan.args_type(a=1)
        >>> add(*plan.positional(args, None), **plan.keywords(args, None))
        3
    """

    __slots__ = (
        "_context_keyword",
        "_keyword_fields",
        "args_type",
        "context_param",
        "defaults",
        "positional_only",
    )

    def __init__(
        self,
        args_type: type[msgspec.Struct],
        context_param: str | None,
        positional_only: tuple[str, ...],
        defaults: dict[str, Any],
    ) -> None:
        self.args_type = args_type
        self.context_param = context_param
        self.positional_only = positional_only  # in order; may include the context parameter
        self.defaults = defaults  # JSON defaults msgspec leaves out of the schema (factories)
        self._keyword_fields = tuple(
            name for name in args_type.__struct_fields__ if name not in positional_only
        )
        self._context_keyword = context_param is not None and context_param not in positional_only

    def positional(self, args: msgspec.Struct, context: ToolContext | None) -> list[Any]:
        """Values of the positional-only parameters, in order."""
        return [
            context if name == self.context_param else getattr(args, name)
            for name in self.positional_only
        ]

    def keywords(self, args: msgspec.Struct, context: ToolContext | None) -> dict[str, Any]:
        """Values of the other parameters, by name."""
        values = {name: getattr(args, name) for name in self._keyword_fields}
        if self._context_keyword:
            values[typing.cast("str", self.context_param)] = context
        return values


def analyse(function: Callable[..., Any], tool_name: str) -> CallPlan:
    """Read ``function``'s parameters: build the arguments Struct and find the context parameter.

    Raises:
        ToolDefinitionError: ``*args``/``**kwargs``, a parameter without annotation, an
            unsupported annotation (named with its parameter), or two context parameters.

    Example:
        >>> analyse(lambda a: a, "echo")
        Traceback (most recent call last):
        ...
        mxp_agents.tools._errors.ToolDefinitionError: tool 'echo': parameter 'a' has no type ...
    """
    where = f"tool {tool_name!r}"
    signature = inspect.signature(function)
    hints = _type_hints(function, where)
    fields: list[tuple[str, Any, Any]] = []
    positional_only: list[str] = []
    defaults: dict[str, Any] = {}
    context_param: str | None = None
    for name, parameter in signature.parameters.items():
        if parameter.kind in _VARIADIC:
            star = "*" if parameter.kind is inspect.Parameter.VAR_POSITIONAL else "**"
            raise ToolDefinitionError(
                f"{where}: tool functions cannot take {star}{name}; declare each argument"
            )
        if name not in hints:
            raise ToolDefinitionError(
                f"{where}: parameter {name!r} has no type annotation; annotate it "
                f"(supported: {SUPPORTED_TYPES})"
            )
        if parameter.kind is inspect.Parameter.POSITIONAL_ONLY:
            positional_only.append(name)
        annotation = hints[name]
        if _is_context(annotation):
            if context_param is not None:
                raise ToolDefinitionError(
                    f"{where}: parameters {context_param!r} and {name!r} both take the "
                    "ToolContext; keep one"
                )
            context_param = name
            continue
        _check_annotation(annotation, name, where)
        fields.append(_field(name, annotation, parameter.default, defaults))
    try:
        args_type = msgspec.defstruct(
            f"{tool_name}_arguments",
            fields,
            kw_only=True,
            frozen=True,
            forbid_unknown_fields=True,
            module=getattr(function, "__module__", None),
        )
    except (TypeError, ValueError) as error:
        raise ToolDefinitionError(f"{where}: cannot build its arguments type: {error}") from None
    return CallPlan(args_type, context_param, tuple(positional_only), defaults)


def _type_hints(function: Callable[..., Any], where: str) -> dict[str, Any]:
    target = call_target(function)
    try:
        return typing.get_type_hints(target, include_extras=True)
    except (NameError, TypeError, AttributeError) as error:
        raise ToolDefinitionError(
            f"{where}: cannot resolve its type annotations ({error}); import every annotated "
            "type at runtime, not only under TYPE_CHECKING"
        ) from None


def call_target(function: Callable[..., Any]) -> Callable[..., Any]:
    """The function that really runs: unwraps a `functools.partial` and a callable object.

    Example:
        >>> call_target(functools.partial(max, 1)) is max
        True
    """
    target: Callable[..., Any] = function
    while isinstance(target, functools.partial):
        target = typing.cast("functools.partial[Any]", target).func
    if inspect.isroutine(target) or isinstance(target, type):
        return target
    call = getattr(type(target), "__call__", None)  # noqa: B004 - the method itself
    return call if inspect.isfunction(call) else target


def is_async_callable(function: Callable[..., Any]) -> bool:
    """Whether calling ``function`` returns a coroutine (async def, also behind a partial).

    Example:
        >>> async def fetch() -> None: ...
        >>> is_async_callable(functools.partial(fetch)), is_async_callable(print)
        (True, False)
    """
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(
        call_target(function)
    )


def _is_context(annotation: Any) -> bool:
    if annotation is ToolContext:
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return members == [ToolContext]
    return False


def _check_annotation(annotation: Any, name: str, where: str) -> None:
    try:
        problem = unsupported_part(annotation)
    except (TypeError, ValueError) as error:
        raise ToolDefinitionError(
            f"{where}: parameter {name!r} has an unusable annotation {_show(annotation)} ({error})"
        ) from None
    if problem is not None:
        detail = "" if problem == _show(annotation) else f" (because of {problem})"
        raise ToolDefinitionError(
            f"{where}: parameter {name!r} has unsupported type {_show(annotation)}{detail}; "
            f"supported: {SUPPORTED_TYPES}"
        )


def _field(
    name: str, annotation: Any, default: Any, defaults: dict[str, Any]
) -> tuple[str, Any, Any]:
    if default is inspect.Parameter.empty:
        return (name, annotation, msgspec.NODEFAULT)
    if _is_filled_container(default):
        # msgspec refuses non-empty mutable defaults: give each call its own copy
        defaults[name] = msgspec.to_builtins(default)
        factory: Callable[[], Any] = functools.partial(copy.deepcopy, default)
        return (name, annotation, msgspec.field(default_factory=factory))
    return (name, annotation, default)


def _is_filled_container(value: object) -> bool:
    if not isinstance(value, list | dict | set | bytearray):
        return False
    return len(typing.cast("Sized", value)) > 0


def _show(annotation: Any) -> str:
    if isinstance(annotation, type):
        return annotation.__qualname__
    return repr(annotation).replace("typing.", "")

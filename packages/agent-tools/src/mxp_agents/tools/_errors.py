"""Errors of ``mxp_agents.tools``: each says what was wrong, where, and how to fix it."""

from __future__ import annotations

from typing import Self

from mxp_agents.primitives import MxpAgentsError

__all__ = [
    "DuplicateToolError",
    "ToolArgumentsError",
    "ToolDefinitionError",
    "ToolReturnError",
    "ToolsError",
    "UnknownToolError",
]


class ToolsError(MxpAgentsError):
    """Base class of every error raised by ``mxp_agents.tools``.

    Example:
        >>> issubclass(UnknownToolError, ToolsError)
        True
    """


class ToolDefinitionError(ToolsError, TypeError):
    """A function that cannot become a tool, or a bad `tool` option.

    Raised when decorating: an unsupported or missing annotation (the message names the
    parameter and the type), ``*args``/``**kwargs``, a bad name, version, timeout or capability.

    Example:
        >>> @tool
        ... def greet(name):
        ...     return name
        Traceback (most recent call last):
        ...
        mxp_agents.tools._errors.ToolDefinitionError: tool 'greet': parameter 'name' has no ...
    """


class DuplicateToolError(ToolsError):
    """A tool registered twice under the same ``name@version``.

    Example:
        >>> registry.register(add)  # doctest: +SKIP
        DuplicateToolError: tool 'add@1.0.0' is already registered; ...
    """

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(
            f"tool {key!r} is already registered; give the new one another version "
            "or unregister the old one first"
        )

    def __reduce__(self) -> tuple[type[Self], tuple[str]]:
        return (type(self), (self.key,))


class UnknownToolError(ToolsError, LookupError):
    """A tool name (or ``name@version``) that is not in the registry; names near matches.

    ``ref`` is what was asked for, ``suggestions`` the registered names or versions closest to it.

    Example:
        >>> str(UnknownToolError("serach", ("search",)))
        "unknown tool 'serach'; did you mean 'search'?"
    """

    def __init__(
        self, ref: str, suggestions: tuple[str, ...] = (), detail: str | None = None
    ) -> None:
        self.ref = ref
        self.suggestions = suggestions
        self.detail = detail
        text = detail if detail is not None else f"unknown tool {ref!r}"
        if suggestions:
            text += "; did you mean " + " or ".join(repr(s) for s in suggestions) + "?"
        super().__init__(text)

    def __reduce__(self) -> tuple[type[Self], tuple[str, tuple[str, ...], str | None]]:
        return (type(self), (self.ref, self.suggestions, self.detail))


class ToolArgumentsError(ToolsError, ValueError):
    """Arguments that do not fit a tool's parameters; ``path`` says where (``$.items[2].x``).

    ``reason`` says what is wrong; ``path`` is None when the error concerns the arguments as a
    whole (a missing argument, a non-object). ``str(error)`` is ``"<reason> - at <path>"``.

    Example:
        >>> str(ToolArgumentsError("expected int, got str", "$.a"))
        'expected int, got str - at $.a'
    """

    def __init__(self, reason: str, path: str | None = None) -> None:
        self.reason = reason
        self.path = path
        super().__init__(reason if path is None else f"{reason} - at {path}")

    def __reduce__(self) -> tuple[type[Self], tuple[str, str | None]]:
        return (type(self), (self.reason, self.path))


class ToolReturnError(ToolsError, TypeError):
    """A tool returned a value that cannot be encoded as JSON; names the offending type.

    Example:
        >>> error = ToolReturnError("clock", "cannot encode objects of type lock")
        >>> str(error).endswith("cannot be encoded as JSON: cannot encode objects of type lock")
        True
    """

    def __init__(self, tool: str, detail: str) -> None:
        self.tool = tool
        self.detail = detail
        super().__init__(f"tool {tool!r} returned a value that cannot be encoded as JSON: {detail}")

    def __reduce__(self) -> tuple[type[Self], tuple[str, str]]:
        return (type(self), (self.tool, self.detail))

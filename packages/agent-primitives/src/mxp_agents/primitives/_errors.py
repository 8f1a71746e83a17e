"""The error base of the SDK and the validation errors of the shared types.

Every package of MXP Agents for Python derives its errors from `MxpAgentsError`. Validation
errors carry a ``reason`` and, where the value sits inside a structure, a JSON-style ``path``;
``str(error)`` is ``"<reason> - at <path>"``.
"""

from __future__ import annotations

from typing import Self

__all__ = [
    "DecodeError",
    "InvalidAgentId",
    "InvalidCapability",
    "InvalidCapabilityId",
    "InvalidManifest",
    "InvalidMessage",
    "InvalidValue",
    "MxpAgentsError",
    "PrimitivesError",
]


class MxpAgentsError(Exception):
    """Base class of every error raised by an MXP Agents package.

    Catch it to handle any failure of the SDK in one place.

    Example:
        >>> try:
        ...     parse_capability_id("Bad Id")
        ... except MxpAgentsError as error:
        ...     print(type(error).__name__)
        InvalidCapabilityId
    """


class PrimitivesError(MxpAgentsError):
    """Base class of the errors raised by ``mxp_agents.primitives``.

    Example:
        >>> issubclass(InvalidCapability, PrimitivesError)
        True
    """


class InvalidValue(PrimitivesError, ValueError):
    """A value that breaks a rule of a shared type; names the rule and where the value sits.

    ``reason`` says what is wrong, ``path`` (``"$.scopes[1]"``, or None for a lone value) says
    where. It is also a `ValueError`, so msgspec reports it with its path while decoding.

    Example:
        >>> error = InvalidCapability("scope cannot be empty", "$.scopes[1]")
        >>> str(error.at("$.capabilities[0]"))
        'scope cannot be empty - at $.capabilities[0].scopes[1]'
    """

    def __init__(self, reason: str, path: str | None = None) -> None:
        self.reason = reason
        self.path = path
        super().__init__(reason if path is None else f"{reason} - at {path}")

    def at(self, prefix: str) -> Self:
        """The same error, with its path moved under ``prefix`` (a path such as ``"$.items[0]"``).

        Example:
            >>> str(InvalidManifest("manifest tag cannot be empty", "$.tags[0]").at("$.agents[2]"))
            'manifest tag cannot be empty - at $.agents[2].tags[0]'
        """
        relative = self.path if self.path is not None else "$"
        return type(self)(self.reason, prefix + relative[1:])

    def __reduce__(self) -> tuple[type[Self], tuple[str, str | None]]:
        return (type(self), (self.reason, self.path))


class InvalidAgentId(InvalidValue):
    """Text that is not an agent id (a UUID).

    Example:
        >>> parse_agent_id("agent-7")
        Traceback (most recent call last):
        ...
        mxp_agents.primitives._errors.InvalidAgentId: invalid agent id 'agent-7': ...
    """


class InvalidCapabilityId(InvalidValue):
    """A capability id that is empty, over 64 bytes long or has characters outside ``[a-z0-9._-]``.

    Example:
        >>> parse_capability_id("")
        Traceback (most recent call last):
        ...
        mxp_agents.primitives._errors.InvalidCapabilityId: invalid capability id '': ...
    """


class InvalidCapability(InvalidValue):
    """A `Capability` whose name, version or scopes break the reference runtime's rules.

    Example:
        >>> make_capability(scopes=())
        Traceback (most recent call last):
        ...
        mxp_agents.primitives._errors.InvalidCapability: at least one scope must be ...
    """


class InvalidManifest(InvalidValue):
    """An `AgentManifest` with a blank name, version or tag, or a field of the wrong type.

    Example:
        >>> make_manifest(name=" ")
        Traceback (most recent call last):
        ...
        mxp_agents.primitives._errors.InvalidManifest: manifest name cannot be empty - at $.name
    """


class InvalidMessage(InvalidValue):
    """A conversation value (`Message`, `ToolCall`, `ToolResult`, `Usage`) that is inconsistent.

    Example:
        >>> Message(Role.TOOL, "42")
        Traceback (most recent call last):
        ...
        mxp_agents.primitives._errors.InvalidMessage: a tool message needs a tool_call_id ...
    """


class DecodeError(InvalidValue):
    """JSON that is malformed or does not have the shape of the requested type.

    Example:
        >>> from_json(b'{"role": "user", "content": 5}', Message)
        Traceback (most recent call last):
        ...
        mxp_agents.primitives._errors.DecodeError: expected str, got int - at $.content
    """

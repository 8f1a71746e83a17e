"""Factories that build valid shared values with sensible defaults, for tests."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from mxp_agents.primitives._capability import Capability
from mxp_agents.primitives._ids import AgentId, CapabilityId, random_agent_id
from mxp_agents.primitives._manifest import AgentManifest
from mxp_agents.primitives._tool_call import ToolCall

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["make_agent_id", "make_capability", "make_manifest", "make_tool_call"]


def make_agent_id(number: int | None = None) -> AgentId:
    """A fixed agent id for ``number`` (``00000000-...-000000000001`` for 1), or a random one.

    Example:
        >>> str(make_agent_id(7))
        '00000000-0000-0000-0000-000000000007'
    """
    return random_agent_id() if number is None else AgentId(uuid.UUID(int=number))


def make_capability(
    id: str = "test.capability",
    *,
    name: str = "Test capability",
    version: str = "1.0.0",
    scopes: Iterable[str] = ("test:read",),
    description: str | None = None,
) -> Capability:
    """A `Capability`; every argument has a valid default and all rules still apply.

    Example:
        >>> make_capability("code.review", scopes=["repo:read"]).scopes
        ('repo:read',)
    """
    return Capability(
        id=CapabilityId(id),
        name=name,
        description=description,
        version=version,
        scopes=tuple(scopes),
    )


def make_manifest(
    *,
    id: AgentId | None = None,
    name: str = "test-agent",
    version: str = "0.1.0",
    description: str | None = None,
    capabilities: Iterable[Capability] | None = None,
    tags: Iterable[str] = (),
) -> AgentManifest:
    """An `AgentManifest` with a random id and one test capability unless told otherwise.

    Example:
        >>> make_manifest(name="planner").capability_ids
        ('test.capability',)
    """
    return AgentManifest(
        id=random_agent_id() if id is None else id,
        name=name,
        version=version,
        description=description,
        capabilities=(make_capability(),) if capabilities is None else tuple(capabilities),
        tags=tuple(tags),
    )


def make_tool_call(
    name: str = "echo", arguments: Mapping[str, Any] | None = None, *, id: str = "call_1"
) -> ToolCall:
    """A `ToolCall` of tool ``name`` with ``arguments`` (default ``{}``) and id ``call_1``.

    Example:
        >>> make_tool_call("search", {"query": "mxp"}).arguments
        {'query': 'mxp'}
    """
    return ToolCall(id, name, dict(arguments or {}))

"""`AgentManifest`: an agent's identity and capabilities, as advertised to the mesh."""

import uuid

import msgspec

from mxp_agents.primitives._capability import Capability
from mxp_agents.primitives._checks import kind_of, require_str, require_text
from mxp_agents.primitives._errors import InvalidManifest
from mxp_agents.primitives._ids import AgentId, CapabilityId
from mxp_agents.primitives._sequences import as_tuple, store

__all__ = ["AgentManifest"]


class AgentManifest(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Who an agent is and what it can do: id, name, version, description, capabilities, tags.

    Rules (the Rust runtime's): ``name``, ``version`` and every tag are not blank. A broken rule
    raises `InvalidManifest` with the path, e.g. ``manifest tag cannot be empty - at $.tags[1]``;
    decoding also reports a bad nested capability at its full path
    (``scope cannot be empty - at $.capabilities[0].scopes[1]``). The JSON form matches the
    reference runtime's: ``description``, ``capabilities`` and ``tags`` are left out when empty.

    Example:
        >>> manifest = AgentManifest(
        ...     id=random_agent_id(), name="reviewer", version="0.3.0", tags=("code",)
        ... )
        >>> manifest.tags
        ('code',)
    """

    id: AgentId
    name: str
    version: str
    description: str | None = None
    capabilities: tuple[Capability, ...] = ()
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.id, uuid.UUID):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidManifest(
                f"expected an AgentId (uuid.UUID), got {kind_of(self.id)}; "
                "build one with parse_agent_id() or random_agent_id()",
                "$.id",
            )
        require_text(self.name, "$.name", InvalidManifest, "manifest name")
        require_text(self.version, "$.version", InvalidManifest, "manifest version")
        if self.description is not None:
            require_str(self.description, "$.description", InvalidManifest)
        store(self, "capabilities", _checked_capabilities(self.capabilities))
        store(self, "tags", _checked_tags(self.tags))

    @property
    def capability_ids(self) -> tuple[CapabilityId, ...]:
        """The ids of the manifest's capabilities, in order.

        Example:
            >>> make_manifest(capabilities=[make_capability("a.b")]).capability_ids
            ('a.b',)
        """
        return tuple(capability.id for capability in self.capabilities)


def _checked_capabilities(value: object) -> tuple[Capability, ...]:
    capabilities: list[Capability] = []
    for index, item in enumerate(as_tuple(value, "$.capabilities", InvalidManifest)):
        if not isinstance(item, Capability):
            raise InvalidManifest(
                f"expected Capability, got {kind_of(item)}", f"$.capabilities[{index}]"
            )
        capabilities.append(item)
    return tuple(capabilities)


def _checked_tags(value: object) -> tuple[str, ...]:
    return tuple(
        require_text(item, f"$.tags[{index}]", InvalidManifest, "manifest tag")
        for index, item in enumerate(as_tuple(value, "$.tags", InvalidManifest))
    )

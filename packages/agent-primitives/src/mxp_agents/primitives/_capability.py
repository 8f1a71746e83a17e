"""`Capability`: what an agent can do, with the reference runtime's validation rules."""

from typing import Final

import msgspec

from mxp_agents.primitives._checks import require_str, require_text, utf8_len
from mxp_agents.primitives._errors import InvalidCapability
from mxp_agents.primitives._ids import CapabilityId, check_capability_id
from mxp_agents.primitives._sequences import as_tuple, store

__all__ = ["MAX_CAPABILITY_NAME_LEN", "MAX_SCOPE_LEN", "Capability"]

MAX_CAPABILITY_NAME_LEN: Final = 96
"""Longest capability name, in UTF-8 bytes (as in the reference runtime)."""

MAX_SCOPE_LEN: Final = 64
"""Longest scope, in UTF-8 bytes (as in the reference runtime)."""


class Capability(msgspec.Struct, frozen=True, kw_only=True):
    """A capability an agent exposes: id, display name, schema version and governance scopes.

    Rules (the Rust runtime's): ``id`` is a valid `CapabilityId`; ``name`` is not blank and at
    most 96 bytes; ``version`` is not blank; there is at least one scope and each is not blank
    and at most 64 bytes. Scopes are stored sorted and without duplicates. The rules run on
    construction and on decoding, and a broken one raises `InvalidCapability` (or
    `InvalidCapabilityId`) naming the field, e.g. ``scope cannot be empty - at $.scopes[1]``.
    The JSON form matches the reference runtime's serde output field for field.

    Example:
        >>> cap = Capability(
        ...     id=parse_capability_id("plan.execute"),
        ...     name="Planner",
        ...     version="1.0.0",
        ...     scopes=("write:plans", "read:tasks"),
        ... )
        >>> cap.scopes
        ('read:tasks', 'write:plans')
    """

    id: CapabilityId
    name: str
    description: str | None = None
    version: str
    scopes: tuple[str, ...]

    def __post_init__(self) -> None:
        check_capability_id(self.id, "$.id")
        name = require_text(self.name, "$.name", InvalidCapability, "name")
        length = utf8_len(name)
        if length > MAX_CAPABILITY_NAME_LEN:
            raise InvalidCapability(
                f"name length must be <= {MAX_CAPABILITY_NAME_LEN} (got {length} bytes)", "$.name"
            )
        if self.description is not None:
            require_str(self.description, "$.description", InvalidCapability)
        require_text(self.version, "$.version", InvalidCapability, "version")
        store(self, "scopes", _checked_scopes(self.scopes))


def _checked_scopes(value: object) -> tuple[str, ...]:
    scopes: list[str] = []
    for index, item in enumerate(as_tuple(value, "$.scopes", InvalidCapability)):
        path = f"$.scopes[{index}]"
        scope = require_text(item, path, InvalidCapability, "scope")
        length = utf8_len(scope)
        if length > MAX_SCOPE_LEN:
            raise InvalidCapability(
                f"scope length must be <= {MAX_SCOPE_LEN} (got {length} bytes)", path
            )
        scopes.append(scope)
    if not scopes:
        raise InvalidCapability("at least one scope must be specified", "$.scopes")
    return tuple(sorted(set(scopes)))

"""Identifiers: `AgentId` (a UUID) and `CapabilityId` (a short dotted name).

Both are `typing.NewType`s, so msgspec encodes and decodes them natively in any Struct field:
an `AgentId` travels as the canonical hyphenated UUID string, a `CapabilityId` as its text, exactly
as the Rust runtime's ``#[serde(transparent)]`` types do.
"""

from __future__ import annotations

import uuid
from typing import Final, NewType

from mxp_agents.primitives._checks import kind_of, quote, utf8_len
from mxp_agents.primitives._errors import InvalidAgentId, InvalidCapabilityId

__all__ = [
    "MAX_CAPABILITY_ID_LEN",
    "AgentId",
    "CapabilityId",
    "check_capability_id",
    "parse_agent_id",
    "parse_capability_id",
    "random_agent_id",
]

AgentId = NewType("AgentId", uuid.UUID)
"""Unique id of an agent on the MXP mesh: a UUID, written in canonical hyphenated form.

Example:
    >>> agent = AgentId(uuid.UUID(int=1))
    >>> str(agent)
    '00000000-0000-0000-0000-000000000001'
"""

CapabilityId = NewType("CapabilityId", str)
"""Id of a capability: 1 to 64 bytes of ``a-z``, ``0-9``, ``.``, ``_`` and ``-``.

Build one with `parse_capability_id`, which checks the rules (``CapabilityId(text)`` does not).

Example:
    >>> parse_capability_id("code.review")
    'code.review'
"""

MAX_CAPABILITY_ID_LEN: Final = 64
"""Longest capability id, in bytes (as in the reference runtime)."""

_ID_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")


def random_agent_id() -> AgentId:
    """A new random (version 4) agent id.

    Example:
        >>> random_agent_id() != random_agent_id()
        True
    """
    return AgentId(uuid.uuid4())


def parse_agent_id(text: str) -> AgentId:
    """Parse an agent id from its text (hyphenated, 32 hex digits, braced or ``urn:uuid:`` form).

    Raises:
        InvalidAgentId: ``text`` is not a UUID.

    Example:
        >>> str(parse_agent_id("6F9619FF-8B86-D011-B42D-00C04FC964FF"))
        '6f9619ff-8b86-d011-b42d-00c04fc964ff'
    """
    if not isinstance(text, str):  # pyright: ignore[reportUnnecessaryIsInstance] - runtime guard
        raise InvalidAgentId(f"invalid agent id: expected str, got {kind_of(text)}")
    try:
        return AgentId(uuid.UUID(text))
    except ValueError:
        raise InvalidAgentId(
            f"invalid agent id {quote(text)}: expected a UUID such as "
            "'67e55044-10b1-426f-9247-bb680e5fe0c8'"
        ) from None


def check_capability_id(value: object, path: str | None = None) -> CapabilityId:
    """``value`` as a `CapabilityId` if it follows the rules, else raise with ``path`` in the text.

    The rules and reasons are the reference runtime's: not empty, at most 64 bytes, and only
    lowercase ASCII letters, digits, ``-``, ``_`` and ``.``.

    Raises:
        InvalidCapabilityId: ``value`` breaks a rule; the message says which.

    Example:
        >>> check_capability_id("Plan", "$.id")
        Traceback (most recent call last):
        ...
        mxp_agents.primitives._errors.InvalidCapabilityId: invalid capability id 'Plan': ...
    """
    if not isinstance(value, str):
        raise InvalidCapabilityId(
            f"invalid capability id: expected str, got {kind_of(value)}", path
        )
    reason = _capability_id_problem(value)
    if reason is not None:
        raise InvalidCapabilityId(f"invalid capability id {quote(value)}: {reason}", path)
    return CapabilityId(value)


def parse_capability_id(text: str) -> CapabilityId:
    """Check ``text`` against the capability id rules and return it as a `CapabilityId`.

    Raises:
        InvalidCapabilityId: ``text`` breaks a rule; the message says which.

    Example:
        >>> parse_capability_id("x" * 65)
        Traceback (most recent call last):
        ...
        mxp_agents.primitives._errors.InvalidCapabilityId: ...: identifier length must be <= 64 ...
    """
    return check_capability_id(text)


def _capability_id_problem(text: str) -> str | None:
    if not text:
        return "identifier cannot be empty"
    length = utf8_len(text)
    if length > MAX_CAPABILITY_ID_LEN:
        return f"identifier length must be <= {MAX_CAPABILITY_ID_LEN} (got {length} bytes)"
    for index, char in enumerate(text):
        if char not in _ID_CHARS:
            return (
                "identifier must contain lowercase alphanumeric, dash, underscore, or dot "
                f"(found {char!r} at index {index})"
            )
    return None

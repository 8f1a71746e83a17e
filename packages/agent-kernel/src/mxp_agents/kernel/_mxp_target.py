"""Where an MXP client (`MxpModel`, `MxpVectorStore`, `MxpJournal`) sends its calls: one
address, or a capability whose servers are discovered through a registry."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from mxp.bodies import parse_address
from mxp_agents.kernel._mxp_probe import where
from mxp_agents.primitives import CapabilityId, InvalidCapabilityId, parse_capability_id

if TYPE_CHECKING:
    from mxp.transport import Address

__all__ = ["BadTarget", "is_registry", "split_target"]


class BadTarget(ValueError):
    """A target that is neither an address nor a capability id; the message says why (each
    client raises it again as its own error, at ``$.target``).

    Example:
        >>> str(BadTarget("target must be 'host:port', ..."))
        "target must be 'host:port', ..."
    """


def split_target(target: object, example: str) -> tuple[Address | None, CapabilityId | None, str]:
    """``(address, None, "host:port")`` or ``(None, capability, capability)``; ``example`` is
    the capability the message suggests.

    Raises:
        BadTarget: neither.

    Example:
        >>> split_target("127.0.0.1:7001", "memory.vectors")
        (('127.0.0.1', 7001), None, '127.0.0.1:7001')
    """
    problem = (
        f"target must be 'host:port', (host, port) or a capability id such as {example!r}, "
        f"got {target!r}"
    )
    if isinstance(target, tuple):
        parts = cast("tuple[object, ...]", target)
        if len(parts) == 2 and isinstance(parts[0], str) and _port(parts[1]):
            address = (parts[0], cast("int", parts[1]))
            return address, None, where(address)
        raise BadTarget(problem)
    if not isinstance(target, str) or not target.strip():
        raise BadTarget(problem)
    if ":" in target:
        try:
            return parse_address(target), None, target
        except ValueError:
            host, _, port = target.rpartition(":")
            if host and port.isdigit() and _port(int(port)):
                return (host.strip("[]"), int(port)), None, target
        raise BadTarget(problem)
    try:
        capability = parse_capability_id(target)
    except InvalidCapabilityId as error:
        raise BadTarget(f"{problem}: {error.reason}") from None
    return None, capability, capability


def is_registry(registry: str) -> bool:
    """Whether ``registry`` is a registry address (``"ip:port"``).

    Example:
        >>> is_registry("127.0.0.1:50051"), is_registry("localhost")
        (True, False)
    """
    try:
        parse_address(registry)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


def _port(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 0xFFFF

"""Addresses: checking ports and turning a host (IP literal or name) into a socket address.

`bind_address` picks the family and address an endpoint binds; `resolve_peer` turns a peer's
``(host, port)`` into the canonical ``(ip, port)`` the endpoint's socket reaches and replies
come from, refusing the other address family.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import TYPE_CHECKING, cast

import trio

from mxp._transport._errors import UsageError

if TYPE_CHECKING:
    from mxp._transport._types import Address


def _is_port(port: object, lowest: int) -> bool:
    """Whether ``port`` is an int (not a bool) in ``lowest..65535``."""
    valid = isinstance(port, int) and not isinstance(port, bool)
    return valid and lowest <= cast("int", port) <= 0xFFFF


async def _lookup(host: str, port: int, family: int) -> tuple[int, Address]:
    """The first ``(family, (ip, port))`` a name resolves to (raises OSError)."""
    infos = await trio.socket.getaddrinfo(host, port, family, socket.SOCK_DGRAM)
    resolved = cast("tuple[str, int]", infos[0][4][:2])
    return infos[0][0], (resolved[0], resolved[1])


async def bind_address(host: str, port: int) -> tuple[int, Address]:
    """The socket family and address to bind for ``(host, port)`` (port 0 picks a free one).

    Raises:
        UsageError: the port is not an int in 0..65535, or ``host`` does not resolve.
    """
    if not _is_port(port, 0):
        raise UsageError(f"bind: port must be an int in 0..65535, got {port!r}")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        try:
            return await _lookup(host, port, 0)
        except OSError as error:
            raise UsageError(f"bind: cannot resolve {host!r}: {error}") from None
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    return family, (str(ip), port)


async def resolve_peer(addr: Address, *, v6: bool, label: str) -> Address:
    """The canonical ``(ip, port)`` of ``addr`` for the endpoint ``label`` (IPv6 if ``v6``).

    Raises:
        UsageError: ``addr`` is not a ``(host, port)`` with a port in 1..65535, does not
            resolve, or is of the other address family.
    """
    try:
        host, port = addr
    except (TypeError, ValueError):
        raise UsageError(f"address: expected (host, port), got {addr!r}") from None
    if not _is_port(port, 1):
        raise UsageError(f"address {addr!r}: port must be an int in 1..65535")
    family = socket.AF_INET6 if v6 else socket.AF_INET
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        try:
            return (await _lookup(host, port, family))[1]
        except OSError as error:
            raise UsageError(f"address {addr!r}: cannot resolve {host!r}: {error}") from None
    if (ip.version == 6) != v6:
        raise UsageError(
            f"address {addr!r}: this endpoint is bound to {label} (IPv"
            f"{6 if v6 else 4}) and cannot reach an IPv{ip.version} address - "
            "bind an endpoint of the same family"
        )
    return (str(ip), port)

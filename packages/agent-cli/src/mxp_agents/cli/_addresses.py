"""Command-line socket addresses: ``IP:PORT`` text to ``(host, port)``, with usage errors."""

from __future__ import annotations

from mxp.bodies import parse_address
from mxp_agents.cli._errors import UsageError

__all__ = ["local_host_for", "parse_cli_address"]


def parse_cli_address(text: str, option: str) -> tuple[str, int]:
    """``(host, port)`` of ``IP:PORT`` (``[IPv6]:PORT``); a `UsageError` naming ``option``.

    Example:
        >>> parse_cli_address("127.0.0.1:50051", "--registry")
        ('127.0.0.1', 50051)
    """
    try:
        return parse_address(text.strip())
    except ValueError as error:
        raise UsageError(f"{option}: {error}") from None


def local_host_for(target: tuple[str, int]) -> str:
    """The address a client endpoint binds to reach ``target`` (loopback stays loopback).

    Example:
        >>> local_host_for(("127.0.0.1", 50051))
        '127.0.0.1'
    """
    host = target[0]
    if ":" in host:
        return "::1" if host == "::1" else "::"
    return "127.0.0.1" if host.startswith("127.") else "0.0.0.0"

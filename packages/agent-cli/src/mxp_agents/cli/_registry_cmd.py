"""``mxp-agents registry``: an MXP registry in the foreground until Ctrl-C."""

from __future__ import annotations

import logging
from typing import Final

import trio

from mxp_agents.cli._errors import CommandFailed, UsageError
from mxp_agents.cli._signals import stop_signals, wait_for_stop

__all__ = ["run_registry"]

logger: Final = logging.getLogger("mxp_agents.cli")


def run_registry(host: str, port: int) -> int:
    """Serve a registry on ``host:port`` until SIGINT or SIGTERM; the exit status.

    The first line on stdout is ``mxp-agents registry listening on IP:PORT``; registrations,
    heartbeat losses and deregistrations are logged on stderr (logger ``mxp.registry``).

    Example:
        >>> run_registry("127.0.0.1", 0)  # doctest: +SKIP
        mxp-agents registry listening on 127.0.0.1:40217
    """
    if not 0 <= port <= 0xFFFF:
        raise UsageError(f"--port must be in 0..65535, got {port}")
    try:
        trio.run(_serve, host, port)
    except OSError as error:
        raise CommandFailed(f"cannot run the registry on {host}:{port}: {error}") from None
    return 0


async def _serve(host: str, port: int) -> None:
    from mxp.bodies import format_address
    from mxp.registry import RegistryServer

    with stop_signals() as signals:
        async with RegistryServer.open(host, port) as server:
            print(f"mxp-agents registry listening on {format_address(*server.address)}", flush=True)
            name = await wait_for_stop(signals)
            logger.info("%s received: stopping (%d agents registered)", name, len(server.store))
    print("mxp-agents registry stopped", flush=True)

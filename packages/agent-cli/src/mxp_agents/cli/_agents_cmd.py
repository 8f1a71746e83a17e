"""``mxp-agents agents``: what a registry knows, as a rich table (or JSON)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import msgspec
import trio

from mxp_agents.cli._addresses import local_host_for, parse_cli_address
from mxp_agents.cli._errors import CommandFailed, UsageError
from mxp_agents.cli._output import stdout_console

if TYPE_CHECKING:
    from rich.table import Table

    from mxp.bodies import AgentRecord

__all__ = ["agents_table", "list_agents"]

_STATUS_STYLE = {"Online": "green", "Degraded": "yellow", "Offline": "red"}


def list_agents(registry: str, capability: str, *, timeout: float, as_json: bool) -> int:
    """Ask the registry at ``registry`` for ``capability`` (``"*"``: all) and print the agents.

    Example:
        >>> list_agents("127.0.0.1:50051", "*", timeout=5.0, as_json=False)  # doctest: +SKIP
    """
    target = parse_cli_address(registry, "--registry")
    if not capability.strip():
        raise UsageError("--capability must not be empty; use '*' for every agent")
    if timeout <= 0:
        raise UsageError(f"--timeout must be > 0 seconds, got {timeout}")
    records = trio.run(_discover, target, capability, timeout)
    console = stdout_console()
    if as_json:
        console.out(msgspec.json.encode(records).decode(), highlight=False)
        return 0
    if not records:
        what = "no agents" if capability == "*" else f"no agents with capability {capability!r}"
        console.print(f"{what} registered at {registry}")
        return 0
    console.print(agents_table(records, now=dt.datetime.now(dt.UTC)))
    return 0


async def _discover(target: tuple[str, int], capability: str, wait: float) -> list[AgentRecord]:
    from mxp.registry import RegistryClient, RegistryClientConfig, RegistryError
    from mxp.transport import Endpoint

    async with Endpoint.bind(local_host_for(target), 0) as endpoint:
        client = RegistryClient(endpoint, target, config=RegistryClientConfig(request_timeout=wait))
        try:
            return await client.discover(capability)
        except RegistryError as error:
            raise CommandFailed(str(error)) from None


def agents_table(records: list[AgentRecord], *, now: dt.datetime) -> Table:
    """The rich table of ``records``: id, name, capabilities, address, status, last heartbeat.

    Example:
        >>> stdout_console().print(agents_table(records, now=dt.datetime.now(dt.UTC)))
    """
    from rich.table import Table

    table = Table(title=f"{len(records)} agent(s)", title_justify="left")
    for header in ("id", "name", "capabilities", "address", "status", "last heartbeat"):
        table.add_column(header, overflow="fold")
    for record in sorted(records, key=lambda item: (item.name, item.id)):
        status = record.status.value
        table.add_row(
            record.id,
            record.name,
            ", ".join(record.capabilities) or "-",
            record.address,
            f"[{_STATUS_STYLE.get(status, 'white')}]{status}[/]",
            _heartbeat(record.last_heartbeat, now),
        )
    return table


def _heartbeat(moment: dt.datetime, now: dt.datetime) -> str:
    age = max((now - moment).total_seconds(), 0.0)
    shown = moment.astimezone(dt.UTC).strftime("%H:%M:%S")
    return f"{shown} UTC ({age:.0f}s ago)"

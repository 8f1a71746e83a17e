"""``mxp-agents run``: serve an agent from a spec over MXP until Ctrl-C."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

import trio

from mxp_agents.cli._errors import CommandFailed
from mxp_agents.cli._signals import stop_signals, wait_for_stop
from mxp_agents.cli._spec import load_spec

if TYPE_CHECKING:
    from mxp_agents.cli._spec import LoadedSpec

__all__ = ["run_agent"]

logger: Final = logging.getLogger("mxp_agents.cli")


def run_agent(spec: str, *, registry: str | None, host: str | None, port: int | None) -> int:
    """Load ``spec`` and serve its agent until SIGINT or SIGTERM; the exit status.

    The first line on stdout is ``mxp-agents agent NAME listening on IP:PORT``.

    Example:
        >>> run_agent("agent.toml", registry="127.0.0.1:50051", host=None, port=0)
        ... # doctest: +SKIP
    """
    given: dict[str, object] = {"registry": registry, "host": host, "port": port}
    overrides = {key: value for key, value in given.items() if value is not None}
    loaded = load_spec(spec, overrides=overrides)
    try:
        trio.run(_serve, loaded)
    except OSError as error:
        config = loaded.config
        raise CommandFailed(
            f"cannot serve agent {loaded.agent.name!r} on {config.host}:{config.port}: {error}"
        ) from None
    return 0


async def _serve(loaded: LoadedSpec) -> None:
    from mxp.bodies import format_address
    from mxp_agents.kernel import Kernel, KernelError

    agent, config = loaded.agent, loaded.config
    with stop_signals() as signals:
        try:
            async with Kernel(agent, config=config).running() as kernel:
                where = format_address(*kernel.address)
                print(f"mxp-agents agent {agent.name} listening on {where}", flush=True)
                print(f"  id: {kernel.agent_id}")
                print(f"  spec: {loaded.source}")
                print(f"  model: {loaded.model}")
                print(f"  capabilities: {', '.join(kernel.capabilities) or '-'}")
                executor = agent.executor
                offered = executor.registry.definitions(granted=executor.granted)
                tools = sorted(definition.name for definition in offered)
                print(f"  tools: {', '.join(tools) or '-'}")
                registered = f"registered with {config.registry}" if config.registry else "none"
                print(f"  registry: {registered}", flush=True)
                name = await wait_for_stop(signals)
                logger.info("%s received: stopping agent %s", name, agent.name)
        except KernelError as error:
            raise CommandFailed(str(error)) from None
    print(f"mxp-agents agent {agent.name} stopped", flush=True)

"""The ``mxp-agents`` command line: cyclopts commands that import their work lazily.

Exit status: 0 on success, 1 when the operation failed (no reply, a failed call or demo), 2 for
bad command-line values or agent specs.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Annotated, Final, ParamSpec

from cyclopts import App, CycloptsError, Parameter

from mxp_agents.cli._output import LogLevel, configure_logging, error_console

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["app", "main"]

P = ParamSpec("P")
DEFAULT_REGISTRY: Final = "127.0.0.1:50051"
_SERVERS: Final = frozenset({"registry", "run"})
"""Commands whose default log level is ``info`` (they log registrations); others: ``warning``."""


def _version() -> str:
    from importlib.metadata import version

    return version("mxp-agents-cli")


app: Final = App(
    name="mxp-agents",
    help="Run, call and inspect MXP agents: a registry, agents from specs, calls, a demo.",
    version=_version,
    result_action="return_value",
    help_format="plaintext",
)


def _command(function: Callable[P, int]) -> Callable[P, int]:
    """Print a `CliError` as ``error: ...`` on stderr and return its exit status."""

    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> int:
        from mxp_agents.cli._errors import CliError

        try:
            return function(*args, **kwargs)
        except CliError as error:
            from rich.markup import escape

            error_console().print(f"[bold red]error:[/] {escape(str(error))}")
            return error.exit_code
        except KeyboardInterrupt:
            return 130

    return run


@app.meta.default
def _launcher(
    *tokens: Annotated[str, Parameter(show=False, allow_leading_hyphen=True)],
    log_level: LogLevel | None = None,
) -> int:
    """Run, call and inspect MXP agents.

    Parameters
    ----------
    log_level
        Log level on stderr [default: info for registry and run, else warning].
    """
    command = next((token for token in tokens if not token.startswith("-")), "")
    configure_logging(log_level or ("info" if command in _SERVERS else "warning"))
    result = app(tokens)
    return result if isinstance(result, int) else 0


@app.command(name="registry")
@_command
def _registry(*, host: str = "127.0.0.1", port: int = 50051) -> int:
    """Run an MXP registry until Ctrl-C; prints its address first, logs registrations.

    Parameters
    ----------
    host
        Address to bind.
    port
        UDP port (0: any free port).
    """
    from mxp_agents.cli._registry_cmd import run_registry

    return run_registry(host, port)


@app.command(name="run")
@_command
def _run(
    spec: str,
    /,
    *,
    registry: str | None = None,
    host: str | None = None,
    port: int | None = None,
) -> int:
    """Serve an agent over MXP until Ctrl-C; prints its address first.

    Parameters
    ----------
    spec
        A TOML spec file, or an entry point 'module:attribute' naming an Agent (or factory).
    registry
        Registry to register with, IP:PORT (overrides the spec's kernel.registry).
    host
        Address to bind (overrides kernel.host).
    port
        UDP port, 0 for any (overrides kernel.port).
    """
    from mxp_agents.cli._run_cmd import run_agent

    return run_agent(spec, registry=registry, host=host, port=port)


@app.command(name="call")
@_command
def _call(
    address: str,
    task: str,
    /,
    *,
    stream: bool = True,
    timeout: float = 60.0,
    json: bool = False,
) -> int:
    """Send a task to an agent and print its answer.

    Parameters
    ----------
    address
        The agent's MXP address, IP:PORT.
    task
        What to ask the agent.
    stream
        Print text as it arrives, then the tool steps and the final output.
    timeout
        Seconds to wait for the whole answer.
    json
        Print the raw CallResponse as JSON instead.
    """
    from mxp_agents.cli._call_cmd import call_command

    return call_command(address, task, stream=stream, timeout=timeout, as_json=json)


@app.command(name="agents")
@_command
def _agents(
    *,
    registry: str = DEFAULT_REGISTRY,
    capability: str = "*",
    timeout: float = 5.0,
    json: bool = False,
) -> int:
    """List the agents a registry knows (id, name, capabilities, address, status, heartbeat).

    Parameters
    ----------
    registry
        The registry's address, IP:PORT.
    capability
        Only agents with this capability ('*': every agent).
    timeout
        Seconds to wait for the registry's reply.
    json
        Print the agent records as JSON instead of a table.
    """
    from mxp_agents.cli._agents_cmd import list_agents

    return list_agents(registry, capability, timeout=timeout, as_json=json)


@app.command(name="demo")
@_command
def _demo(*, model: str = "auto", workdir: str | None = None) -> int:
    """Run a registry and two agents in one process, delegate a task, print the trace.

    Parameters
    ----------
    model
        'auto' (the configured model; with no API key, the local SmolLM2 model), 'scripted'
        (no LLM), or an entry point 'module:attribute' naming a model adapter. A real model
        is served over MXP by a third agent that both agents call.
    workdir
        Folder for the sample file the worker reads (default: a new temporary folder).
    """
    from mxp_agents.cli._demo_cmd import run_demo

    return run_demo(model=model, workdir=workdir)


app.command("mxp_agents.cli._audit:audit_app", name="audit")

app.command(
    "mxp_agents.cli._approvals:approvals",
    name="approvals",
    help="List, show, approve and deny the escalated actions agents wait on.",
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); the exit status.

    Example:
        >>> main(["--version"])
        0.1.0
        0
    """
    logging.captureWarnings(True)
    try:
        result = app.meta(argv, exit_on_error=False)
    except CycloptsError:
        return 2  # cyclopts printed the problem on stderr
    return result if isinstance(result, int) else 0

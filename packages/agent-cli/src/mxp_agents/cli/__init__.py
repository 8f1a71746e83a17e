"""The ``mxp-agents`` command line of MXP Agents for Python.

Commands: ``registry`` (run an MXP registry), ``run`` (serve an agent from an entry point or a
TOML spec), ``call`` (send an agent a task, streaming its answer), ``agents`` (list what a
registry knows) and ``demo`` (a registry, a worker with real tools and a delegating coordinator
in one process, with the trace printed as a tree). The tools the CLI ships are public in
`mxp_agents.cli.tools`.

Example:
    >>> from mxp_agents.cli import main
    >>> main(["--version"])
    0.1.0
    0
"""

from typing import TYPE_CHECKING

from mxp_agents.cli._app import main

if TYPE_CHECKING:
    from mxp_agents.cli._errors import (
        CliError,
        CommandFailed,
        SpecError,
        ToolInputError,
        UsageError,
    )

__version__ = "0.2.0"

__all__ = ["CliError", "CommandFailed", "SpecError", "ToolInputError", "UsageError", "main"]

_ERRORS = frozenset(__all__) - {"main"}


def __getattr__(name: str) -> object:
    """The error classes, imported on first use (keeps ``mxp-agents --help`` fast)."""
    if name in _ERRORS:
        from mxp_agents.cli import _errors

        return getattr(_errors, name)
    raise AttributeError(f"module 'mxp_agents.cli' has no attribute {name!r}")

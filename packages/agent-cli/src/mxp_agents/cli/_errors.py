"""Errors of ``mxp_agents.cli``, each with the exit status the command line returns for it."""

from __future__ import annotations

from typing import ClassVar

from mxp_agents.primitives import MxpAgentsError

__all__ = ["CliError", "CommandFailed", "SpecError", "ToolInputError", "UsageError"]


class CliError(MxpAgentsError):
    """Base class of the errors of ``mxp_agents.cli``; ``exit_code`` is the process status.

    Example:
        >>> CliError("boom").exit_code
        1
    """

    exit_code: ClassVar[int] = 1


class CommandFailed(CliError):
    """The command ran but its operation failed (no reply, a failed call, a demo check).

    Example:
        >>> CommandFailed("no reply from 127.0.0.1:9").exit_code
        1
    """


class UsageError(CliError):
    """A command-line value that cannot be used (a bad address, a negative timeout).

    Example:
        >>> UsageError("--timeout must be > 0").exit_code
        2
    """

    exit_code: ClassVar[int] = 2


class SpecError(UsageError):
    """An agent spec that cannot be loaded: bad TOML, an unknown entry point, a bad value.

    The message names the file (or entry point) and the path of the value.

    Example:
        >>> str(SpecError("unknown key 'nme' - at $.agent.nme (from file /a/agent.toml)"))
        "unknown key 'nme' - at $.agent.nme (from file /a/agent.toml)"
    """


class ToolInputError(CliError, ValueError):
    """A tool of the CLI refused its input (an unsafe expression, a path escaping its folder).

    Raised inside the tool; the agent's tool executor hands the message back to the model.

    Example:
        >>> isinstance(ToolInputError("division by zero"), ValueError)
        True
    """

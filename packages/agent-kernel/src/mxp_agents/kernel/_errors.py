"""Errors of ``mxp_agents.kernel``.

Shared module: both parts of the kernel (the agent loop and the runtime) derive their errors from
`KernelError` here. Add new error classes below, each with a docstring and an example.
"""

from __future__ import annotations

from mxp_agents.primitives import MxpAgentsError

__all__ = ["AgentConfigError", "KernelError", "RunInputError"]


class KernelError(MxpAgentsError):
    """Base class of every error raised by ``mxp_agents.kernel``.

    Example:
        >>> issubclass(KernelError, MxpAgentsError)
        True
    """


class AgentConfigError(KernelError, ValueError):
    """An `Agent` or `RunLimits` argument that cannot work; the message names it and the fix.

    Example:
        >>> RunLimits(max_steps=0)
        Traceback (most recent call last):
        ...
        mxp_agents.kernel._errors.AgentConfigError: max_steps must be an int >= 1, got 0 ...
    """


class RunInputError(KernelError, ValueError):
    """A task, history or option given to `Agent.run` that the agent cannot run.

    Raised before the first model call; nothing has run.

    Example:
        >>> await agent.run("")  # doctest: +SKIP
        Traceback (most recent call last):
        ...
        mxp_agents.kernel._errors.RunInputError: the task is empty; pass the text to work on
    """

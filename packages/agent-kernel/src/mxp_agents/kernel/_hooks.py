"""`AgentHooks`: the lifecycle hooks a `Kernel` calls, with do-nothing defaults."""

from __future__ import annotations

from typing import TYPE_CHECKING

import trio

if TYPE_CHECKING:
    import mxp
    from mxp.transport import Address
    from mxp_agents.kernel._kernel import Kernel

__all__ = ["AgentHooks"]


class AgentHooks:
    """Hooks of a running `Kernel`; subclass and override the ones you need.

    - ``on_bootstrap``: once, after Boot (state Ready), before registering and activating.
      An exception aborts the start (the kernel goes to Terminated and re-raises).
    - ``on_message``: for every Call the kernel accepts, before it is scheduled, in the task
      that handles it. An exception refuses the call: the caller gets an Error with code
      ``rejected`` and the exception's text.
    - ``on_tick``: every ``KernelConfig.tick_interval`` seconds while the agent is Active
      (not while Suspended). An exception is logged and the ticks go on.
    - ``on_shutdown``: once, after the in-flight work was drained, before Terminate; it runs
      shielded from cancellation, bounded by ``KernelConfig.drain_timeout``.

    Example:
        >>> class Counting(AgentHooks):
        ...     def __init__(self) -> None:
        ...         self.calls = 0
        ...     async def on_message(self, kernel, message, peer) -> None:
        ...         self.calls += 1
        >>> kernel = Kernel(agent, hooks=Counting())  # doctest: +SKIP
    """

    async def on_bootstrap(self, kernel: Kernel) -> None:
        """Called once the kernel booted (state Ready, endpoint bound).

        Example:
            >>> async def on_bootstrap(self, kernel):
            ...     print("listening on", kernel.address)
        """
        await trio.lowlevel.checkpoint()

    async def on_message(self, kernel: Kernel, message: mxp.Message, peer: Address) -> None:
        """Called for each accepted Call; raise to refuse it (Error code ``rejected``).

        Example:
            >>> async def on_message(self, kernel, message, peer):
            ...     if peer[0] != "127.0.0.1":
            ...         raise PermissionError("local callers only")
        """
        await trio.lowlevel.checkpoint()

    async def on_tick(self, kernel: Kernel) -> None:
        """Called periodically while Active (``KernelConfig.tick_interval``).

        Example:
            >>> async def on_tick(self, kernel):
            ...     await refresh_cache()
        """
        await trio.lowlevel.checkpoint()

    async def on_shutdown(self, kernel: Kernel) -> None:
        """Called once after draining, before the kernel terminates.

        Example:
            >>> async def on_shutdown(self, kernel):
            ...     await flush_metrics()
        """
        await trio.lowlevel.checkpoint()

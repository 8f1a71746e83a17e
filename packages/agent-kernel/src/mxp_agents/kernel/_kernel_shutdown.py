"""The end of a kernel's graceful shutdown, once it retired: drain the admitted work, wait for
the last replies to leave, run ``on_shutdown``, Terminate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import trio

from mxp_agents.kernel._errors import KernelError
from mxp_agents.kernel._lifecycle import AgentState, LifecycleEvent

if TYPE_CHECKING:
    from mxp.transport import Endpoint
    from mxp_agents.kernel._call_handler import CallHandler
    from mxp_agents.kernel._kernel import Kernel

__all__ = ["REPLY_GRACE", "drain_and_terminate"]

REPLY_GRACE: Final = 5.0
"""Seconds for cancelled work to unwind and for the last replies to leave the endpoint."""
_POLL: Final = 0.005  # seconds between looks at the endpoint's handlers


async def drain_and_terminate(kernel: Kernel, handler: CallHandler, endpoint: Endpoint) -> None:
    """Finish the shutdown of a retired ``kernel``; shielded from cancellation and bounded.

    The admitted calls drain within ``drain_timeout`` (then the rest is cancelled, each still
    answered), the endpoint sends the last replies, ``on_shutdown`` runs (bounded by
    ``drain_timeout``), and the lifecycle Terminates.

    Raises:
        KernelError: ``on_shutdown`` raised (after the kernel terminated).

    Example:
        >>> await drain_and_terminate(kernel, handler, endpoint)  # doctest: +SKIP
    """
    drain = kernel.config.drain_timeout
    hook_error: Exception | None = None
    with trio.move_on_after(2 * drain + 2 * REPLY_GRACE, shield=True):
        await kernel.scheduler.drain(drain, cancel_grace=REPLY_GRACE)
        with trio.move_on_after(REPLY_GRACE):
            await handler.wait_idle()
            await _replies_sent(endpoint)
        try:
            with trio.move_on_after(drain):
                await kernel.hooks.on_shutdown(kernel)
        except Exception as error:
            hook_error = error
    lifecycle = kernel.lifecycle
    retiring = lifecycle.state is AgentState.RETIRING
    lifecycle.transition(LifecycleEvent.TERMINATE if retiring else LifecycleEvent.ABORT)
    if hook_error is not None:
        raise KernelError(
            f"on_shutdown of agent {kernel.name!r} failed: {hook_error}"
        ) from hook_error


async def _replies_sent(endpoint: Endpoint) -> None:
    """Wait until the endpoint has no handler running nor queued: the replies are out."""
    while True:
        metrics = endpoint.metrics()
        if not metrics.handlers_running and not metrics.queued:
            return
        await trio.sleep(_POLL)

"""`ServedKernel`: what `ModelServer` and `MemoryServer` share - a service hosted by a `Kernel`,
run like it (``running()``, ``serve``), with its id, state, endpoint and address."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Final, Generic, NoReturn, Self, TypeVar

import trio

from mxp_agents.kernel._kernel import Kernel

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator
    from contextlib import AbstractAsyncContextManager

    from opentelemetry.trace import TracerProvider

    from mxp.transport import Address, Endpoint
    from mxp_agents.kernel._call_service import CallService
    from mxp_agents.kernel._config import KernelConfig
    from mxp_agents.kernel._lifecycle import AgentState

__all__ = ["ServedKernel"]

_S = TypeVar("_S")
_IGNORED: Final[trio.TaskStatus[Any]] = trio.TASK_STATUS_IGNORED


class ServedKernel:
    """A service on the mesh, hosted by its own `Kernel` (lifecycle, scheduler, registration):
    the base of `ModelServer` (`serve_model`) and `MemoryServer` (`serve_memory`).

    Example:
        >>> async with serve_model(model).running() as server:
        ...     print(server.state, server.in_flight)
        AgentState.READY 0
    """

    def __init__(
        self,
        service: CallService[Any],
        *,
        config: KernelConfig,
        tracer_provider: TracerProvider | None,
    ) -> None:
        self.kernel: Final = Kernel(service, config=config, tracer_provider=tracer_provider)
        """The kernel hosting the service (lifecycle, scheduler, registration)."""

    @property
    def agent_id(self) -> str:
        """The server's agent id as text.

        Example:
            >>> server.agent_id  # doctest: +SKIP
            '5f0c6a8e-...'
        """
        return self.kernel.agent_id

    @property
    def state(self) -> AgentState:
        """The lifecycle state.

        Example:
            >>> serve_model(model).state
            <AgentState.INIT: 'Init'>
        """
        return self.kernel.state

    @property
    def endpoint(self) -> Endpoint:
        """The MXP endpoint while running (`KernelError` otherwise).

        Example:
            >>> server.endpoint.local_address  # doctest: +SKIP
            ('127.0.0.1', 54321)
        """
        return self.kernel.endpoint

    @property
    def address(self) -> Address:
        """The bound ``(host, port)`` while running.

        Example:
            >>> server.address  # doctest: +SKIP
            ('127.0.0.1', 54321)
        """
        return self.kernel.address

    @property
    def in_flight(self) -> int:
        """Calls accepted and not answered yet.

        Example:
            >>> server.in_flight
            0
        """
        return self.kernel.in_flight

    def running(self) -> AbstractAsyncContextManager[Self]:
        """Serve for the block, as `Kernel.running` does (registration, graceful drain). What
        the service serves (a model, a store, a journal) is the caller's: not closed on exit.

        Example:
            >>> async with serve_memory(vectors=store).running() as server:
            ...     await trio.sleep_forever()
        """
        return self._running()

    async def serve(self, *, task_status: trio.TaskStatus[Self] = _IGNORED) -> NoReturn:
        """Serve until cancelled, then stop gracefully (see `Kernel.serve`).

        Example:
            >>> async with trio.open_nursery() as nursery:
            ...     server = await nursery.start(serve_model(model).serve)
            ...     nursery.cancel_scope.cancel()
        """
        await self.kernel.serve(task_status=_Reporting(task_status, self))

    @asynccontextmanager
    async def _running(self) -> AsyncGenerator[Self]:
        async with self.kernel.running():
            yield self


class _Reporting(Generic[_S]):
    """The ``task_status`` given to the kernel: reports the server instead of the kernel."""

    def __init__(self, status: trio.TaskStatus[_S], server: _S) -> None:
        self._status = status
        self._server = server

    def started(self, value: object = None) -> None:
        self._status.started(self._server)

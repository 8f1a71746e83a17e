"""`Kernel`: runs one agent on the MXP mesh - its endpoint, lifecycle, registration, scheduler,
Call handling, ticks and graceful shutdown. What answers the Calls is a `CallService`: the
agent's (`AgentService`) or another one, such as a served model (`serve_model`).

Start: bind the endpoint, Boot (Ready, ``on_bootstrap``), register with the registry if one is
configured (heartbeats follow), Activate (Active). Stop: Retire (new Calls are refused), the
registration is withdrawn once, the admitted work drains within ``drain_timeout`` and what is
left is cancelled (each such call still gets an Error), ``on_shutdown``, Terminate.
"""

from __future__ import annotations

import contextvars
import logging
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import TYPE_CHECKING, Any, Final, NoReturn

import trio

from mxp import MessageType
from mxp.transport import Endpoint
from mxp_agents.kernel._agent import Agent
from mxp_agents.kernel._call_handler import CallHandler
from mxp_agents.kernel._call_service import AgentService
from mxp_agents.kernel._config import KernelConfig
from mxp_agents.kernel._errors import KernelError
from mxp_agents.kernel._hooks import AgentHooks
from mxp_agents.kernel._kernel_registry import registration_for, stay_registered
from mxp_agents.kernel._kernel_shutdown import drain_and_terminate
from mxp_agents.kernel._kernel_telemetry import KernelTelemetry
from mxp_agents.kernel._lifecycle import AgentState, Lifecycle, LifecycleEvent
from mxp_agents.kernel._scheduler import Scheduler

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from opentelemetry.trace import TracerProvider

    import mxp
    from mxp.registry import RegistrationStatus
    from mxp.transport import Address, HandlerResult
    from mxp_agents.kernel._call_service import CallService

__all__ = ["Kernel", "current_kernel"]

logger: Final = logging.getLogger("mxp_agents.kernel")
_CURRENT: Final = contextvars.ContextVar["Kernel | None"]("mxp_agents_kernel", default=None)


def current_kernel() -> Kernel | None:
    """The `Kernel` whose Call is being handled in this task (None outside one).

    Example:
        >>> @tool
        ... async def where_am_i() -> str:
        ...     kernel = current_kernel()
        ...     return "standalone" if kernel is None else kernel.name
    """
    return _CURRENT.get()


class Kernel:
    """Runs ``agent`` as an MXP node: ``async with kernel.running() as k`` (or `serve`).

    ``agent`` is an `Agent`, or any `CallService` (what answers the Calls; `serve_model`
    builds one for a model). Capabilities advertised to the registry are
    ``config.capabilities``, else the service's (an agent's granted ones). A kernel runs once
    (its lifecycle ends in Terminated).

    Example:
        >>> kernel = Kernel(agent, config=KernelConfig(registry="127.0.0.1:50051"))
        >>> async with kernel.running() as k:
        ...     print(k.state, k.address)
        ...     response = await call_agent(client_endpoint, k.address, "add 2 and 3")
        AgentState.ACTIVE ('127.0.0.1', 54321)
    """

    def __init__(
        self,
        agent: Agent[Any] | CallService[Any],
        *,
        config: KernelConfig | None = None,
        hooks: AgentHooks | None = None,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        service: CallService[Any] = AgentService(agent) if isinstance(agent, Agent) else agent
        self.service: Final = service
        """What answers the Calls (an `AgentService` for an agent)."""
        self.config: Final = config if config is not None else KernelConfig()
        self.hooks: Final = hooks if hooks is not None else AgentHooks()
        self.lifecycle: Final = Lifecycle(service.id)
        self.scheduler: Final = Scheduler(
            max_concurrency=self.config.max_concurrency,
            queue_size=self.config.queue_size,
            weights=self.config.weights,
            retry_after_ms=self.config.retry_after_ms,
        )
        self.registration: RegistrationStatus | None = None
        """The registry client's live status while registered (None without a registry)."""
        self._telemetry = KernelTelemetry(tracer_provider)
        self._endpoint: Endpoint | None = None
        self._nursery: trio.Nursery | None = None
        self._ticks = trio.CancelScope()
        self._handler = CallHandler(
            kernel=self,
            service=service,
            config=self.config,
            scheduler=self.scheduler,
            hooks=self.hooks,
            telemetry=self._telemetry,
            state=lambda: self.lifecycle.state,
            spawn=self._spawn,
        )

    # -- properties --------------------------------------------------------------------------

    @property
    def agent(self) -> Agent[Any]:
        """The agent the kernel runs.

        Raises:
            KernelError: the kernel hosts another `CallService` (see `service`).

        Example:
            >>> Kernel(agent).agent is agent
            True
        """
        service = self.service
        if isinstance(service, AgentService):
            return service.agent
        raise KernelError(
            f"kernel {self.name!r} serves a {type(service).__name__}, not an Agent; "
            "use kernel.service"
        )

    @property
    def agent_id(self) -> str:
        """The agent's id as text (its registry id).

        Example:
            >>> kernel.agent_id  # doctest: +SKIP
            '5f0c6a8e-...'
        """
        return self.lifecycle.agent_id

    @property
    def name(self) -> str:
        """The agent's (the service's) name.

        Example:
            >>> kernel.name  # doctest: +SKIP
            'worker'
        """
        return self.service.name

    @property
    def state(self) -> AgentState:
        """The lifecycle state.

        Example:
            >>> kernel.state
            <AgentState.INIT: 'Init'>
        """
        return self.lifecycle.state

    @property
    def capabilities(self) -> tuple[str, ...]:
        """The capability ids advertised to the registry.

        Example:
            >>> Kernel(agent, config=KernelConfig(capabilities=("math.add",))).capabilities
            ('math.add',)
        """
        configured = self.config.capabilities
        if configured is not None:
            return configured
        return self.service.capabilities()

    @property
    def endpoint(self) -> Endpoint:
        """The MXP endpoint while running.

        Raises:
            KernelError: the kernel is not running.

        Example:
            >>> async with kernel.running() as k:
            ...     await call_agent(k.endpoint, peer_address, "hi")  # doctest: +SKIP
        """
        if self._endpoint is None:
            raise KernelError(
                f"kernel of agent {self.name!r} is not running; use it inside "
                "'async with kernel.running()'"
            )
        return self._endpoint

    @property
    def address(self) -> Address:
        """The bound ``(host, port)`` while running.

        Example:
            >>> async with kernel.running() as k:
            ...     k.address
            ('127.0.0.1', 54321)
        """
        return self.endpoint.local_address

    @property
    def in_flight(self) -> int:
        """Calls accepted and not answered yet.

        Example:
            >>> kernel.in_flight
            0
        """
        return self._handler.in_flight

    # -- control -----------------------------------------------------------------------------

    async def suspend(self) -> None:
        """Active -> Suspended: new Calls get an Error ``suspended`` with a retry hint.

        Running work continues; ticks pause; the registration stays.

        Raises:
            InvalidTransition: the agent is not Active.

        Example:
            >>> await k.suspend()
            >>> k.state
            <AgentState.SUSPENDED: 'Suspended'>
        """
        self.lifecycle.transition(LifecycleEvent.SUSPEND)
        await trio.lowlevel.checkpoint()

    async def resume(self) -> None:
        """Suspended -> Active.

        Raises:
            InvalidTransition: the agent is not Suspended.

        Example:
            >>> await k.resume()
        """
        self.lifecycle.transition(LifecycleEvent.RESUME)
        await trio.lowlevel.checkpoint()

    def running(self) -> AbstractAsyncContextManager[Kernel]:
        """Start the kernel for the block; leaving it shuts down gracefully (see the module).

        Cancelling the block from outside cancels the endpoint with it, so in-flight calls
        cannot be answered over the network then; `serve` turns cancellation into a graceful
        stop.

        Raises:
            KernelError: the kernel already ran, or registration failed.
            Exception: what ``on_bootstrap`` raised (the kernel aborted).

        Example:
            >>> async with Kernel(agent).running() as k:
            ...     await trio.sleep_forever()
        """
        return self._lifetime()

    async def serve(
        self, *, task_status: trio.TaskStatus[Kernel] = trio.TASK_STATUS_IGNORED
    ) -> NoReturn:
        """Run until cancelled, then stop gracefully; reports the kernel through ``task_status``.

        Unlike an ``async with kernel.running()`` block that is cancelled (which cancels the
        endpoint with it), the cancellation here starts the graceful shutdown: in-flight calls
        are drained and answered and the registration is withdrawn, within the shutdown's
        bounds. A cancellation during the start aborts the start.

        Example:
            >>> async with trio.open_nursery() as nursery:
            ...     kernel = await nursery.start(Kernel(agent).serve)
            ...     print(kernel.address)
            ...     nursery.cancel_scope.cancel()  # graceful stop
        """
        ready = trio.Event()
        stop = trio.Event()
        shield = trio.CancelScope(shield=True)

        async def run() -> None:
            with shield:
                async with self.running():
                    ready.set()
                    await stop.wait()

        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(run)
                try:
                    await ready.wait()
                    task_status.started(self)
                    await trio.sleep_forever()
                finally:
                    stop.set()
                    if not ready.is_set():
                        shield.cancel()  # still starting: abort the start
        except BaseExceptionGroup as group:  # give the caller the start's own error
            if len(group.exceptions) == 1:
                raise group.exceptions[0] from None
            raise
        raise KernelError(f"kernel of agent {self.name!r} stopped without being cancelled")

    # -- lifetime ----------------------------------------------------------------------------

    @asynccontextmanager
    async def _lifetime(self) -> AsyncGenerator[Kernel]:
        if self.state is not AgentState.INIT:
            raise KernelError(
                f"kernel of agent {self.name!r} already ran (state {self.state.value}); "
                "create a new Kernel to run the agent again"
            )
        config = self.config
        body_error: BaseException | None = None
        failure: BaseException | None = None
        async with Endpoint.bind(config.host, config.port, config.endpoint_config()) as endpoint:
            self._endpoint = endpoint
            try:
                async with trio.open_nursery() as nursery:
                    self._nursery = nursery
                    started = False
                    try:
                        self.lifecycle.transition(LifecycleEvent.BOOT)
                        await self.hooks.on_bootstrap(self)
                        endpoint.set_handler(MessageType.CALL, self._handle)
                        async with self._registered(endpoint):
                            self.lifecycle.transition(LifecycleEvent.ACTIVATE)
                            started = True
                            if config.tick_interval is not None:
                                nursery.start_soon(self._tick_loop, config.tick_interval)
                            try:
                                yield self
                            except BaseException as error:  # re-raised below, outside the nursery
                                body_error = error
                            finally:
                                self._retire()
                    except BaseException as error:  # a failed start: re-raised below, as is
                        failure = error
                    finally:
                        try:
                            await self._shutdown(started)
                        except KernelError as error:  # on_shutdown failed
                            failure = failure if failure is not None else error
                        nursery.cancel_scope.cancel()
            finally:
                self._nursery = None
                self._endpoint = None
        if body_error is not None:
            raise body_error
        if failure is not None:
            raise failure

    def _registered(self, endpoint: Endpoint) -> AbstractAsyncContextManager[object]:
        config = self.config
        registry = config.registry
        if registry is None:
            return nullcontext()
        registration = registration_for(
            config, endpoint, agent_id=self.agent_id, name=self.name, capabilities=self.capabilities
        )
        return stay_registered(
            config,
            registry,
            endpoint,
            registration,
            on_status=self._set_status,
            before_leaving=self._retire,
        )

    def _set_status(self, status: RegistrationStatus) -> None:
        self.registration = status

    async def _handle(self, message: mxp.Message, peer: Address) -> HandlerResult:
        _CURRENT.set(self)
        return await self._handler.handle(message, peer)

    def _spawn(self, fn: Any, *args: Any) -> None:
        nursery = self._nursery
        if nursery is None:
            raise KernelError(f"kernel of agent {self.name!r} is not running")
        nursery.start_soon(fn, *args)

    async def _tick_loop(self, interval: float) -> None:
        with self._ticks:
            while True:
                await trio.sleep(interval)
                if self.state is not AgentState.ACTIVE:
                    continue
                try:
                    await self.hooks.on_tick(self)
                except Exception:
                    logger.exception("on_tick of agent %s failed; ticks go on", self.name)

    def _retire(self) -> None:
        if self.lifecycle.allows(LifecycleEvent.RETIRE) and self.state is not AgentState.TERMINATED:
            self.lifecycle.transition(LifecycleEvent.RETIRE)
        self._ticks.cancel()
        self.scheduler.close()

    async def _shutdown(self, started: bool) -> None:
        """Retire, drain and Terminate; Abort a start that failed (nothing was accepted)."""
        if not started:
            self._ticks.cancel()
            self.scheduler.close()
            self.lifecycle.transition(LifecycleEvent.ABORT)
            return
        self._retire()
        await drain_and_terminate(self, self._handler, self.endpoint)

"""Serving a model over MXP: `serve_model` puts any `ModelAdapter` on the mesh as a model agent
(a `Kernel` hosting a `ModelService`), for `MxpModel` to call.

The wire format is in `mxp_agents.kernel._model_wire` and docs/protocol.md ("Model calls").
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Final, NoReturn

import msgspec
import trio

from mxp_agents.adapters import ModelAdapter
from mxp_agents.kernel._config import KernelConfig, KernelConfigError
from mxp_agents.kernel._kernel import Kernel
from mxp_agents.kernel._model_service import ModelService
from mxp_agents.kernel._model_wire import model_capability
from mxp_agents.primitives import InvalidCapabilityId, parse_capability_id

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator
    from contextlib import AbstractAsyncContextManager

    from opentelemetry.trace import TracerProvider

    from mxp.transport import Address, Endpoint
    from mxp_agents.kernel._lifecycle import AgentState
    from mxp_agents.primitives import CapabilityId

__all__ = ["ModelServer", "serve_model"]


class ModelServer:
    """A model served over MXP: runs like a `Kernel` (build it with `serve_model`).

    Example:
        >>> async with serve_model(model).running() as server:
        ...     print(server.address, server.capability)
        ('127.0.0.1', 54321) model.openai.gpt-4o-mini
    """

    def __init__(
        self,
        adapter: ModelAdapter,
        *,
        config: KernelConfig | None = None,
        name: str | None = None,
        capability: str | None = None,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        if not isinstance(adapter, ModelAdapter):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise KernelConfigError(
                "serve_model: expected a ModelAdapter (provider, model_name, stream, complete), "
                f"got {type(adapter).__name__}"
            )
        if capability is None:
            checked = model_capability(adapter.provider, adapter.model_name)
        else:
            checked = _capability(capability)
        config = config if config is not None else KernelConfig()
        if config.capabilities is not None and checked not in config.capabilities:
            config = msgspec.structs.replace(config, capabilities=(checked, *config.capabilities))
        if name is not None and (not isinstance(name, str) or not name.strip()):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise KernelConfigError(f"serve_model: name must be a non-blank str, got {name!r}")
        self.service: Final = ModelService(
            adapter, name=name if name is not None else checked, capability=checked
        )
        self.kernel: Final = Kernel(self.service, config=config, tracer_provider=tracer_provider)
        """The kernel hosting the model (lifecycle, scheduler, registration)."""

    @property
    def adapter(self) -> ModelAdapter:
        """The model served.

        Example:
            >>> serve_model(model).adapter is model
            True
        """
        return self.service.adapter

    @property
    def capability(self) -> CapabilityId:
        """The capability advertised (``model.<provider>.<model>`` unless given).

        Example:
            >>> serve_model(FunctionModel(str)).capability
            'model.function.function'
        """
        return self.service.capability

    @property
    def name(self) -> str:
        """The registered name (the capability unless given).

        Example:
            >>> serve_model(model, name="gpu-1").name
            'gpu-1'
        """
        return self.service.name

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
        """Model calls accepted and not answered yet.

        Example:
            >>> server.in_flight
            0
        """
        return self.kernel.in_flight

    def running(self) -> AbstractAsyncContextManager[ModelServer]:
        """Serve for the block, as `Kernel.running` does (registration, graceful drain).

        Example:
            >>> async with serve_model(model).running() as server:
            ...     await trio.sleep_forever()
        """
        return self._running()

    async def serve(
        self, *, task_status: trio.TaskStatus[ModelServer] = trio.TASK_STATUS_IGNORED
    ) -> NoReturn:
        """Serve until cancelled, then stop gracefully (see `Kernel.serve`).

        Example:
            >>> async with trio.open_nursery() as nursery:
            ...     server = await nursery.start(serve_model(model).serve)
            ...     nursery.cancel_scope.cancel()
        """
        await self.kernel.serve(task_status=_Reporting(task_status, self))

    @asynccontextmanager
    async def _running(self) -> AsyncGenerator[ModelServer]:
        async with self.kernel.running():
            yield self

    def __repr__(self) -> str:
        return f"ModelServer({self.capability!r}, state={self.state.value})"


class _Reporting:
    """The ``task_status`` given to the kernel: reports the server instead of the kernel."""

    def __init__(self, status: trio.TaskStatus[ModelServer], server: ModelServer) -> None:
        self._status = status
        self._server = server

    def started(self, value: object = None) -> None:
        self._status.started(self._server)


def serve_model(
    adapter: ModelAdapter,
    *,
    config: KernelConfig | None = None,
    name: str | None = None,
    capability: str | None = None,
    tracer_provider: TracerProvider | None = None,
) -> ModelServer:
    """Expose ``adapter`` as an MXP model agent, for `MxpModel` to call.

    ``capability`` (default ``model.<provider>.<model>``, see `model_capability`) is
    advertised to ``config.registry`` when set, with any ``config.capabilities``; ``name``
    (default: the capability) is the registered name. Concurrency, queueing, deadlines and
    shutdown are the kernel's (``config.max_concurrency``, ``queue_size``, ...).

    Raises:
        KernelConfigError: not a ModelAdapter, a bad capability or name.

    Example:
        >>> server = serve_model(OpenAIModel("gpt-4o-mini"),
        ...                      config=KernelConfig(registry="127.0.0.1:50051"))
        >>> async with server.running():
        ...     await trio.sleep_forever()
    """
    return ModelServer(
        adapter, config=config, name=name, capability=capability, tracer_provider=tracer_provider
    )


def _capability(text: str) -> CapabilityId:
    try:
        return parse_capability_id(text)
    except InvalidCapabilityId as error:
        raise KernelConfigError(f"serve_model: capability: {error}") from None

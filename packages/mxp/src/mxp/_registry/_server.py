"""`RegistryServer`: the embedded registry on an MXP `Endpoint`."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Final, NoReturn

import trio

from mxp._registry._protocol import REGISTRY_TYPES, handle_message
from mxp._registry._store import RegistryStore
from mxp.bodies import utc_now
from mxp.transport import Endpoint, EndpointConfig

if TYPE_CHECKING:
    import datetime as _dt
    from collections.abc import AsyncGenerator, Callable

    from mxp._message import Message
    from mxp._registry._config import RegistryConfig
    from mxp.bodies import AgentRecord
    from mxp.transport import Address


class RegistryServer:
    """An in-memory MXP registry answering AgentRegister, AgentDiscover and AgentHeartbeat.

    Either open one on its own socket with `RegistryServer.open` (an async context manager that
    serves until the block exits), or wrap an `Endpoint` you own and run `serve` in your
    nursery. `discover` semantics: exact capability match (``"*"`` matches all), Online and
    Degraded agents only; `list_agents` also returns Offline ones until they are evicted.

    Example:
        >>> async with RegistryServer.open("127.0.0.1", 0) as server:
        ...     print(server.address)
        ...     ...  # agents register with RegistryClient(endpoint, server.address)
        ('127.0.0.1', 54321)

        >>> async with Endpoint.bind("127.0.0.1", 50051) as endpoint:
        ...     server = RegistryServer(endpoint, RegistryConfig(max_agents=100))
        ...     await nursery.start(server.serve)
    """

    def __init__(
        self,
        endpoint: Endpoint,
        config: RegistryConfig | None = None,
        *,
        wall_clock: Callable[[], _dt.datetime] = utc_now,
    ) -> None:
        self.endpoint: Final = endpoint
        self.store: Final = RegistryStore(config, wall_clock=wall_clock)
        self.config: Final = self.store.config

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        config: RegistryConfig | None = None,
        endpoint_config: EndpointConfig | None = None,
        wall_clock: Callable[[], _dt.datetime] = utc_now,
    ) -> AsyncGenerator[RegistryServer]:
        """Bind ``host:port`` (port 0: any free port) and serve until the block exits.

        Example:
            >>> async with RegistryServer.open(port=50051) as server:
            ...     await trio.sleep_forever()
        """
        endpoint_config = endpoint_config if endpoint_config is not None else EndpointConfig()
        async with Endpoint.bind(host, port, config=endpoint_config) as endpoint:
            server = cls(endpoint, config, wall_clock=wall_clock)
            async with trio.open_nursery() as nursery:
                await nursery.start(server.serve)
                try:
                    yield server
                finally:
                    nursery.cancel_scope.cancel()

    @property
    def address(self) -> Address:
        """The ``(host, port)`` the registry listens on.

        Example:
            >>> server.address
            ('127.0.0.1', 50051)
        """
        return self.endpoint.local_address

    def install(self) -> None:
        """Install the registry's handlers on the endpoint (`serve` does it for you).

        Without `serve` nothing sweeps in the background; reads stay exact regardless.

        Example:
            >>> RegistryServer(endpoint).install()
        """
        for message_type in REGISTRY_TYPES:
            self.endpoint.set_handler(message_type, self._on_request)

    async def serve(
        self, *, task_status: trio.TaskStatus[Address] = trio.TASK_STATUS_IGNORED
    ) -> NoReturn:
        """Answer registry requests and sweep stale agents until cancelled.

        Reports the listening address through ``task_status`` once the handlers are installed.

        Example:
            >>> address = await nursery.start(server.serve)
        """
        self.install()
        task_status.started(self.address)
        interval = self.config.effective_sweep_interval
        while True:
            await trio.sleep(interval)
            self.store.sweep()

    def handle(self, request: Message) -> Message:
        """The reply to one registry request (no socket involved).

        Example:
            >>> server.handle(Message.new(MessageType.AGENT_DISCOVER, b'{"capability":"*"}')).type
            <MessageType.RESPONSE: 17>
        """
        return handle_message(self.store, request)

    def discover(self, capability: str) -> list[AgentRecord]:
        """Online and Degraded agents with ``capability`` (``"*"``: all), as a Discover returns.

        Example:
            >>> [agent.name for agent in server.discover("math.add")]
            ['math']
        """
        return self.store.discover(capability)

    def list_agents(self) -> list[AgentRecord]:
        """Every agent the registry holds, Offline ones included, until they are evicted.

        Example:
            >>> [(agent.name, agent.status.value) for agent in server.list_agents()]
            [('math', 'Online'), ('echo', 'Offline')]
        """
        return self.store.list_agents()

    async def _on_request(self, request: Message, source: Address) -> Message:
        return handle_message(self.store, request)

"""`MemoryClient`: what `MxpVectorStore` and `MxpJournal` share - the `MemoryLink` to the
service, opening once (``open``, ``async with``), the target and server, and the closed and
not-open errors."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar, Final, Self

from mxp_agents.kernel._memory_link import MemoryLink

if TYPE_CHECKING:
    from types import TracebackType

    from mxp.transport import Address, Endpoint
    from mxp_agents.kernel._memory_answers import MemoryInfo
    from mxp_agents.memory import AgentMemoryError

__all__ = ["MemoryClient"]


class MemoryClient(ABC):
    """A client of one memory service (`serve_memory`): `MxpVectorStore` or `MxpJournal`.

    A subclass names the capability it calls by default (``_example``), what it is called in
    messages (``_noun``), the error a call raises once it is closed (``_closed_error``), and
    takes what it needs from the service's `MemoryInfo` (``_adopt``).

    Example:
        >>> async with MxpJournal("127.0.0.1:7001", endpoint=endpoint) as journal:
        ...     journal.server
        ('127.0.0.1', 7001)
    """

    _example: ClassVar[str]
    _noun: ClassVar[str]
    _closed_error: ClassVar[type[AgentMemoryError]]

    def __init__(
        self,
        target: str | tuple[str, int],
        *,
        endpoint: Endpoint | None,
        registry: str | None,
        timeout: float,
        connect_timeout: float,
    ) -> None:
        self._link: Final = MemoryLink(
            target,
            endpoint=endpoint,
            registry=registry,
            timeout=timeout,
            connect_timeout=connect_timeout,
            example=self._example,
        )
        self._opened = False
        self._closed = False

    async def open(self) -> Self:
        """Ask the service what it serves (once); discovers the server for a capability.

        Raises:
            MemoryServiceError: unreachable, or the service does not serve what this client
                calls (code ``unsupported``: a journal for `MxpJournal`, a vector store for
                `MxpVectorStore`).

        Example:
            >>> journal = await MxpJournal("127.0.0.1:7001", endpoint=endpoint).open()
            >>> store = await MxpVectorStore("127.0.0.1:7002", endpoint=endpoint).open()
        """
        self._check_open()
        if not self._opened:
            self._adopt(await self._link.info())
            self._opened = True
        return self

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.aclose()

    @property
    def target(self) -> str:
        """The address (``"host:port"``) or capability the client calls.

        Example:
            >>> MxpJournal("memory.journal").target
            'memory.journal'
        """
        return self._link.target

    @property
    def server(self) -> Address | None:
        """The memory server in use (None before a capability is resolved).

        Example:
            >>> MxpVectorStore("127.0.0.1:7001").server
            ('127.0.0.1', 7001)
        """
        return self._link.server

    @abstractmethod
    async def aclose(self) -> None:
        """Stop using the client; the served store or journal stays open for its other clients.

        Example:
            >>> await journal.aclose()
        """

    @abstractmethod
    def _adopt(self, info: MemoryInfo) -> None:
        """Take what this client needs from the service's ``info`` (`MemoryServiceError`
        ``unsupported`` when the service does not serve it)."""

    def _check_open(self) -> None:
        if self._closed:
            raise self._closed_error(f"{type(self).__name__} {self.target!r} is closed")

    def _not_open_text(self, what: str) -> str:
        noun = self._noun
        return (
            f"{what} is known once the {noun} is open: `await {noun}.open()`, "
            f"`async with {noun}`, or `await {type(self).__name__}.connect(...)`"
        )

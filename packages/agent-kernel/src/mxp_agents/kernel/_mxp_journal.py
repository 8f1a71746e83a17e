"""`MxpJournal`: a `Journal` served by a memory agent over MXP (`serve_memory`), so another
agent can append to it, and read (and replay) the runs it holds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Self

import msgspec

from mxp_agents.kernel._memory_answers import Appended, Done
from mxp_agents.kernel._memory_client import MemoryClient
from mxp_agents.kernel._memory_errors import MemoryServiceError
from mxp_agents.kernel._memory_service import decode_record, encode_record
from mxp_agents.kernel._memory_wire import Append, Flush, Read, check_read
from mxp_agents.memory import Durability, JournalClosed, JournalEntry, MemoryRecord
from mxp_agents.primitives import kind_of

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator

    from mxp.transport import Endpoint
    from mxp_agents.kernel._memory_answers import MemoryInfo

__all__ = ["MxpJournal"]

_appended: Final = msgspec.json.Decoder(Appended)
_done: Final = msgspec.json.Decoder(Done)


class MxpJournal(MemoryClient):
    """The journal of a memory agent (`serve_memory`), used like any `Journal`.

    ``target`` is an address or a capability (``"memory.journal"``) discovered through the
    registry, as for `MxpVectorStore`. ``append`` returns once the served journal's append
    returned, so its `durability` (fetched by `open`) holds for the caller too; ``read``
    streams the entries as MXP Stream frames, a batch per frame, and raises the served
    journal's `JournalCorrupted` after the entries before the damage. ``timeout`` bounds each
    call and the wait for each batch. `aclose` flushes and stops this client only: the served
    journal stays open for its other clients.

    Example:
        >>> async with MxpJournal("memory.journal", endpoint=endpoint,
        ...                       registry="127.0.0.1:50051") as journal:
        ...     replay = [entry.record async for entry in journal.read(run_id="r-42")]
    """

    _example = "memory.journal"
    _noun = "journal"
    _closed_error = JournalClosed

    def __init__(
        self,
        target: str | tuple[str, int],
        *,
        endpoint: Endpoint | None = None,
        registry: str | None = None,
        timeout: float = 30.0,
        connect_timeout: float = 2.0,
    ) -> None:
        super().__init__(
            target,
            endpoint=endpoint,
            registry=registry,
            timeout=timeout,
            connect_timeout=connect_timeout,
        )
        self._durability: Durability | None = None

    @classmethod
    async def connect(
        cls,
        target: str | tuple[str, int],
        *,
        endpoint: Endpoint | None = None,
        registry: str | None = None,
        timeout: float = 30.0,  # noqa: ASYNC109 - a setting of the journal
        connect_timeout: float = 2.0,
    ) -> Self:
        """An opened journal (``durability`` known).

        Example:
            >>> journal = await MxpJournal.connect("127.0.0.1:7001", endpoint=endpoint)
            >>> journal.durability
            <Durability.BATCH: 'batch'>
        """
        journal = cls(
            target,
            endpoint=endpoint,
            registry=registry,
            timeout=timeout,
            connect_timeout=connect_timeout,
        )
        return await journal.open()

    def _adopt(self, info: MemoryInfo) -> None:
        if info.journal is None:
            raise MemoryServiceError(
                "unsupported",
                f"memory service {info.name!r} serves no journal (it serves a vector store: "
                "use MxpVectorStore)",
                self.target,
            )
        try:
            self._durability = Durability(info.journal.durability)
        except ValueError:
            raise MemoryServiceError(
                "protocol", f"unknown durability {info.journal.durability!r}", self.target
            ) from None

    @property
    def durability(self) -> Durability:
        """The served journal's durability (`JournalError` before `open`).

        Example:
            >>> (await MxpJournal.connect(address, endpoint=endpoint)).durability
            <Durability.BATCH: 'batch'>
        """
        if self._durability is None:
            raise MemoryServiceError("not_open", self._not_open_text("durability"), self.target)
        return self._durability

    async def append(self, record: MemoryRecord) -> int:
        """Append ``record`` to the served journal; its offset, once the served journal's
        append returned.

        Raises:
            InvalidRecord: not a MemoryRecord, or a value MessagePack cannot encode.

        Example:
            >>> await journal.append(MemoryRecord(MemoryChannel.INPUT, "hi", run_id="r1"))
            0
        """
        if not isinstance(record, MemoryRecord):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(f"append takes a MemoryRecord, got {kind_of(record)}")
        await self.open()
        body = Append(record=encode_record(record))
        return (await self._link.call(body, _appended)).offset

    def read(
        self,
        *,
        run_id: str | None = None,
        since: float | None = None,
        until: float | None = None,
        start: int = 0,
    ) -> AsyncIterator[JournalEntry]:
        """The served journal's entries from ``start`` on, in order, filtered as
        `Journal.read` does, streamed in batches.

        Raises:
            InvalidRecord: a bad argument (at once), naming it.
            JournalCorrupted: damage in the served journal, after the entries before it.

        Example:
            >>> [entry.offset async for entry in journal.read(run_id="r1")]
            [0, 3, 4]
        """
        check_read(run_id, since, until, start)
        self._check_open()
        return self._read(Read(run_id=run_id, since=since, until=until, start=start))

    async def _read(self, op: Read) -> AsyncGenerator[JournalEntry]:
        await self.open()
        async for batch in self._link.read(op):
            for entry in batch.entries:
                record = decode_record(entry.record, f"$.entries[{entry.offset}]")
                yield JournalEntry(entry.offset, record)

    async def flush(self) -> None:
        """Make every record appended to the served journal so far durable.

        Example:
            >>> await journal.flush()
        """
        await self.open()
        await self._link.call(Flush(), _done)

    async def aclose(self) -> None:
        """Flush (when open) and stop using the journal; later calls raise `JournalClosed`.
        The served journal stays open for its other clients.

        Example:
            >>> await journal.aclose()
        """
        if self._closed:
            return
        try:
            if self._durability is not None:
                await self._link.call(Flush(), _done)
        finally:
            self._closed = True

    def __repr__(self) -> str:
        return f"MxpJournal({self.target!r}, durability={self._durability})"

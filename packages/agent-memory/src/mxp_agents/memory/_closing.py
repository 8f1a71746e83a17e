"""`ClosesOnExit`: ``async with`` for a store or journal that is already open (`aclose` on
exit), shared by `FileJournal`, `PostgresJournal` and `EmbeddedVectorStore`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from types import TracebackType

__all__ = ["ClosesOnExit"]


class ClosesOnExit(ABC):
    """An open resource used as an async context manager: entering returns it as it is,
    leaving calls `aclose` (whatever ended the block).

    Example:
        >>> async with await FileJournal.open("journal") as journal:
        ...     await journal.append(MemoryRecord(MemoryChannel.INPUT, "hi"))
        0
    """

    @abstractmethod
    async def aclose(self) -> None:
        """Release the resource (idempotent).

        Example:
            >>> await journal.aclose()
        """

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

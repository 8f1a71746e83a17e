"""`BoundaryGate`: decides whether a record, or its text, may leave the agent."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import Literal, TypeAlias

import msgspec

from mxp_agents.memory._errors import AgentMemoryError, GateBlocked, InvalidRecord
from mxp_agents.memory._record import SENSITIVE, MemoryRecord
from mxp_agents.primitives import kind_of

__all__ = ["BoundaryGate", "Destination", "GateCheck"]


class Destination(msgspec.Struct, frozen=True):
    """Where a record would go: a hosted ``embedder``, a remote ``vector_store``, a ``peer``.

    Example:
        >>> str(Destination("embedder", "openai/text-embedding-3-small"))
        "embedder 'openai/text-embedding-3-small'"
    """

    kind: Literal["embedder", "vector_store", "peer"]
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name!r}"


GateCheck: TypeAlias = Callable[[MemoryRecord, Destination], bool | Awaitable[bool]]
"""A callback (sync or async) that returns True to let the record go to the destination."""


class BoundaryGate:
    """Asked before a record or its text leaves the agent; sensitive records never leave.

    A record carrying any of ``sensitive_tags`` (default: ``"sensitive"``) is blocked whatever
    ``check`` says; any other record goes when ``check`` returns True (no check: it goes). The
    policy engine plugs in as ``check``. An exception from ``check`` propagates (the record
    does not leave); a result that is not a bool is an error, never read as a yes.

    Example:
        >>> import trio
        >>> gate = BoundaryGate(lambda record, destination: destination.kind != "peer")
        >>> to_embedder = Destination("embedder", "openai")
        >>> record = MemoryRecord(MemoryChannel.INPUT, "my pin is 1234", tags=("sensitive",))
        >>> trio.run(gate.reason, record, to_embedder)
        "record is tagged 'sensitive'"
    """

    __slots__ = ("_check", "_sensitive")

    def __init__(
        self, check: GateCheck | None = None, *, sensitive_tags: Iterable[str] = (SENSITIVE,)
    ) -> None:
        if check is not None and not callable(check):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidRecord(f"check must be callable, got {kind_of(check)}", "$.check")
        if isinstance(sensitive_tags, str):
            raise InvalidRecord("sensitive_tags must be a collection of str, not a str")
        tags = frozenset(sensitive_tags)
        for tag in tags:
            if not isinstance(tag, str) or not tag.strip():  # pyright: ignore[reportUnnecessaryIsInstance]
                raise InvalidRecord(f"sensitive tags must be non-blank str, got {tag!r}")
        self._check = check
        self._sensitive = tags

    @property
    def sensitive_tags(self) -> frozenset[str]:
        """The tags that keep a record inside the agent.

        Example:
            >>> sorted(BoundaryGate().sensitive_tags)
            ['sensitive']
        """
        return self._sensitive

    async def reason(self, record: MemoryRecord, destination: Destination) -> str | None:
        """Why ``record`` may not go to ``destination``, or None when it may.

        Example:
            >>> await BoundaryGate().reason(record, destination)  # doctest: +SKIP
            None
        """
        for tag in record.tags:
            if tag in self._sensitive:
                return f"record is tagged {tag!r}"
        check = self._check
        if check is None:
            return None
        verdict = check(record, destination)
        if inspect.isawaitable(verdict):
            verdict = await verdict
        if verdict is True:
            return None
        if verdict is False:
            return "the gate check refused it"
        raise AgentMemoryError(
            f"the boundary gate check must return a bool, got {kind_of(verdict)}"
        )

    async def allows(self, record: MemoryRecord, destination: Destination) -> bool:
        """True when ``record`` may go to ``destination``.

        Example:
            >>> await BoundaryGate().allows(record, destination)  # doctest: +SKIP
            True
        """
        return await self.reason(record, destination) is None

    async def require(self, record: MemoryRecord, destination: Destination) -> None:
        """Return when ``record`` may go to ``destination``; raise `GateBlocked` otherwise.

        Example:
            >>> await BoundaryGate().require(sensitive_record, destination)  # doctest: +SKIP
            Traceback (most recent call last):
            GateBlocked: the boundary gate blocked sending to embedder 'openai': ...
        """
        why = await self.reason(record, destination)
        if why is not None:
            raise GateBlocked(f"record {record.id}: {why}", str(destination))

    def __repr__(self) -> str:
        check = "none" if self._check is None else getattr(self._check, "__name__", "callable")
        return f"BoundaryGate(check={check}, sensitive_tags={sorted(self._sensitive)})"

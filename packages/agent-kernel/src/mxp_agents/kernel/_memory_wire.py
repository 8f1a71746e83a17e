"""The wire form of memory calls over MXP (see `serve_memory`): the Call bodies, one msgspec
Struct per operation tagged by ``"op"`` (their answers are in
`mxp_agents.kernel._memory_answers`).

Vector points and queries travel as JSON (the `VectorPoint` / `VectorQuery` fields), each
vector as an array of numbers or compactly as ``{"f32": "<base64 of little-endian float32>"}``
(see `mxp_agents.kernel._vector_encoding`). Journal records travel as MessagePack (msgspec's
encoding of a `MemoryRecord`) in a JSON string (base64), so a ``bytes`` payload reads back as
``bytes``.
Errors are in `mxp_agents.kernel._memory_errors`; docs/protocol.md ("Memory calls") has it all.
"""

from __future__ import annotations

import math
from typing import Any, Final, TypeAlias, TypeVar

import msgspec

from mxp_agents.kernel._call_body import InvalidCallBody, PriorityName, decode_body
from mxp_agents.kernel._trace_context import trace_carrier
from mxp_agents.memory import InvalidRecord, VectorPoint, VectorQuery
from mxp_agents.primitives import kind_of

__all__ = [
    "Append",
    "Count",
    "Flush",
    "Info",
    "MemoryCall",
    "MemoryOp",
    "Query",
    "Read",
    "Remove",
    "Save",
    "Upsert",
    "check_read",
    "parse_memory_call",
    "with_trace_context",
]

_O = TypeVar("_O", bound="MemoryOp")


class MemoryOp(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    omit_defaults=True,
    forbid_unknown_fields=True,
    tag_field="op",
):
    """What every memory Call body has besides its ``op``: ``priority``, ``deadline_ms`` and
    ``metadata`` mean what they mean in a `CallRequest`.

    Example:
        >>> msgspec.json.encode(Count(priority="background"))
        b'{"op":"count","priority":"background"}'
    """

    priority: PriorityName = "interactive"
    deadline_ms: int | None = None
    metadata: dict[str, Any] = {}

    def __post_init__(self) -> None:
        if self.deadline_ms is not None and self.deadline_ms < 1:
            raise InvalidCallBody(
                f"deadline_ms must be >= 1, got {self.deadline_ms}", "$.deadline_ms"
            )

    @property
    def stream(self) -> bool:
        """Whether the answer comes as Stream items (only `Read`).

        Example:
            >>> Count().stream, Read().stream
            (False, True)
        """
        return False


class Upsert(MemoryOp, frozen=True, kw_only=True, tag="upsert"):
    """Insert or replace ``points`` (answered ``{"upserted": n}``).

    Example:
        >>> Upsert(points=(VectorPoint("a", [1.0, 0.0]),)).points[0].id
        'a'
    """

    points: tuple[VectorPoint, ...]


class Remove(MemoryOp, frozen=True, kw_only=True, tag="remove"):
    """Remove points by id (answered ``{"removed": n}``, how many existed).

    Example:
        >>> Remove(ids=("a", "b")).ids
        ('a', 'b')
    """

    ids: tuple[str, ...]


class Query(MemoryOp, frozen=True, kw_only=True, tag="query"):
    """A nearest-neighbour query (answered ``{"matches": [...]}``, best first).

    Example:
        >>> Query(query=VectorQuery([1.0, 0.0], top_k=3)).query.top_k
        3
    """

    query: VectorQuery


class Count(MemoryOp, frozen=True, kw_only=True, tag="count"):
    """How many points the store holds (answered ``{"count": n}``).

    Example:
        >>> msgspec.json.encode(Count())
        b'{"op":"count"}'
    """


class Save(MemoryOp, frozen=True, kw_only=True, tag="save"):
    """Persist the served store (answered ``{"saved": true}``).

    Example:
        >>> msgspec.json.encode(Save())
        b'{"op":"save"}'
    """


class Info(MemoryOp, frozen=True, kw_only=True, tag="info"):
    """What the service serves (a `MemoryInfo`, answered before the scheduler).

    Example:
        >>> msgspec.json.encode(Info())
        b'{"op":"info"}'
    """


class Append(MemoryOp, frozen=True, kw_only=True, tag="append"):
    """Append one record (MessagePack bytes); answered ``{"offset": n}`` once the served
    journal's append returned, so its durability holds.

    Example:
        >>> Append(record=b"\\x81").record
        b'\\x81'
    """

    record: bytes


class Flush(MemoryOp, frozen=True, kw_only=True, tag="flush"):
    """Make every append so far durable (answered ``{"flushed": true}``).

    Example:
        >>> msgspec.json.encode(Flush())
        b'{"op":"flush"}'
    """


class Read(MemoryOp, frozen=True, kw_only=True, tag="read"):
    """Read the journal (as `Journal.read`); answered with Stream items: `ReadEntries`
    batches, then one `ReadEnd` (or an error item).

    Example:
        >>> Read(run_id="r1", start=10).stream
        True
    """

    run_id: str | None = None
    since: float | None = None
    until: float | None = None
    start: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        check_read(self.run_id, self.since, self.until, self.start)

    @property
    def stream(self) -> bool:
        """Always True: entries come as Stream items."""
        return True


MemoryCall: TypeAlias = Upsert | Remove | Query | Count | Save | Info | Append | Flush | Read
"""Every memory Call body."""


def check_read(run_id: object, since: object, until: object, start: object) -> None:
    """Check `Journal.read` arguments (both ends use it).

    Raises:
        InvalidRecord: a bad argument, named with its path (a `ValueError`).

    Example:
        >>> check_read(None, None, None, -1)
        Traceback (most recent call last):
        ...
        mxp_agents.memory._errors.InvalidRecord: start must be an int >= 0, got -1 - at $.start
    """
    if isinstance(start, bool) or not isinstance(start, int) or start < 0:
        raise InvalidRecord(f"start must be an int >= 0, got {start!r}", "$.start")
    if run_id is not None and (not isinstance(run_id, str) or not run_id.strip()):
        raise InvalidRecord(f"run_id must be a non-blank str, got {run_id!r}", "$.run_id")
    for name, value in (("since", since), ("until", until)):
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise InvalidRecord(
                f"{name} must be finite Unix seconds, got {kind_of(value)} {value!r}", f"$.{name}"
            )
    if since is not None and until is not None and since > until:  # pyright: ignore[reportOperatorIssue]
        raise InvalidRecord(f"since ({since!r}) is after until ({until!r})", "$.since")


_keys: Final = msgspec.json.Decoder(dict[str, msgspec.Raw])
_call: Final = msgspec.json.Decoder(MemoryCall)
_OPS: Final = "upsert, remove, query, count, save, info, append, flush, read"


def parse_memory_call(payload: bytes) -> MemoryCall:
    """Read a memory call's body.

    Raises:
        InvalidCallBody: not JSON, no known ``op``, or invalid; the text has the path.

    Example:
        >>> parse_memory_call(b'{"op": "remove", "ids": ["a"]}').ids
        ('a',)
    """
    if "op" not in decode_body(_keys, payload, "a JSON object"):
        raise InvalidCallBody(
            f"this agent serves memory: send {{'op': <{_OPS}>, ...}} "
            "(a task or messages body goes to an agent)"
        )
    return decode_body(_call, payload, "a memory call")


def with_trace_context(call: _O) -> _O:
    """``call`` with the current OpenTelemetry context in ``metadata`` (as `call_agent` does).

    Example:
        >>> with_trace_context(Count()).metadata  # no span current
        {}
    """
    carrier = trace_carrier()
    if not carrier:
        return call
    return msgspec.structs.replace(call, metadata={**call.metadata, **carrier})

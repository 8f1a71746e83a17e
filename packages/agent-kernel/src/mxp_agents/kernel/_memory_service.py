"""`MemoryService`: the `CallService` of a memory agent (see `serve_memory`) - a vector store
and/or a journal answering memory calls."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import msgspec

from mxp import MAX_PAYLOAD_SIZE, MessageType
from mxp_agents.kernel._kernel_telemetry import KernelTelemetry
from mxp_agents.kernel._memory_answers import (
    Appended,
    Counted,
    Done,
    JournalInfo,
    Matches,
    MemoryInfo,
    ReadEnd,
    ReadEntries,
    Removed,
    Upserted,
    VectorInfo,
    WireEntry,
)
from mxp_agents.kernel._memory_errors import MemoryErrorBody, MemoryStreamError, body_of
from mxp_agents.kernel._memory_wire import (
    Append,
    Count,
    Flush,
    Info,
    MemoryCall,
    Query,
    Read,
    Remove,
    Save,
    Upsert,
    parse_memory_call,
)
from mxp_agents.kernel._vector_encoding import F32, unpacked_points, unpacked_vector
from mxp_agents.memory import AgentMemoryError, InvalidRecord, MemoryRecord
from mxp_agents.primitives import random_agent_id
from mxp_agents.primitives import validation_error_parts as _parts

if TYPE_CHECKING:
    import trio

    import mxp
    from mxp_agents.kernel._call_service import Accepted
    from mxp_agents.memory import Journal, VectorStore
    from mxp_agents.primitives import AgentId

__all__ = ["READ_BATCH_BYTES", "MemoryService", "decode_record", "encode_record"]

READ_BATCH_BYTES: Final = 48_000
"""Default encoded size of one read batch (one Stream item, under one StreamChunk frame)."""
_encode: Final = msgspec.json.encode
_record_encoder: Final = msgspec.msgpack.Encoder()
_record_decoder: Final = msgspec.msgpack.Decoder(MemoryRecord)
_ENTRY_OVERHEAD: Final = 32
"""JSON bytes around one entry besides its base64 record: ``[offset,"..."],``."""


def encode_record(record: MemoryRecord) -> bytes:
    """A record as MessagePack, as memory calls carry it.

    Raises:
        InvalidRecord: a value msgspec cannot encode (``$.payload`` or ``$.metadata``).

    Example:
        >>> decode_record(encode_record(MemoryRecord("input", b"\\x00"))).payload
        b'\\x00'
    """
    try:
        return _record_encoder.encode(record)
    except (TypeError, ValueError, msgspec.EncodeError) as error:
        for field in ("payload", "metadata", "tags"):
            try:
                _record_encoder.encode(getattr(record, field))
            except (TypeError, ValueError, msgspec.EncodeError):
                raise InvalidRecord(f"cannot encode the {field}: {error}", f"$.{field}") from None
        raise InvalidRecord(f"cannot encode the record: {error}", "$") from None


def decode_record(data: bytes, path: str = "$") -> MemoryRecord:
    """A record from its MessagePack bytes.

    Raises:
        InvalidRecord: not a valid record; the path is under ``path``.

    Example:
        >>> decode_record(encode_record(MemoryRecord("input", "hi"))).payload
        'hi'
    """
    try:
        return _record_decoder.decode(data)
    except msgspec.ValidationError as error:
        reason, where = _parts(error)
        cause = error.__cause__
        if isinstance(cause, InvalidRecord):
            return _raise(InvalidRecord(cause.reason, path + (cause.path or "$")[1:]))
        return _raise(InvalidRecord(f"not a MemoryRecord: {reason}", path + where[1:]))
    except msgspec.DecodeError as error:
        return _raise(InvalidRecord(f"not MessagePack ({error})", path))


def _raise(error: InvalidRecord) -> MemoryRecord:
    raise error


class MemoryService:
    """The `CallService` of a memory agent: ``vectors`` and/or ``journal`` served by calls.

    An `AgentMemoryError` of the store or journal is answered with its `MemoryErrorBody`
    (unary) or a last `MemoryStreamError` item (a read); an op on what is not served with
    code ``unsupported``; other failures are the kernel's.

    Example:
        >>> kernel = Kernel(MemoryService(vectors=store, name="memory",
        ...                               capabilities=("memory.vectors",)))
    """

    def __init__(
        self,
        *,
        vectors: VectorStore | None,
        journal: Journal | None,
        name: str,
        capabilities: tuple[str, ...],
        batch_bytes: int = READ_BATCH_BYTES,
    ) -> None:
        self.vectors: Final = vectors
        self.journal: Final = journal
        self._name = name
        self._capabilities = capabilities
        self._batch_bytes = batch_bytes
        self._id = random_agent_id()
        self._info = _encode(
            MemoryInfo(
                name=name,
                capabilities=capabilities,
                vectors=None
                if vectors is None
                else VectorInfo(
                    dimensions=vectors.dimensions, metric=vectors.metric, encodings=(F32,)
                ),
                journal=None if journal is None else JournalInfo(durability=journal.durability),
            )
        )

    @property
    def id(self) -> AgentId:
        """The server's agent id (random).

        Example:
            >>> service.id  # doctest: +SKIP
            UUID('5f0c6a8e-...')
        """
        return self._id

    @property
    def name(self) -> str:
        """The name registered.

        Example:
            >>> service.name  # doctest: +SKIP
            'memory'
        """
        return self._name

    def capabilities(self) -> tuple[str, ...]:
        """The capabilities advertised.

        Example:
            >>> service.capabilities()  # doctest: +SKIP
            ('memory.vectors', 'memory.journal')
        """
        return self._capabilities

    def parse(self, payload: bytes) -> MemoryCall:
        """A memory call body, or `InvalidCallBody`.

        Example:
            >>> service.parse(b'{"op": "count"}')
            Count()
        """
        return parse_memory_call(payload)

    def immediate(self, call: MemoryCall) -> bytes | None:
        """The `MemoryInfo` for ``info`` (at once, even when busy); None for the rest.

        Example:
            >>> service.immediate(Info())  # doctest: +SKIP
            b'{"name":"memory","capabilities":["memory.vectors"],"vectors":{...}}'
        """
        return self._info if isinstance(call, Info) else None

    async def respond(self, call: MemoryCall, accepted: Accepted) -> mxp.Message:
        """Answer one unary memory call, or an Error carrying the memory error.

        Example:
            >>> reply = await service.respond(Count(), accepted)  # doctest: +SKIP
        """
        message = accepted.message
        try:
            body = await self._answer(call)
        except _Unsupported as refusal:
            return self._error(accepted, MemoryErrorBody(error=str(refusal), code="unsupported"))
        except AgentMemoryError as error:
            return self._error(accepted, body_of(error))
        if len(body) > MAX_PAYLOAD_SIZE:
            text = (
                f"the answer is {len(body)} bytes, over the {MAX_PAYLOAD_SIZE}-byte limit of "
                "one MXP message: ask for fewer matches (top_k)"
            )
            return self._error(accepted, MemoryErrorBody(error=text, code="too_large"))
        return message.reply(MessageType.RESPONSE, body)

    async def stream(
        self, call: MemoryCall, accepted: Accepted, send: trio.MemorySendChannel[bytes]
    ) -> None:
        """Answer a ``read``: `ReadEntries` batches (each under ``batch_bytes``), then a
        `ReadEnd`; a memory error after the entries before it as a last `MemoryStreamError`.

        Example:
            >>> await service.stream(Read(run_id="r1"), accepted, send)  # doctest: +SKIP
        """
        assert isinstance(call, Read)  # the only op that streams
        if self.journal is None:
            text = str(_no_journal(self._name))
            KernelTelemetry.set_error(accepted.span, "unsupported", text)
            await send.send(_encode(MemoryStreamError(error=text, code="unsupported")))
            return
        entries = self.journal.read(
            run_id=call.run_id, since=call.since, until=call.until, start=call.start
        )
        batch: list[WireEntry] = []
        size = sent = 0
        try:
            async for entry in entries:
                data = encode_record(entry.record)
                cost = len(data) * 4 // 3 + _ENTRY_OVERHEAD
                if batch and size + cost > self._batch_bytes:
                    await send.send(_encode(ReadEntries(tuple(batch))))
                    sent += len(batch)
                    batch, size = [], 0
                batch.append(WireEntry(entry.offset, data))
                size += cost
        except AgentMemoryError as error:
            if batch:
                await send.send(_encode(ReadEntries(tuple(batch))))
            body = body_of(error)
            KernelTelemetry.set_error(accepted.span, body.code, body.error)
            await send.send(_encode(MemoryStreamError(**msgspec.structs.asdict(body))))
            return
        finally:
            close = getattr(entries, "aclose", None)
            if close is not None:
                await close()
        if batch:
            await send.send(_encode(ReadEntries(tuple(batch))))
            sent += len(batch)
        await send.send(_encode(ReadEnd(sent)))

    async def _answer(self, call: MemoryCall) -> bytes:
        if isinstance(call, Append | Flush):
            journal = self.journal
            if journal is None:
                raise _no_journal(self._name)
            if isinstance(call, Append):
                offset = await journal.append(decode_record(call.record, "$.record"))
                return _encode(Appended(offset))
            await journal.flush()
            return _encode(Done())
        vectors = self.vectors
        if vectors is None:
            raise _Unsupported(
                f"memory service {self._name!r} serves no vector store (it serves a journal: "
                "send append, read or flush)"
            )
        if isinstance(call, Query):
            query = call.query
            vector = unpacked_vector(query.vector, vectors.dimensions, "$.query.vector")
            if vector is not query.vector:  # it came compact: {"f32": "<base64>"}
                query = msgspec.structs.replace(query, vector=vector)
            return _encode(Matches(await vectors.query(query)))
        if isinstance(call, Upsert):
            await vectors.upsert(unpacked_points(call.points, vectors.dimensions))
            return _encode(Upserted(len(call.points)))
        if isinstance(call, Remove):
            return _encode(Removed(await vectors.remove(call.ids)))
        if isinstance(call, Count):
            return _encode(Counted(await vectors.count()))
        if isinstance(call, Save):
            await vectors.save()
            return _encode(Done())
        return self._info  # Info, normally answered at once

    def _error(self, accepted: Accepted, body: MemoryErrorBody) -> mxp.Message:
        KernelTelemetry.set_error(accepted.span, body.code, body.error)
        return accepted.message.reply(MessageType.ERROR, _encode(body))


class _Unsupported(Exception):
    """An op on something the service does not serve."""


def _no_journal(name: str) -> _Unsupported:
    return _Unsupported(
        f"this memory service ({name!r}) serves no journal (it serves a vector store: send "
        "upsert, remove, query, count or save)"
    )

"""`MemoryLink`: how `MxpVectorStore` and `MxpJournal` reach a memory service - one address,
or a capability whose servers are discovered through the registry - and how its answers and
errors come back.

A capability is resolved to ONE server (the first discovered that answers ``info`` within
``connect_timeout``), which the link then keeps: a memory service holds state, so calls do not
rotate between servers. A server that stops answering (timeout, transport failure,
``shutting_down``, ``unavailable``) is forgotten and the next call discovers again.
"""

from __future__ import annotations

from contextlib import aclosing
from typing import TYPE_CHECKING, Final, TypeVar, cast

import msgspec

import mxp
from mxp import MessageType
from mxp.bodies import parse_address
from mxp.registry import RegistryClient, RegistryError
from mxp.transport import EndpointClosed, RemoteError, RequestTimeout, StreamError, new_message
from mxp_agents.kernel._kernel import current_kernel
from mxp_agents.kernel._memory_answers import MemoryInfo, ReadEnd, ReadEntries
from mxp_agents.kernel._memory_errors import (
    MemoryErrorBody,
    MemoryServiceError,
    MemoryStreamError,
    decode_error,
    error_of,
)
from mxp_agents.kernel._memory_wire import Info, MemoryOp, Read, with_trace_context
from mxp_agents.kernel._mxp_probe import where
from mxp_agents.kernel._mxp_target import BadTarget, is_registry, split_target
from mxp_agents.memory import InvalidRecord

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from mxp.transport import Address, Endpoint

__all__ = ["MemoryLink"]

T = TypeVar("T")
_FORGET: Final = frozenset({"timeout", "transport", "shutting_down", "unavailable"})
"""Failures after which a discovered server is forgotten (the next call discovers again)."""
_info: Final = msgspec.json.Decoder(MemoryInfo)
_INFO: Final = msgspec.json.encode(Info())
_item: Final = msgspec.json.Decoder(ReadEntries | ReadEnd | MemoryStreamError)


class MemoryLink:
    """The route to one memory service and the calls along it.

    Example:
        >>> link = MemoryLink("127.0.0.1:7001", endpoint=endpoint, registry=None,
        ...                   timeout=30.0, connect_timeout=2.0, example="memory.vectors")
        >>> info = await link.info()  # doctest: +SKIP
    """

    def __init__(
        self,
        target: object,
        *,
        endpoint: Endpoint | None,
        registry: str | None,
        timeout: float,
        connect_timeout: float,
        example: str,
    ) -> None:
        try:
            self.address, self.capability, self.target = split_target(target, example)
        except BadTarget as error:
            raise InvalidRecord(str(error), "$.target") from None
        _positive("timeout", timeout)
        _positive("connect_timeout", connect_timeout)
        if registry is not None and not is_registry(registry):
            raise InvalidRecord(f"registry must be 'ip:port', got {registry!r}", "$.registry")
        self.endpoint: Final = endpoint
        self.registry: Final = registry
        self.timeout: Final = float(timeout)
        self.connect_timeout: Final = float(connect_timeout)
        self._server: Address | None = self.address

    @property
    def server(self) -> Address | None:
        """The server calls go to (None: not discovered yet)."""
        return self._server

    def resolve_endpoint(self) -> Endpoint:
        """The endpoint to call from: the given one, else the running `Kernel`'s.

        Example:
            >>> link.resolve_endpoint().local_address  # doctest: +SKIP
            ('127.0.0.1', 50123)
        """
        if self.endpoint is not None:
            return self.endpoint
        kernel = current_kernel()
        if kernel is None:
            raise MemoryServiceError(
                "no_endpoint",
                "no MXP endpoint to call from: use the client inside a Kernel's call (its "
                "endpoint is used), or pass endpoint=",
                self.target,
            )
        return kernel.endpoint

    async def info(self) -> MemoryInfo:
        """What the service serves (discovering it first for a capability target).

        Example:
            >>> (await link.info()).vectors.dimensions  # doctest: +SKIP
            384
        """
        endpoint = self.resolve_endpoint()
        server = self._server
        if server is None:
            server, info = await self._discover(endpoint)
            self._server = server
            return info
        reply = await self._request(endpoint, server, _INFO, self.timeout)
        return self._decoded(_info, reply.payload, "MemoryInfo")

    async def call(self, op: MemoryOp, decoder: msgspec.json.Decoder[T]) -> T:
        """Send one unary memory call; its Response decoded by ``decoder``.

        Raises:
            AgentMemoryError: the served store's or journal's error, rebuilt.
            MemoryServiceError: a refusal, a timeout, the transport.

        Example:
            >>> await link.call(Count(), msgspec.json.Decoder(Counted))  # doctest: +SKIP
            Counted(count=3)
        """
        return await self.call_body(self.prepare(op), decoder)

    def prepare(self, op: MemoryOp) -> bytes:
        """The Call body of ``op``: its deadline (the timeout) and the OpenTelemetry context.

        Example:
            >>> link.prepare(Count())
            b'{"op":"count","deadline_ms":30000}'
        """
        op = msgspec.structs.replace(op, deadline_ms=max(1, int(self.timeout * 1000)))
        return msgspec.json.encode(with_trace_context(op))

    async def call_body(self, body: bytes, decoder: msgspec.json.Decoder[T]) -> T:
        """Send one prepared unary Call body (see `prepare`); its Response decoded.

        Example:
            >>> await link.call_body(link.prepare(Count()), counted)  # doctest: +SKIP
            Counted(count=3)
        """
        endpoint = self.resolve_endpoint()
        server = await self._target_server(endpoint)
        reply = await self._request(endpoint, server, body, self.timeout)
        return self._decoded(decoder, reply.payload, "answer")

    async def read(self, op: Read) -> AsyncGenerator[ReadEntries]:
        """Send a read; yield its batches in order, raise its error after the entries before it.

        Example:
            >>> async for batch in link.read(Read(run_id="r1")):  # doctest: +SKIP
            ...     print(len(batch.entries))
        """
        endpoint = self.resolve_endpoint()
        server = await self._target_server(endpoint)
        place = where(server)
        message = new_message(MessageType.CALL, msgspec.json.encode(with_trace_context(op)))
        chunks = cast(
            "AsyncGenerator[bytes]", endpoint.request_stream(message, server, self.timeout)
        )
        try:
            async with aclosing(chunks):
                async for chunk in chunks:
                    try:
                        item = _item.decode(chunk)
                    except msgspec.MsgspecError as error:
                        raise self._protocol(f"unreadable read item: {error}") from None
                    if isinstance(item, MemoryStreamError):
                        raise error_of(item, place)
                    if isinstance(item, ReadEnd):
                        return
                    yield item
        except RemoteError as error:
            reply = error.reply
            if isinstance(reply, mxp.Message):
                raise self._failed(decode_error(reply.payload)) from None
            raise self._failed(MemoryErrorBody(error=error.error, code=error.code)) from None
        except RequestTimeout as error:
            raise self._failed(MemoryErrorBody(error=str(error), code="timeout")) from None
        except (StreamError, EndpointClosed) as error:
            raise self._failed(MemoryErrorBody(error=str(error), code="transport")) from None
        raise self._protocol("the read's stream ended without its end item")

    # -- one exchange ------------------------------------------------------------------------

    async def _target_server(self, endpoint: Endpoint) -> Address:
        server = self._server
        if server is None:
            server, _ = await self._discover(endpoint)
            self._server = server
        return server

    async def _request(
        self, endpoint: Endpoint, server: Address, body: bytes, wait: float
    ) -> mxp.Message:
        try:
            reply = await endpoint.request(new_message(MessageType.CALL, body), server, wait)
        except RequestTimeout as error:
            raise self._failed(MemoryErrorBody(error=str(error), code="timeout")) from None
        except (StreamError, EndpointClosed) as error:
            raise self._failed(MemoryErrorBody(error=str(error), code="transport")) from None
        if reply.type is MessageType.ERROR:
            raise self._failed(decode_error(reply.payload))
        if reply.type is not MessageType.RESPONSE:
            raise self._protocol(f"expected a Response, got a {reply.type.name} frame")
        return reply

    def _decoded(self, decoder: msgspec.json.Decoder[T], payload: bytes, what: str) -> T:
        try:
            return decoder.decode(payload)
        except msgspec.MsgspecError as error:
            raise self._protocol(f"unreadable answer ({what}): {error}") from None

    def _failed(self, body: MemoryErrorBody) -> Exception:
        server = self._server
        place = self.target if server is None else where(server)
        if body.code in _FORGET and self.capability is not None:
            self._server = None
        return error_of(body, place)

    def _protocol(self, text: str) -> MemoryServiceError:
        server = self._server
        return MemoryServiceError(
            "protocol", text, self.target if server is None else where(server)
        )

    # -- discovery ---------------------------------------------------------------------------

    async def _discover(self, endpoint: Endpoint) -> tuple[Address, MemoryInfo]:
        """The first server of the capability that answers ``info``, and its answer."""
        capability = self.capability
        assert capability is not None
        kernel = current_kernel()
        registry = self.registry
        if registry is None and kernel is not None:
            registry = kernel.config.registry
        if registry is None:
            raise MemoryServiceError(
                "no_registry",
                f"servers of {capability!r} are found through a registry, and there is none: "
                "use the client in a Kernel configured with a registry, pass registry='ip:port', "
                "or give an address",
                self.target,
            )
        own = kernel.agent_id if kernel is not None else None
        try:
            found = await RegistryClient(endpoint, registry).discover(capability)
        except RegistryError as error:
            raise MemoryServiceError(
                "unreachable", f"cannot discover {capability!r}: {error}", self.target
            ) from None
        last: Exception | None = None
        for record in found:
            if record.id == own:
                continue
            try:
                address = parse_address(record.address)
            except ValueError:
                continue
            try:
                reply = await self._request(endpoint, address, _INFO, self.connect_timeout)
                return address, self._decoded(_info, reply.payload, "MemoryInfo")
            except MemoryServiceError as error:
                last = error
        if last is not None:
            raise last
        raise MemoryServiceError(
            "unreachable",
            f"no memory service with capability {capability!r} is registered at {registry}",
            self.target,
        )


def _positive(name: str, value: object) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not value > 0
        or value == float("inf")
    ):
        raise InvalidRecord(f"{name} must be a number of seconds > 0, got {value!r}", f"$.{name}")

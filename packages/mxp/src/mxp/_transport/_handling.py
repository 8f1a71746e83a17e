"""Handlers of an endpoint: installing them, running one per request, delivering the reply.

A handler returns a reply, None, or an async iterator of incremental results; a quick reply is
sent with a direct ``sendto``, a large or incremental one as a stream. The reply frame is cached
in the at-most-once window, so a retransmitted request is answered without running it again.
"""

from __future__ import annotations

from types import CoroutineType
from typing import TYPE_CHECKING, Final, cast

import trio

from mxp._codec import encode
from mxp._errors import MxpError
from mxp._message import Message
from mxp._transport._endpoint_core import EndpointCore
from mxp._transport._errors import UsageError
from mxp._transport._receive import STREAM_TYPES
from mxp._transport._replies import describe, error_reply
from mxp._transport._trace import CURRENT_TRACE
from mxp._types import MessageType

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping

    from mxp._transport._types import Address, Handler, HandlerResult

_TRANSPORT_TYPES: Final = STREAM_TYPES | {MessageType.ACK}


class HandlerRunner(EndpointCore):
    """`set_handler`, `serve` and the running of handlers of an `Endpoint`."""

    # -- installing --------------------------------------------------------------------------

    def set_handler(self, message_type: MessageType, handler: Handler) -> None:
        """Install (or replace) the handler of ``message_type``; takes effect at once.

        A handler returns the reply (``request.reply(MessageType.RESPONSE, ...)``), None, or an
        async iterator of bytes (incremental results, streamed to the caller). If it raises,
        the caller gets an Error frame with code ``internal``.

        Example:
            >>> async def echo(request, peer):
            ...     return request.reply(MessageType.RESPONSE, request.payload)
            >>> ep.set_handler(MessageType.CALL, echo)
        """
        if not isinstance(message_type, MessageType):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise UsageError(f"set_handler: expected an mxp.MessageType, got {message_type!r}")
        if message_type in _TRANSPORT_TYPES:
            raise UsageError(
                f"set_handler: {message_type.name} frames are handled by the transport itself; "
                "install handlers for CALL, EVENT, RESPONSE, AGENT_* or ERROR"
            )
        if not callable(handler):
            raise UsageError(f"set_handler: handler for {message_type.name} is not callable")
        self._handlers[message_type] = handler

    async def serve(self, handlers: Mapping[MessageType, Handler]) -> None:
        """Install ``handlers`` then block until cancelled (the endpoint keeps serving).

        Example:
            >>> async with trio.open_nursery() as nursery:
            ...     nursery.start_soon(ep.serve, {MessageType.CALL: echo})
        """
        for message_type, handler in handlers.items():
            self.set_handler(message_type, handler)
        await trio.sleep_forever()

    # -- running -----------------------------------------------------------------------------

    async def _handle(self, msg: Message, addr: Address, handler: Handler) -> None:
        CURRENT_TRACE.set(msg.trace_id)
        self._running += 1
        frame = b""
        try:
            try:
                pending = handler(msg, addr)
                if pending.__class__ is not CoroutineType and hasattr(pending, "__anext__"):
                    result = cast("HandlerResult", pending)  # an async generator function
                else:
                    result = await pending
            except Exception as error:  # the handler's failure becomes an Error reply
                self._counters.handler_errors += 1
                result = error_reply(msg, "internal", describe(error, msg, self._label))
            if result.__class__ is Message:
                reply = cast("Message", result)
                if (
                    len(reply.payload) <= self._max_payload
                    and reply.message_id == msg.message_id
                    and reply.trace_id == msg.trace_id
                ):
                    frame = encode(reply)
                    if not self._io.try_send(frame, addr):
                        await self._io.send(frame, addr)
                else:
                    frame = await self._deliver(msg, addr, reply)
            elif result is not None:
                frame = await self._deliver(msg, addr, result)
        except (MxpError, OSError):
            self._counters.drop("reply_failed")
        finally:
            self._running -= 1
            self._dedup.finish((addr, msg.message_id), frame, trio.current_time())

    async def _deliver(
        self, msg: Message, addr: Address, result: Message | AsyncIterator[bytes]
    ) -> bytes:
        """Send a reply that needs a stream or a fix-up; returns the frame to cache."""
        if isinstance(result, Message):
            reply = result
            if reply.message_id != msg.message_id or reply.trace_id != msg.trace_id:
                reply = Message(
                    reply.type, reply.payload, reply.flags, msg.message_id, msg.trace_id
                )
            if len(reply.payload) <= self._max_payload:
                frame = encode(reply)
                await self._io.send(frame, addr)
                return frame
            await self._streams.send_reply(msg, addr, reply)
            return b""
        if hasattr(result, "__anext__"):
            await self._streams.send_reply(msg, addr, result)
            return b""
        self._counters.handler_errors += 1
        frame = encode(
            error_reply(
                msg,
                "internal",
                f"handler for {msg.type.name} returned {type(result).__name__}; "
                "expected a Message, None or an async iterator of bytes",
            )
        )
        await self._io.send(frame, addr)
        return frame

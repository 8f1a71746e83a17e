"""The MXP transport: an `Endpoint` on trio UDP, one frame per datagram.

Requests are retransmitted with exponential backoff until the reply arrives and executed at most
once by the peer; REQUIRES_ACK frames are acknowledged; bodies larger than one datagram and
incremental results travel as reliable streams (format in `mxp._transport._wire`); malformed
datagrams are counted and dropped; trace ids follow the work from hop to hop.

Example:
    >>> import trio
    >>> from mxp import MessageType
    >>> from mxp.transport import Endpoint, new_message
    >>> async def echo(request, peer):
    ...     return request.reply(MessageType.RESPONSE, request.payload)
    >>> async def main():
    ...     async with Endpoint.bind("127.0.0.1", 0) as server:
    ...         server.set_handler(MessageType.CALL, echo)
    ...         async with Endpoint.bind("127.0.0.1", 0) as client:
    ...             reply = await client.request(
    ...                 new_message(MessageType.CALL, b"hi"), server.local_address, timeout=2.0
    ...             )
    ...             return reply.payload
    >>> trio.run(main)
    b'hi'
"""

from __future__ import annotations

from mxp._transport._config import EndpointConfig
from mxp._transport._endpoint import REQUEST_LIKE, Endpoint
from mxp._transport._errors import (
    EndpointClosed,
    EndpointConfigError,
    RemoteError,
    RequestTimeout,
    StreamError,
    UsageError,
)
from mxp._transport._metrics import LatencyHistogram, MetricsSnapshot
from mxp._transport._trace import current_trace_id, new_message
from mxp._transport._types import Address, Handler, HandlerResult

__all__ = [
    "REQUEST_LIKE",
    "Address",
    "Endpoint",
    "EndpointClosed",
    "EndpointConfig",
    "EndpointConfigError",
    "Handler",
    "HandlerResult",
    "LatencyHistogram",
    "MetricsSnapshot",
    "RemoteError",
    "RequestTimeout",
    "StreamError",
    "UsageError",
    "current_trace_id",
    "new_message",
]

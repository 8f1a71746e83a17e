"""Errors of the MXP transport. All derive from `mxp.MxpError`."""

from __future__ import annotations

from mxp._errors import MxpError


class EndpointConfigError(MxpError, ValueError):
    """An `EndpointConfig` field has a wrong type or value; the message names the field.

    Example:
        >>> EndpointConfig(initial_rto=0)
        Traceback (most recent call last):
        ...
        mxp.transport.EndpointConfigError: EndpointConfig.initial_rto: expected a number > 0, ...
    """


class RequestTimeout(MxpError):
    """No reply (or no Ack) arrived in time, retransmissions included.

    Example:
        >>> try:
        ...     await ep.request(msg, ("127.0.0.1", 9), timeout=0.5)
        ... except RequestTimeout as error:
        ...     print(error.message_id, error.attempts)
    """

    def __init__(
        self, what: str, message_id: int, peer: tuple[str, int], timeout: float, attempts: int
    ) -> None:
        self.message_id = message_id
        self.peer = peer
        self.timeout = timeout
        self.attempts = attempts
        self.what = what
        super().__init__(
            f"{what} {message_id:#018x} to {peer[0]}:{peer[1]} timed out after {timeout:g} s "
            f"({attempts} transmission(s)) - check that the peer is running and reachable, "
            "or raise the timeout"
        )

    def __reduce__(
        self,
    ) -> tuple[type[RequestTimeout], tuple[str, int, tuple[str, int], float, int]]:
        return (type(self), (self.what, self.message_id, self.peer, self.timeout, self.attempts))


class StreamError(MxpError):
    """A stream (a body larger than one datagram, or incremental results) failed.

    ``reason`` is a short machine-readable code: ``too_large``, ``too_many_chunks``,
    ``too_many_streams``, ``idle_timeout``, ``unexpected``, ``cancelled``, ``busy``,
    ``aborted`` or ``malformed``.

    Example:
        >>> try:
        ...     await ep.request(huge, addr)
        ... except StreamError as error:
        ...     print(error.reason)
        too_large
    """

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"stream failed ({reason}): {detail}")

    def __reduce__(self) -> tuple[type[StreamError], tuple[str, str]]:
        return (type(self), (self.reason, self.detail))


class RemoteError(MxpError):
    """The peer answered a `request_stream` with an Error frame.

    ``code`` and ``error`` come from the peer's `mxp.bodies.ErrorResponse`; ``reply`` is the frame.

    Example:
        >>> try:
        ...     async for chunk in ep.request_stream(msg, addr):
        ...         ...
        ... except RemoteError as error:
        ...     print(error.code)
        internal
    """

    def __init__(self, code: str, error: str, reply: object) -> None:
        self.code = code
        self.error = error
        self.reply = reply
        super().__init__(f"peer answered with an error ({code}): {error}")

    def __reduce__(self) -> tuple[type[RemoteError], tuple[str, str, object]]:
        return (type(self), (self.code, self.error, self.reply))


class EndpointClosed(MxpError):
    """The endpoint was closed (its ``async with`` block exited) while the call was waiting.

    Example:
        >>> await closed_endpoint.send(msg, addr)
        Traceback (most recent call last):
        ...
        mxp.transport.EndpointClosed: endpoint 127.0.0.1:9000 is closed - ...
    """


class UsageError(MxpError, ValueError):
    """The transport API was called with something it cannot use (bad address, handler, id).

    Example:
        >>> ep.set_handler(MessageType.ACK, handler)
        Traceback (most recent call last):
        ...
        mxp.transport.UsageError: set_handler: ACK frames are handled by the transport itself; ...
    """

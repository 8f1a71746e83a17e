"""Calling an agent over MXP: `call_agent` (one Response) and `stream_agent` (its events)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING, Final, cast

import msgspec

import mxp
from mxp import MessageType
from mxp.bodies import parse_address
from mxp.transport import EndpointClosed, RemoteError, RequestTimeout, StreamError, new_message
from mxp_agents.kernel._call_body import CallRequest, encode
from mxp_agents.kernel._call_response import CallErrorBody, CallEvent, CallFailed, CallResponse
from mxp_agents.kernel._errors import KernelError
from mxp_agents.kernel._trace_context import inject_trace_context

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from mxp.transport import Address, Endpoint
    from mxp_agents.primitives import Message

__all__ = ["CallError", "CallTimeout", "call_agent", "stream_agent"]

RETRYABLE_CODES: Final = frozenset(
    {"busy", "suspended", "unavailable", "shutting_down", "timeout", "transport"}
)
"""Error codes after which the same call may succeed later or at another agent."""

_response: Final = msgspec.json.Decoder(CallResponse)
_event: Final = msgspec.json.Decoder(CallEvent)
_error: Final = msgspec.json.Decoder(CallErrorBody)


class CallError(KernelError):
    """The called agent answered with an Error, or the call failed on the way.

    ``code`` is the Error's code (``busy``, ``suspended``, ``invalid_request``,
    ``deadline_exceeded``, ``shutting_down``, ...; ``timeout`` or ``transport`` for failures
    on the way), ``retry_after_ms`` the agent's retry hint if it gave one, and ``retryable``
    whether trying again (later, or at another agent) may succeed.

    Example:
        >>> try:
        ...     await call_agent(endpoint, address, "hi")
        ... except CallError as error:
        ...     print(error.code, error.retry_after_ms)
        busy 250
    """

    def __init__(
        self, code: str, error: str, address: Address, retry_after_ms: int | None = None
    ) -> None:
        self.code = code
        self.error = error
        self.address = address
        self.retry_after_ms = retry_after_ms
        hint = "" if retry_after_ms is None else f" (retry after {retry_after_ms} ms)"
        super().__init__(f"agent at {address[0]}:{address[1]} answered {code}: {error}{hint}")

    @property
    def retryable(self) -> bool:
        """Whether the same call may succeed later or at another agent.

        Example:
            >>> CallError("busy", "queue full", ("127.0.0.1", 9)).retryable
            True
        """
        return self.code in RETRYABLE_CODES


class CallTimeout(CallError):
    """No reply (or no next stream chunk) within the timeout; the code is ``timeout``.

    Example:
        >>> await call_agent(endpoint, ("127.0.0.1", 9), "hi", timeout=0.5)  # doctest: +SKIP
        Traceback (most recent call last):
        ...
        mxp_agents.kernel._client.CallTimeout: agent at 127.0.0.1:9 answered timeout: ...
    """


async def call_agent(
    endpoint: Endpoint,
    address: Address | str,
    request: str | Sequence[Message] | CallRequest,
    *,
    timeout: float = 60.0,  # noqa: ASYNC109 - bounds the whole exchange, retransmissions included
    trace_id: int | None = None,
) -> CallResponse:
    """Send a Call to the agent at ``address`` and return its `CallResponse`.

    ``request`` is a task text, a message history, or a full `CallRequest` (its ``stream``
    flag is ignored here; use `stream_agent`). The Call continues ``trace_id``, else the
    trace of the handler running this code (`mxp.transport.current_trace_id`), else a new one.
    When an OpenTelemetry span is current, its context goes along in ``metadata``
    (``traceparent`` / ``tracestate``), so the agent's ``mxp.call`` span continues the trace.

    Raises:
        CallError: the agent answered with an Error (``code`` says which).
        CallTimeout: no answer within ``timeout`` seconds.

    Example:
        >>> async with Endpoint.bind("127.0.0.1", 0) as endpoint:
        ...     response = await call_agent(endpoint, "127.0.0.1:7000", "add 2 and 3")
        >>> response.text
        '5'
    """
    peer = _peer(address)
    body = _request(request, stream=False)
    message = _call_message(body, trace_id)
    try:
        reply = await endpoint.request(message, peer, timeout=timeout)
    except RequestTimeout as error:
        raise CallTimeout("timeout", str(error), peer) from None
    except (StreamError, EndpointClosed) as error:
        raise CallError("transport", str(error), peer) from None
    if reply.type is MessageType.ERROR:
        raise _error_of(reply.payload, peer)
    if reply.type is not MessageType.RESPONSE:
        raise CallError("protocol", f"expected a Response, got a {reply.type.name} frame", peer)
    try:
        return _response.decode(reply.payload)
    except msgspec.MsgspecError as error:
        raise CallError("protocol", f"unreadable CallResponse: {error}", peer) from None


async def stream_agent(
    endpoint: Endpoint,
    address: Address | str,
    request: str | Sequence[Message] | CallRequest,
    *,
    timeout: float = 60.0,  # noqa: ASYNC109 - bounds the wait for each event
    trace_id: int | None = None,
) -> AsyncGenerator[CallEvent]:
    """Send a streaming Call and yield its events as they arrive; the last is the `CallResponse`.

    Events: `CallStarted`, `CallTextDelta`, `CallToolStarted`, `CallToolFinished`,
    `CallStep`, then `CallResponse`. ``timeout`` bounds the wait for each event. The current
    OpenTelemetry context goes along as in `call_agent`.

    Raises:
        CallError: the agent refused the call or the run failed (a `CallFailed` event).
        CallTimeout: no event within ``timeout`` seconds.

    Example:
        >>> async with aclosing(stream_agent(endpoint, address, "write a poem")) as events:
        ...     async for event in events:
        ...         if isinstance(event, CallTextDelta):
        ...             print(event.text, end="")
    """
    peer = _peer(address)
    message = _call_message(_request(request, stream=True), trace_id)
    try:
        chunks = cast("AsyncGenerator[bytes]", endpoint.request_stream(message, peer, timeout))
        async with aclosing(chunks):
            async for chunk in chunks:
                try:
                    event = _event.decode(chunk)
                except msgspec.MsgspecError as error:
                    raise CallError("protocol", f"unreadable stream event: {error}", peer) from None
                if isinstance(event, CallFailed):
                    raise CallError(event.code, event.error, peer, event.retry_after_ms)
                yield event
    except RemoteError as error:
        reply = error.reply
        if isinstance(reply, mxp.Message):
            raise _error_of(reply.payload, peer) from None
        raise CallError(error.code, error.error, peer) from None
    except RequestTimeout as error:
        raise CallTimeout("timeout", str(error), peer) from None
    except (StreamError, EndpointClosed) as error:
        raise CallError("transport", str(error), peer) from None


def _peer(address: Address | str) -> Address:
    if isinstance(address, str):
        try:
            return parse_address(address)
        except ValueError as error:
            raise CallError("invalid_address", str(error), ("?", 0)) from None
    return address


def _request(request: str | Sequence[Message] | CallRequest, *, stream: bool) -> CallRequest:
    if isinstance(request, CallRequest):
        if request.stream == stream:
            return request
        return msgspec.structs.replace(request, stream=stream)
    if isinstance(request, str):
        return CallRequest(task=request, stream=stream)
    if isinstance(request, Sequence):  # pyright: ignore[reportUnnecessaryIsInstance]
        return CallRequest(messages=tuple(request), stream=stream)
    raise TypeError(f"request must be a str, messages or a CallRequest, got {request!r}")


def _call_message(body: CallRequest, trace_id: int | None) -> mxp.Message:
    payload = encode(inject_trace_context(body))
    if trace_id is None:
        return new_message(MessageType.CALL, payload)
    return mxp.Message.new(MessageType.CALL, payload, trace_id=trace_id)


def _error_of(payload: bytes, peer: Address) -> CallError:
    try:
        body = _error.decode(payload)
    except msgspec.MsgspecError:
        text = payload[:200].decode("utf-8", "replace")
        return CallError("unknown", f"unreadable Error body: {text!r}", peer)
    return CallError(body.code, body.error, peer, body.retry_after_ms)

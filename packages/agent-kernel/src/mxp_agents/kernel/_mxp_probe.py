"""One attempt of an `MxpModel` at one server, raced by a liveness probe when it is not
answered at once, and what a server's Error means for the next attempt.

The probe is a ``{"model_info": true}`` Call, answered by a model server before its scheduler
(even when busy). It is sent when the attempt got no answer within `PROBE_AFTER`; a server that
does not answer it within the connect timeout is unreachable (`PeerUnavailable`), and so is one
that refuses for a passing reason (``busy``, ``suspended``, ``unavailable``,
``shutting_down``): another server may take the call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, TypeVar

import msgspec
import trio

from mxp import MessageType
from mxp.bodies import format_address
from mxp.transport import RequestTimeout, StreamError, new_message
from mxp_agents.adapters import ModelError, TransientModelError
from mxp_agents.kernel._model_errors import FAILOVER_CODES, decode_error, error_of
from mxp_agents.kernel._model_wire import ModelCall, with_trace_context

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import mxp
    from mxp.transport import Address, Endpoint

__all__ = [
    "PROBE_AFTER",
    "PeerUnavailable",
    "check_reply",
    "encoded_call",
    "probe",
    "raced",
    "where",
]

T = TypeVar("T")
PROBE_AFTER: Final = 0.05
"""Seconds an attempt may go unanswered before a probe checks that its server is there."""
_PROBE: Final = msgspec.json.encode(ModelCall(model_info=True))


class PeerUnavailable(Exception):
    """A server could not take the call (unreachable or refusing): try another one.

    Example:
        >>> PeerUnavailable(TransientModelError("gone")).error.retryable
        True
    """

    def __init__(self, error: ModelError) -> None:
        super().__init__(str(error))
        self.error = error


def where(address: Address) -> str:
    """``address`` as ``"host:port"`` (``"[::1]:port"`` for IPv6; host names as given).

    Example:
        >>> where(("localhost", 7001))
        'localhost:7001'
    """
    try:
        return format_address(*address)
    except ValueError:
        return f"{address[0]}:{address[1]}"


def encoded_call(call: ModelCall) -> bytes:
    """The Call body of ``call``, with the current OpenTelemetry context in its metadata.

    Example:
        >>> encoded_call(ModelCall(model_info=True))
        b'{"model_info":true}'
    """
    return msgspec.json.encode(with_trace_context(call))


async def raced(
    endpoint: Endpoint,
    peer: Address,
    attempt: Callable[[Endpoint, Address], Awaitable[T]],
    *,
    wait: float,
    model: str,
) -> T:
    """``attempt`` at ``peer``; unanswered after `PROBE_AFTER`, a probe checks that ``peer``
    is there at all, and its failure abandons the attempt.

    Raises:
        PeerUnavailable: no answer to the probe within ``wait`` s, or a passing refusal.
        Exception: what the attempt or the probe raised.

    Example:
        >>> reply = await raced(endpoint, peer, send_call, wait=2.0, model="m")  # doctest: +SKIP
    """
    failure: list[Exception] = []
    outcome: list[T] = []
    answered = trio.Event()
    probing = False
    async with trio.open_nursery() as nursery:

        async def watch() -> None:
            nonlocal probing
            with trio.move_on_after(PROBE_AFTER):
                await answered.wait()  # the common case: nothing to cancel
            if answered.is_set():
                return
            probing = True
            try:
                await probe(endpoint, peer, wait=wait, model=model)
            except Exception as error:
                failure.append(error)
                nursery.cancel_scope.cancel()

        nursery.start_soon(watch)
        try:
            outcome.append(await attempt(endpoint, peer))
        except Exception as error:
            failure.insert(0, error)
        answered.set()
        if probing:
            nursery.cancel_scope.cancel()
    if outcome:
        return outcome[0]
    raise failure[0]


async def probe(endpoint: Endpoint, peer: Address, *, wait: float, model: str) -> None:
    """Check that a model server answers at ``peer`` within ``wait`` seconds.

    Raises:
        PeerUnavailable: no answer, or a passing refusal (another server may take the call).
        ModelError: the peer answered but serves no model (`InvalidRequestError`), ...

    Example:
        >>> await probe(endpoint, ("127.0.0.1", 7001), wait=2.0, model="m")  # doctest: +SKIP
    """
    place = where(peer)
    try:
        reply = await endpoint.request(new_message(MessageType.CALL, _PROBE), peer, wait)
    except RequestTimeout:
        raise PeerUnavailable(
            TransientModelError(
                f"no model server answers at {place} (no answer to a probe within {wait:g}s): "
                "it is unreachable or not running",
                provider="mxp",
                model=model,
            )
        ) from None
    except StreamError as error:
        raise PeerUnavailable(
            TransientModelError(f"probe of {place} failed: {error}", provider="mxp", model=model)
        ) from None
    check_reply(reply, place, model=model)


def check_reply(reply: mxp.Message, place: str, *, model: str) -> None:
    """Raise the `ModelError` an Error ``reply`` carries (in a `PeerUnavailable` for a passing
    refusal); nothing for any other reply.

    Example:
        >>> check_reply(reply, "127.0.0.1:7001", model="m")  # doctest: +SKIP
    """
    if reply.type is not MessageType.ERROR:
        return
    body = decode_error(reply.payload)
    error = error_of(body, model=model, where=place)
    if body.code in FAILOVER_CODES:
        raise PeerUnavailable(error)
    raise error

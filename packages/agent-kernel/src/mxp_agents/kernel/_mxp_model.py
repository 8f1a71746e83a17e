"""`MxpModel`: a `ProviderModel` whose provider is a model served over MXP (`serve_model`)."""

from __future__ import annotations

import math
from contextlib import aclosing
from typing import TYPE_CHECKING, Final, cast

import msgspec
import trio

import mxp
from mxp import MessageType
from mxp.transport import EndpointClosed, RemoteError, RequestTimeout, StreamError, new_message
from mxp_agents.adapters import (
    InvalidModelValue,
    MalformedResponseError,
    ModelError,
    ModelTimeoutError,
    ProviderModel,
    TransientModelError,
)
from mxp_agents.kernel._model_errors import ModelErrorBody, ModelStreamError, decode_error, error_of
from mxp_agents.kernel._model_wire import ModelCall, decode_item, decode_response
from mxp_agents.kernel._mxp_probe import PeerUnavailable, check_reply, encoded_call, where
from mxp_agents.kernel._mxp_route import Route
from mxp_agents.kernel._mxp_target import BadTarget, is_registry, split_target

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from mxp.transport import Address, Endpoint
    from mxp_agents.adapters import ModelEvent, ModelRequest, ModelResponse, PriceTable, RetryPolicy

__all__ = ["MxpModel"]

_UNBOUNDED: Final = 86_400.0
"""The MXP wait (seconds) of a model with ``timeout=None``."""


class MxpModel(ProviderModel):
    """A model served by another agent over MXP, used like any model adapter.

    ``target`` is an address (``"127.0.0.1:7001"``, ``("127.0.0.1", 7001)``) or a capability
    (``"model.local.smollm2"``) whose servers are discovered through the registry (``registry=``,
    else the running `Kernel`'s) - a server that does not answer within ``connect_timeout``
    (at most half of ``timeout``), or refuses for a passing reason, gives way to the next one.
    ``endpoint`` defaults to the running `Kernel`'s. Responses keep the served model's
    ``model`` and ``provider``; their cost is the served side's, else priced from ``prices``
    under ``mxp/<model_name>``. ``model_name`` defaults to the capability or ``"host:port"``.
    Retries, timeouts and cost follow `ProviderModel`.

    Example:
        >>> agent = Agent("helper", model=MxpModel("model.openai.gpt-4o-mini"))
        >>> async with Kernel(agent, config=KernelConfig(registry="127.0.0.1:50051")).running():
        ...     ...
    """

    provider = "mxp"

    def __init__(
        self,
        target: str | tuple[str, int],
        *,
        model_name: str | None = None,
        endpoint: Endpoint | None = None,
        registry: str | None = None,
        timeout: float | None = 60.0,
        retry: RetryPolicy | None = None,
        prices: PriceTable | None = None,
        connect_timeout: float = 2.0,
    ) -> None:
        try:
            address, capability, label = split_target(target, "model.local.smollm2")
        except BadTarget as error:
            raise InvalidModelValue(str(error), "$.target") from None
        super().__init__(
            label if model_name is None else model_name, timeout=timeout, retry=retry, prices=prices
        )
        if (
            isinstance(connect_timeout, bool)
            or not isinstance(connect_timeout, int | float)  # pyright: ignore[reportUnnecessaryIsInstance]
            or not math.isfinite(connect_timeout)
            or connect_timeout <= 0
        ):
            raise InvalidModelValue(
                f"connect_timeout must be > 0 seconds, got {connect_timeout!r}",
                "$.connect_timeout",
            )
        if registry is not None and not is_registry(registry):
            raise InvalidModelValue(f"registry must be 'ip:port', got {registry!r}", "$.registry")
        self.target: Final = label
        """The address (``"host:port"``) or capability the model calls."""
        self._route = Route(
            address=address,
            capability=capability,
            endpoint=endpoint,
            registry=registry,
            connect_timeout=float(connect_timeout),
            model=self.model_name,
        )

    def __repr__(self) -> str:
        return f"MxpModel({self.target!r}, model={self.model_name!r})"

    # -- one attempt -------------------------------------------------------------------------

    async def _complete_once(self, request: ModelRequest) -> ModelResponse:
        timeout = self.timeout
        deadline_ms = None if timeout is None else max(1, math.ceil(timeout * 1000))
        body = encoded_call(ModelCall(model_request=request, deadline_ms=deadline_ms))
        wait = _UNBOUNDED if timeout is None else timeout

        async def attempt(endpoint: Endpoint, peer: Address) -> mxp.Message:
            reply = await endpoint.request(new_message(MessageType.CALL, body), peer, wait)
            check_reply(reply, where(peer), model=self.model_name)
            return reply

        reply = await self._route.call(attempt, timeout)
        if reply.type is not MessageType.RESPONSE:
            raise self._malformed(f"expected a Response, got a {reply.type.name} frame")
        try:
            return decode_response(reply.payload)
        except msgspec.MsgspecError as error:
            raise self._malformed(f"unreadable ModelResponse: {error}") from None

    async def _stream_once(self, request: ModelRequest) -> AsyncGenerator[ModelEvent]:
        body = encoded_call(ModelCall(model_request=request, stream=True))
        wait = _UNBOUNDED if self.timeout is None else self.timeout

        async def attempt(endpoint: Endpoint, peer: Address) -> tuple[AsyncGenerator[bytes], bytes]:
            message = new_message(MessageType.CALL, body)
            chunks = cast("AsyncGenerator[bytes]", endpoint.request_stream(message, peer, wait))
            try:
                first = await anext(chunks, None)
            except RemoteError as error:
                await _aclose(chunks)
                if isinstance(error.reply, mxp.Message):
                    check_reply(error.reply, where(peer), model=self.model_name)
                raise
            except BaseException:
                await _aclose(chunks)
                raise
            if first is None:
                await _aclose(chunks)
                raise self._malformed("the stream ended before its first event")
            return chunks, first

        chunks, chunk = await self._route.call(attempt, self.timeout)
        async with aclosing(chunks):
            while True:
                try:
                    item = decode_item(chunk)
                except msgspec.MsgspecError as error:
                    raise self._malformed(f"unreadable stream item: {error}") from None
                if isinstance(item, ModelStreamError):
                    raise error_of(item, model=self.model_name, where=self.target)
                yield item
                next_chunk = await anext(chunks, None)
                if next_chunk is None:
                    return
                chunk = next_chunk

    def _map_error(self, error: Exception) -> ModelError | None:
        place, model = self.target, self.model_name
        if isinstance(error, RequestTimeout):
            return ModelTimeoutError(
                f"no answer from the model server at {place} within {error.timeout:g}s",
                provider=self.provider,
                model=model,
            )
        if isinstance(error, RemoteError):
            reply = error.reply
            if isinstance(reply, mxp.Message):
                body = decode_error(reply.payload)
            else:
                body = ModelErrorBody(error=error.error, code=error.code)
            return error_of(body, model=model, where=place)
        if isinstance(error, StreamError):
            return TransientModelError(
                f"the stream from the model server at {place} failed: {error}",
                provider=self.provider,
                model=model,
            )
        if isinstance(error, EndpointClosed):
            return ModelError(str(error), provider=self.provider, model=model, retryable=False)
        if isinstance(error, PeerUnavailable):
            return error.error
        return None

    def _malformed(self, text: str) -> MalformedResponseError:
        return MalformedResponseError(
            f"model server at {self.target}: {text}", provider=self.provider, model=self.model_name
        )


async def _aclose(chunks: AsyncGenerator[bytes]) -> None:
    with trio.CancelScope(shield=True):
        await chunks.aclose()

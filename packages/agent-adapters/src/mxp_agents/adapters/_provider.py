"""`ProviderModel`: what every provider adapter shares — retries, timeouts, errors and cost."""

from __future__ import annotations

import abc
import math
from typing import TYPE_CHECKING, Final, NoReturn, Self, TypeVar

import msgspec
import trio

from mxp_agents.adapters._cost import PriceTable
from mxp_agents.adapters._errors import (
    InvalidModelValue,
    MalformedResponseError,
    ModelError,
    ModelTimeoutError,
)
from mxp_agents.adapters._events import Finish, ModelEvent, UsageUpdate
from mxp_agents.adapters._redact import redact
from mxp_agents.adapters._request import ModelRequest
from mxp_agents.adapters._retry import RetryPolicy
from mxp_agents.adapters._streams import close_stream
from mxp_agents.primitives import Usage

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
    from types import TracebackType

    from mxp_agents.adapters._response import ModelResponse

__all__ = ["ProviderModel"]

T = TypeVar("T")

_DEFAULT_PRICES: Final = PriceTable()
_CHARS_PER_TOKEN: Final = 4
_CAUSE_CHARS: Final = 300


class ProviderModel(abc.ABC):
    """Base of the provider adapters: one attempt is the subclass's, the rest is shared.

    A subclass implements ``_complete_once`` (one non-streaming call), ``_stream_once`` (one
    streaming call, an async generator of events ending with `Finish`) and ``_map_error``
    (SDK exception → `ModelError`). This class adds, identically for every provider:

    - retries with exponential backoff and jitter per ``retry`` (a `RetryPolicy`), honouring
      a rate limit's ``retry_after``; the SDK's own retries must be off, so nothing retries
      twice. A stream is retried only before its first event;
    - ``timeout``: the whole call for `complete`, the wait for each event for `stream`;
      exceeding it raises `ModelTimeoutError` (retryable);
    - errors mapped into the `ModelError` hierarchy, labelled with provider and model;
    - cost: every `UsageUpdate` and `ModelResponse` carries its price in US dollars from
      ``prices`` (a `PriceTable`), or None for a model the table does not know;
    - closing: the provider stream is closed when the caller closes or cancels the stream.

    Example:
        >>> from mxp_agents.adapters.openai import OpenAIModel
        >>> model = OpenAIModel("gpt-4o-mini", retry=RetryPolicy(max_attempts=5), timeout=30)
        >>> async with model:
        ...     response = await model.complete(request)
        >>> response.cost  # doctest: +SKIP
        0.000132
    """

    provider: str
    """The provider's short name (a class attribute of each subclass: ``provider = "openai"``)."""

    def __init__(
        self,
        model: str,
        *,
        timeout: float | None = 60.0,
        retry: RetryPolicy | None = None,
        prices: PriceTable | None = None,
    ) -> None:
        if not isinstance(model, str) or not model.strip():  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidModelValue(f"a model name is a non-empty str, got {model!r}", "$.model")
        if timeout is not None and (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)  # pyright: ignore[reportUnnecessaryIsInstance]
            or not math.isfinite(timeout)
            or timeout <= 0
        ):
            raise InvalidModelValue(
                f"timeout must be > 0 seconds or None, got {timeout!r}", "$.timeout"
            )
        if retry is not None and not isinstance(retry, RetryPolicy):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidModelValue(f"expected RetryPolicy, got {type(retry).__name__}", "$.retry")
        if prices is not None and not isinstance(prices, PriceTable):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidModelValue(f"expected PriceTable, got {type(prices).__name__}", "$.prices")
        self._model = model
        self.timeout: float | None = timeout
        """Seconds a call (`complete`) or the wait for one event (`stream`) may take."""
        self.retry: RetryPolicy = retry if retry is not None else RetryPolicy()
        """How failed calls are retried."""
        self.prices: PriceTable = prices if prices is not None else _DEFAULT_PRICES
        """The prices used to report each call's cost."""

    @property
    def model_name(self) -> str:
        """The model's name as the provider knows it.

        Example:
            >>> OpenAIModel("gpt-4o-mini").model_name  # doctest: +SKIP
            'gpt-4o-mini'
        """
        return self._model

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self._model!r})"

    # -- the shared behaviour ----------------------------------------------------------------

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """The whole answer to ``request``, retried and timed per the adapter's settings.

        Raises:
            ModelError: the subclass matching the failure, after the retries allowed.

        Example:
            >>> response = await model.complete(ModelRequest((Message.user("Hi"),)))
        """
        _check_request(request)
        response = await self.call_with_retries(lambda: self._complete_once(request))
        if response.cost is None:
            cost = self.prices.cost(self.provider, self._model, response.usage)
            if cost is not None:
                response = msgspec.structs.replace(response, cost=cost)
        return response

    async def call_with_retries(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """Run ``attempt`` (one SDK call) with this adapter's retries, timeout and error mapping.

        What `complete` does around one call, for other calls on the same client (the
        embedders use it): each attempt is bounded by ``timeout``, an SDK exception becomes a
        `ModelError` (keys masked, not chained), and retryable errors are retried per ``retry``.

        Example:
            >>> reply = await model.call_with_retries(lambda: model.client.models.list())
        """
        tries = 0
        while True:
            tries += 1
            try:
                return await self._timed(attempt())
            except Exception as exc:
                error = self._translate(exc)
                wait = self.retry.delay(tries, error)
                if wait is None:
                    _raise(error, exc)
                await trio.sleep(wait)

    async def stream(self, request: ModelRequest) -> AsyncGenerator[ModelEvent]:
        """Stream the answer to ``request``: text and tool-call deltas, usage, one `Finish`.

        Closing the generator (or cancelling the task that iterates it) closes the provider's
        stream. Retries happen only before the first event.

        Example:
            >>> async for event in model.stream(request):
            ...     print(event)
        """
        _check_request(request)
        attempt = 0
        while True:
            attempt += 1
            events = self._stream_once(request)
            started = False
            wait = 0.0
            try:
                finished = False
                while True:
                    try:
                        event = await self._timed(_next(events))
                    except StopAsyncIteration:
                        break
                    if finished:
                        raise MalformedResponseError(  # noqa: TRY301 - handled like the SDK's
                            f"got a {type(event).__name__} event after the Finish event",
                            provider=self.provider,
                            model=self._model,
                        )
                    started = True
                    finished = isinstance(event, Finish)
                    yield self._priced(event)
                if not finished:
                    raise MalformedResponseError(  # noqa: TRY301 - handled like the SDK's
                        "the stream ended without a Finish event",
                        provider=self.provider,
                        model=self._model,
                    )
                return
            except Exception as exc:
                error = self._translate(exc)
                delay = None if started else self.retry.delay(attempt, error)
                if delay is None:
                    _raise(error, exc)
                wait = delay
            finally:
                await close_stream(events)
            await trio.sleep(wait)

    async def aclose(self) -> None:
        """Close the provider client this adapter owns (a client passed in stays open).

        Example:
            >>> await model.aclose()
        """
        await self._close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def estimate_cost(self, request: ModelRequest) -> float | None:
        """An upper-bound guess of what ``request`` will cost, before it is sent.

        Input tokens are estimated at four characters each; output at the request's
        ``max_output_tokens`` (0 when unset). None when the model is not priced. The kernel
        uses it to stop a run before a call would exceed the run's cost budget.

        Example:
            >>> model.estimate_cost(ModelRequest((Message.user("x" * 4000),)))  # doctest: +SKIP
            0.00015
        """
        price = self.prices.price(self.provider, self._model)
        if price is None:
            return None
        characters = sum(len(m.content) for m in request.messages)
        characters += sum(len(msgspec.json.encode(t)) for t in request.tools)
        usage = Usage(
            input_tokens=-(-characters // _CHARS_PER_TOKEN),
            output_tokens=request.max_output_tokens or 0,
        )
        return price.cost(usage)

    # -- what a provider implements ----------------------------------------------------------

    @abc.abstractmethod
    async def _complete_once(self, request: ModelRequest) -> ModelResponse:
        """One attempt at a non-streaming call."""

    @abc.abstractmethod
    def _stream_once(self, request: ModelRequest) -> AsyncIterator[ModelEvent]:
        """One attempt at a streaming call: an async generator of events ending with Finish."""

    @abc.abstractmethod
    def _map_error(self, error: Exception) -> ModelError | None:
        """``error`` (raised by the SDK) as a `ModelError`, or None if it is not one."""

    async def _close(self) -> None:  # noqa: B027 - optional hook, nothing to close by default
        """Close what the adapter owns (the SDK client it built)."""

    # -- helpers -----------------------------------------------------------------------------

    async def _timed(self, awaitable: Awaitable[T]) -> T:
        if self.timeout is None:
            return await awaitable
        try:
            with trio.fail_after(self.timeout):
                return await awaitable
        except trio.TooSlowError:
            raise ModelTimeoutError(
                f"no answer within {self.timeout:g}s (the adapter's timeout)",
                provider=self.provider,
                model=self._model,
            ) from None

    def _translate(self, error: Exception) -> ModelError:
        if isinstance(error, ModelError):
            return error
        mapped = self._map_error(error)
        if mapped is None:
            raise error
        return mapped

    def _priced(self, event: ModelEvent) -> ModelEvent:
        if isinstance(event, UsageUpdate) and event.cost is None:
            cost = self.prices.cost(self.provider, self._model, event.usage)
            if cost is not None:
                return UsageUpdate(event.usage, cost=cost)
        return event


async def _next(events: AsyncIterator[ModelEvent]) -> ModelEvent:
    return await anext(events)


def _raise(error: ModelError, cause: Exception) -> NoReturn:
    if error is cause:
        raise error
    # The SDK's exception is not chained: its message and request objects can carry the API
    # key (servers echo it). A redacted one-line summary keeps the diagnosis.
    summary = redact(str(cause)).replace("\n", " ")[:_CAUSE_CHARS]
    error.add_note(f"from {type(cause).__module__}.{type(cause).__qualname__}: {summary}")
    raise error from None


def _check_request(request: object) -> None:
    if not isinstance(request, ModelRequest):
        raise InvalidModelValue(f"expected ModelRequest, got {type(request).__name__}", "$")

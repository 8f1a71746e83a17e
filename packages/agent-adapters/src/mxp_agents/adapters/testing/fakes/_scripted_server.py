"""What every fake provider has in common: `ScriptedFakeServer` (a script of replies played by a
loopback server) and `FakeServerHarness` (the conformance harness skeleton around one)."""

from __future__ import annotations

import abc
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Final, Generic, Protocol, Self, TypedDict, TypeVar

import trio

from mxp_agents.adapters._retry import NO_RETRY
from mxp_agents.adapters.testing.conformance import FEATURES
from mxp_agents.adapters.testing.http import FakeHTTPServer

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Sequence

    from mxp_agents.adapters._cost import PriceTable
    from mxp_agents.adapters._provider import ProviderModel
    from mxp_agents.adapters._retry import RetryPolicy
    from mxp_agents.adapters.testing.conformance import Reply, SeenRequest
    from mxp_agents.adapters.testing.http import HTTPRequest, HTTPResponse, StreamingResponse

__all__ = [
    "DEFAULT_EMBED_DIMENSIONS",
    "EXHAUSTED",
    "AdapterSettings",
    "Closable",
    "FakeServerHarness",
    "ScriptedFakeServer",
]

EXHAUSTED: Final = "fake server: script exhausted"
"""The error message of a fake asked for more replies than its script has."""

DEFAULT_EMBED_DIMENSIONS: Final = 8
"""The vector length a fake's embeddings endpoint answers with unless asked for another."""

FakeT = TypeVar("FakeT", bound="ScriptedFakeServer")
ModelT = TypeVar("ModelT", bound="ProviderModel")
ClientT = TypeVar("ClientT", bound="Closable")


class Closable(Protocol):
    """A raw SDK client: something with an async ``close()``."""

    async def close(self) -> object:
        """Release its connections."""
        ...


class ScriptedFakeServer(abc.ABC):
    """A loopback `FakeHTTPServer` that answers from a script of `Reply`s; subclasses speak a
    provider's wire format in `_handle`.

    `take` gives the next reply (from the start again when ``cycle``; None past the end, which
    the subclass answers with its provider's HTTP 500 `EXHAUSTED`). The subclass appends what it
    reads back from each request to `seen`.

    Example:
        >>> class Echo(ScriptedFakeServer):
        ...     async def _handle(self, request: HTTPRequest) -> HTTPResponse:
        ...         reply = await self.take()
        ...         return HTTPResponse.text(EXHAUSTED if reply is None else reply.text)
        >>> async with Echo([Reply(text="Hi")]).serving() as fake:  # doctest: +SKIP
        ...     fake.url
        'http://127.0.0.1:40233'
    """

    def __init__(self, replies: Sequence[Reply] = (), *, cycle: bool = False) -> None:
        self.replies: list[Reply] = list(replies)
        self.cycle = cycle
        self.seen: list[SeenRequest] = []
        """The requests received, in order, read back into `SeenRequest` terms."""
        self.server = FakeHTTPServer(self._handle)
        self.embed_dimensions: int = DEFAULT_EMBED_DIMENSIONS
        """The length of the vectors the embeddings endpoint makes when not asked for one."""
        self.embed_requests: list[dict[str, Any]] = []
        """The JSON bodies of the embeddings requests received, in order."""
        self._next = 0
        self._serving = False

    @asynccontextmanager
    async def serving(self) -> AsyncGenerator[Self]:
        """Serve on a free port of 127.0.0.1 until the block ends.

        Example:
            >>> async with FakeOpenAI([Reply(text="Hi")]).serving() as fake:  # doctest: +SKIP
            ...     fake.url
            'http://127.0.0.1:40233'
        """
        async with self.server.serving():
            self._serving = True
            try:
                yield self
            finally:
                self._serving = False

    @property
    def serving_now(self) -> bool:
        """Whether the server is up (inside `serving`).

        Example:
            >>> Echo().serving_now  # doctest: +SKIP
            False
        """
        return self._serving

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` while serving.

        Example:
            >>> fake.url  # doctest: +SKIP
            'http://127.0.0.1:40233'
        """
        return self.server.url

    @property
    def disconnects(self) -> int:
        """Streamed answers the client abandoned before their end.

        Example:
            >>> Echo().disconnects  # doctest: +SKIP
            0
        """
        return self.server.disconnects

    @property
    def requests(self) -> list[HTTPRequest]:
        """Every HTTP request received (any path), as sent.

        Example:
            >>> Echo().requests  # doctest: +SKIP
            []
        """
        return self.server.requests

    async def take(self) -> Reply | None:
        """The script's next reply, once its ``delay`` has passed; None when it is exhausted.

        Example:
            >>> fake = Echo([Reply(text="a")], cycle=True)  # doctest: +SKIP
            >>> [(await fake.take()).text for _ in range(2)]  # doctest: +SKIP
            ['a', 'a']
        """
        if self._next >= len(self.replies):
            if not (self.cycle and self.replies):
                return None
            self._next = 0
        reply = self.replies[self._next]
        self._next += 1
        if reply.delay > 0:
            await trio.sleep(reply.delay)
        return reply

    @abc.abstractmethod
    async def _handle(self, request: HTTPRequest) -> HTTPResponse | StreamingResponse:
        """Answer one HTTP request in the provider's wire format."""


class AdapterSettings(TypedDict):
    """What `FakeServerHarness.model` passes on to the adapter it builds."""

    retry: RetryPolicy
    timeout: float | None
    prices: PriceTable | None


class FakeServerHarness(abc.ABC, Generic[FakeT, ModelT, ClientT]):
    """The conformance `Harness` skeleton of an adapter talking to a `ScriptedFakeServer`.

    `model` starts a fresh fake (`_new_fake`) and builds the adapter against it
    (`_new_adapter`, with NO_RETRY unless a policy is given); at the end it closes the adapter
    and the raw SDK client `direct_call` got from `_direct_client` (made by `_new_client` on
    first use, as a client costs ~50 ms to build). Subclasses set the class attributes and
    write the three ``_new_*`` hooks and `direct_call`.

    Example:
        >>> class EchoHarness(FakeServerHarness[Echo, EchoModel, EchoClient]):
        ...     name = model_name = "echo"
        ...     api_key = "k"
        ...     def _new_fake(self, replies, *, cycle):
        ...         return Echo(replies, cycle=cycle)
        ...     def _new_adapter(self, fake, settings):
        ...         return EchoModel(base_url=fake.url, **settings)
        ...     def _new_client(self, fake):
        ...         return EchoClient(base_url=fake.url, timeout=self._timeout)
        ...     async def direct_call(self, request):
        ...         return await self._direct_client().send(request)
        >>> async with EchoHarness().model([Reply(text="Hi")]) as model:  # doctest: +SKIP
        ...     (await model.complete(request)).text
        'Hi'
    """

    name: str
    model_name: str
    api_key: str
    scriptable: bool = True
    features: frozenset[str] = FEATURES

    def __init__(self) -> None:
        self._fake: FakeT | None = None
        self._timeout: float | None = None
        self._client: ClientT | None = None

    @abc.abstractmethod
    def _new_fake(self, replies: Sequence[Reply], *, cycle: bool) -> FakeT:
        """A fake server that plays ``replies``."""

    @abc.abstractmethod
    def _new_adapter(self, fake: FakeT, settings: AdapterSettings) -> ModelT:
        """The adapter under test, aimed at ``fake``."""

    @abc.abstractmethod
    def _new_client(self, fake: FakeT) -> ClientT:
        """The raw SDK client `direct_call` uses, aimed at ``fake``."""

    @asynccontextmanager
    async def model(
        self,
        replies: Sequence[Reply],
        *,
        retry: RetryPolicy | None = None,
        timeout: float | None = 10.0,  # noqa: ASYNC109 - the adapter's timeout, per Harness
        prices: PriceTable | None = None,
        cycle: bool = False,
    ) -> AsyncGenerator[ModelT]:
        """The adapter aimed at a fresh fake playing ``replies`` (NO_RETRY by default).

        Example:
            >>> async with OpenAIHarness().model([Reply(text="Hi")]) as model:  # doctest: +SKIP
            ...     (await model.complete(request)).text
            'Hi'
        """
        fake = self._new_fake(replies, cycle=cycle)
        self._fake = fake
        async with fake.serving():
            settings = AdapterSettings(
                retry=NO_RETRY if retry is None else retry, timeout=timeout, prices=prices
            )
            adapter = self._new_adapter(fake, settings)
            self._timeout = timeout
            try:
                yield adapter
            finally:
                client, self._client = self._client, None
                with trio.CancelScope(shield=True):
                    await adapter.aclose()
                    if client is not None:
                        await client.close()

    def seen(self) -> list[SeenRequest]:
        """The requests of the current (or last) `model` block.

        Example:
            >>> OpenAIHarness().seen()  # doctest: +SKIP
            []
        """
        return [] if self._fake is None else list(self._fake.seen)

    @property
    def disconnects(self) -> int:
        """Streamed answers the client abandoned, in the current (or last) `model` block.

        Example:
            >>> OpenAIHarness().disconnects  # doctest: +SKIP
            0
        """
        return 0 if self._fake is None else self._fake.disconnects

    def _direct_client(self) -> ClientT:
        """The raw SDK client of `direct_call` for the current `model` block, made on first
        use; `RuntimeError` outside a block.

        Example:
            >>> OpenAIHarness()._direct_client()  # doctest: +SKIP
            Traceback (most recent call last):
            RuntimeError: OpenAIHarness.direct_call: call it inside `async with model()`
        """
        fake = self._fake
        if fake is None or not fake.serving_now:
            name = type(self).__name__
            raise RuntimeError(f"{name}.direct_call: call it inside `async with model()`")
        if self._client is None:
            self._client = self._new_client(fake)
        return self._client

"""Building the ``google-genai`` client on an ``httpx.AsyncClient`` (trio-safe, no SDK retries),
and catching the HTTP responses of a streamed call so that closing the stream closes them."""

from __future__ import annotations

import functools
import math
import ssl
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Final

import httpx
from google import genai
from google.genai import types

if TYPE_CHECKING:
    from collections.abc import Generator

__all__ = ["API_VERSION", "build_client", "capturing", "default_http_client", "watch_responses"]

API_VERSION: Final = "v1beta"

_CAPTURE: ContextVar[list[httpx.Response] | None] = ContextVar(
    "mxp_agents_gemini_capture", default=None
)


class _NoSyncTransport(httpx.BaseTransport):
    """The SDK also builds a blocking client; the adapter never uses it, so it sends nothing."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise RuntimeError("the Gemini adapter makes no blocking HTTP calls")


@functools.cache
def _tls() -> ssl.SSLContext:
    # Loading the CA bundle takes tens of milliseconds: do it once for every client we make.
    return httpx.create_ssl_context()


def default_http_client(timeout: float | None) -> httpx.AsyncClient:
    """The HTTP client an adapter makes (and owns) when it is given none.

    Example:
        >>> default_http_client(30.0).timeout.read
        30.0
    """
    return httpx.AsyncClient(timeout=timeout, verify=_tls())


def build_client(
    *, key: str, base_url: str | None, timeout: float | None, http_client: httpx.AsyncClient
) -> genai.Client:
    """A Gemini Developer API client whose every async request goes through ``http_client``.

    The SDK's retries are off (``retry_options`` unset means one attempt); ``timeout`` (seconds)
    is passed per request, in milliseconds, as the SDK expects.

    Example:
        >>> client = build_client(
        ...     key="AIza...", base_url=None, timeout=60.0, http_client=httpx.AsyncClient()
        ... )
        >>> client.vertexai
        False
    """
    options = types.HttpOptions(
        base_url=base_url,
        api_version=API_VERSION,
        timeout=None if timeout is None else math.ceil(timeout * 1000),
        httpx_async_client=http_client,
        httpx_client=httpx.Client(transport=_NoSyncTransport(), trust_env=False),
        retry_options=None,
        # The SDK makes a TLS context for its websocket (Live) API unless given one; the adapter
        # never opens a websocket, so an empty one saves loading the CA bundle per client.
        async_client_args={"ssl": ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)},
    )
    return genai.Client(vertexai=False, api_key=key, http_options=options)


async def _remember_response(response: httpx.Response) -> None:
    bucket = _CAPTURE.get()
    if bucket is not None:
        bucket.append(response)


def watch_responses(client: httpx.AsyncClient) -> None:
    """Add the response hook that `capturing` relies on to ``client`` (once).

    The hook only records responses while a `capturing` block is active in the same task; for
    any other use of the client it does nothing.

    Example:
        >>> client = httpx.AsyncClient()
        >>> watch_responses(client)
        >>> len(client.event_hooks["response"])
        1
    """
    hooks = client.event_hooks
    if _remember_response not in hooks["response"]:
        client.event_hooks = {**hooks, "response": [*hooks["response"], _remember_response]}


@contextmanager
def capturing(bucket: list[httpx.Response]) -> Generator[None]:
    """Within the block, the HTTP responses this task receives are appended to ``bucket``.

    The SDK's stream is a chain of nested async generators: closing the outer one does not
    close the HTTP response at once, so the adapter closes the responses it caught here.

    Example:
        >>> responses: list[httpx.Response] = []
        >>> with capturing(responses):  # doctest: +SKIP
        ...     chunk = await anext(stream)
    """
    token = _CAPTURE.set(bucket)
    try:
        yield
    finally:
        _CAPTURE.reset(token)

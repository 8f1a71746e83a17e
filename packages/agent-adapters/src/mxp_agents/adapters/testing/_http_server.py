"""`FakeHTTPServer`: HTTP/1.1 on 127.0.0.1 with trio and h11, answering through a handler."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable, Generator
from contextlib import asynccontextmanager
from functools import partial
from typing import Final
from urllib.parse import parse_qsl, unquote

import h11
import trio

from mxp_agents.adapters.testing._http_types import (
    Handler,
    HTTPRequest,
    HTTPResponse,
    StreamingResponse,
)

__all__ = ["FakeHTTPServer"]

_RECEIVE_SIZE: Final = 65536
_NETWORK_ERRORS: Final = (trio.BrokenResourceError, trio.ClosedResourceError)


class FakeHTTPServer:
    """A loopback HTTP/1.1 server (keep-alive, chunked bodies both ways) for fake providers.

    Each request is read in full, recorded in `requests`, and answered with what ``handler``
    returns: an `HTTPResponse`, or a `StreamingResponse` sent chunk by chunk. A handler that
    raises is answered with HTTP 500 (the error's text as body) and its exception is kept in
    `errors`. Streams the client abandoned before their end count in `disconnects`, streams
    sent to the end in `completed_streams`; `connections` counts accepted connections.

    Example:
        >>> import httpx, trio
        >>> async def handler(request: HTTPRequest) -> HTTPResponse:
        ...     return HTTPResponse.json({"echo": request.json()})
        >>> async def main() -> object:
        ...     async with FakeHTTPServer(handler).serving() as server:
        ...         async with httpx.AsyncClient(base_url=server.url) as client:
        ...             return (await client.post("/echo", json=[1])).json()
        >>> trio.run(main)
        {'echo': [1]}
    """

    def __init__(self, handler: Handler) -> None:
        self.handler: Handler = handler
        self.requests: list[HTTPRequest] = []
        self.errors: list[BaseException] = []
        self.disconnects = 0
        self.completed_streams = 0
        self.connections = 0
        self._url: str | None = None

    @property
    def url(self) -> str:
        """``"http://127.0.0.1:<port>"`` while `serving`; `RuntimeError` otherwise.

        Example:
            >>> async with FakeHTTPServer(handler).serving() as server:  # doctest: +SKIP
            ...     server.url
            'http://127.0.0.1:53211'
        """
        if self._url is None:
            raise RuntimeError(
                "FakeHTTPServer.url: the server is not serving; use `async with server.serving()`"
            )
        return self._url

    @asynccontextmanager
    async def serving(self) -> AsyncGenerator[FakeHTTPServer, None]:
        """Serve on a free port of 127.0.0.1 until the block ends, then close every connection.

        Exceptions of the block propagate unchanged (not wrapped in an exception group).

        Example:
            >>> async with FakeHTTPServer(handler).serving() as server:  # doctest: +SKIP
            ...     response = await httpx.AsyncClient().get(server.url + "/v1/models")
        """
        if self._url is not None:
            raise RuntimeError("FakeHTTPServer.serving(): the server is already serving")
        body_error: BaseException | None = None
        async with trio.open_nursery() as nursery:
            serve = partial(trio.serve_tcp, self._serve_connection, 0, host="127.0.0.1")
            listeners: list[trio.SocketListener] = await nursery.start(serve)
            port: int = listeners[0].socket.getsockname()[1]
            self._url = f"http://127.0.0.1:{port}"
            try:
                yield self
            except BaseException as error:  # re-raised below, outside the nursery
                body_error = error
            finally:
                self._url = None
                nursery.cancel_scope.cancel()
        if body_error is not None:
            raise body_error

    async def _serve_connection(self, stream: trio.SocketStream) -> None:
        self.connections += 1
        connection = h11.Connection(h11.SERVER)
        try:
            while True:
                request = await _read_request(connection, stream)
                if request is None:
                    return
                self.requests.append(request)
                if not await self._answer(connection, stream, request):
                    return
                if connection.our_state is not h11.DONE or connection.their_state is not h11.DONE:
                    return
                connection.start_next_cycle()
        except h11.RemoteProtocolError as error:
            await _send_bad_request(connection, stream, error)
        except _NETWORK_ERRORS:
            pass
        except Exception as error:  # e.g. an invalid status or header value: recorded
            self.errors.append(error)
        finally:
            await trio.aclose_forcefully(stream)

    async def _answer(
        self, connection: h11.Connection, stream: trio.SocketStream, request: HTTPRequest
    ) -> bool:
        """Answer ``request``; False when the connection must be closed afterwards."""
        try:
            response = _checked(await self.handler(request))
        except Exception as error:
            self.errors.append(error)
            response = HTTPResponse.text(f"{type(error).__name__}: {error}", status=500)
        if isinstance(response, HTTPResponse):
            headers = _header_list(response.headers, {"content-length": str(len(response.body))})
            await _send(
                connection, stream, h11.Response(status_code=response.status, headers=headers)
            )
            await _send(connection, stream, h11.Data(data=response.body))
            await _send(connection, stream, h11.EndOfMessage())
            return True
        return await self._stream(connection, stream, response)

    async def _stream(
        self, connection: h11.Connection, stream: trio.SocketStream, response: StreamingResponse
    ) -> bool:
        """Send ``response`` chunk by chunk; True when it was sent to its end."""
        headers = _header_list(response.headers, {"transfer-encoding": "chunked"})
        await _send(connection, stream, h11.Response(status_code=response.status, headers=headers))
        counted = finished = failed = False
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_watch_for_close, connection, stream, nursery.cancel_scope)
            try:
                await _send_chunks(connection, stream, response)
                # Counted before the client can see the end, so it can assert right away.
                self.completed_streams += 1
                counted = True
                await _send(connection, stream, h11.EndOfMessage())
                finished = True
            except _NETWORK_ERRORS:
                pass  # the client went away: counted below
            except Exception as error:  # the handler's chunk source failed mid-stream
                self.errors.append(error)
                failed = True
            finally:
                if counted and not finished:
                    self.completed_streams -= 1
            nursery.cancel_scope.cancel()
        # Not finished and not failed: a send failed or the watcher saw the client close.
        if not finished and not failed:
            self.disconnects += 1
        return finished

    def __repr__(self) -> str:
        return (
            f"FakeHTTPServer(url={self._url!r}, requests={len(self.requests)}, "
            f"disconnects={self.disconnects}, completed_streams={self.completed_streams}, "
            f"errors={len(self.errors)})"
        )


def _checked(response: object) -> HTTPResponse | StreamingResponse:
    if not isinstance(response, (HTTPResponse, StreamingResponse)):
        raise TypeError(
            "FakeHTTPServer handler must return HTTPResponse or StreamingResponse, "
            f"got {type(response).__name__}"
        )
    return response


async def _read_request(
    connection: h11.Connection, stream: trio.SocketStream
) -> HTTPRequest | None:
    """The next whole request, or None when the client closed the connection between requests."""
    head: h11.Request | None = None
    body = bytearray()
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            if connection.they_are_waiting_for_100_continue:
                await _send(
                    connection, stream, h11.InformationalResponse(status_code=100, headers=[])
                )
            connection.receive_data(await stream.receive_some(_RECEIVE_SIZE))
        elif isinstance(event, h11.Request):
            head = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage) and head is not None:
            return _to_request(head, bytes(body))
        elif isinstance(event, h11.ConnectionClosed):
            return None


def _to_request(head: h11.Request, body: bytes) -> HTTPRequest:
    target = head.target.decode("latin-1")
    path, _, query = target.partition("?")
    headers: dict[str, str] = {}
    for raw_name, raw_value in head.headers:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return HTTPRequest(
        method=head.method.decode("latin-1"),
        path=unquote(path),
        query=dict(parse_qsl(query, keep_blank_values=True)),
        headers=headers,
        body=body,
    )


async def _send_chunks(
    connection: h11.Connection, stream: trio.SocketStream, response: StreamingResponse
) -> None:
    """Send every chunk of ``response``, then close its chunk source (even when cancelled)."""
    first = True

    async def emit(chunk: bytes) -> None:
        nonlocal first
        if not isinstance(chunk, (bytes, bytearray)):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(
                f"StreamingResponse chunk must be bytes, got {type(chunk).__name__}: {chunk!r:.80}"
            )
        if not first and response.chunk_delay > 0:
            await trio.sleep(response.chunk_delay)
        first = False
        if chunk:
            await _send(connection, stream, h11.Data(data=bytes(chunk)))

    chunks = response.chunks
    if isinstance(chunks, AsyncIterable):
        async_iterator = aiter(chunks)
        try:
            async for chunk in async_iterator:
                await emit(chunk)
        finally:
            if isinstance(async_iterator, AsyncGenerator):
                await async_iterator.aclose()
    else:
        iterator = iter(chunks)
        try:
            for chunk in iterator:
                await emit(chunk)
        finally:
            if isinstance(iterator, Generator):
                iterator.close()


async def _watch_for_close(
    connection: h11.Connection, stream: trio.SocketStream, scope: trio.CancelScope
) -> None:
    """While a stream is sent: cancel ``scope`` once the client closes its side."""
    try:
        while data := await stream.receive_some(_RECEIVE_SIZE):
            connection.receive_data(data)  # an early next request: kept for the next cycle
    except _NETWORK_ERRORS:
        pass
    scope.cancel()


async def _send(connection: h11.Connection, stream: trio.SocketStream, event: h11.Event) -> None:
    data = connection.send(event)
    if data:
        await stream.send_all(data)


async def _send_bad_request(
    connection: h11.Connection, stream: trio.SocketStream, error: h11.RemoteProtocolError
) -> None:
    if connection.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
        return
    body = f"bad request: {error}".encode()
    headers = [("content-type", "text/plain"), ("content-length", str(len(body)))]
    try:
        await _send(connection, stream, h11.Response(status_code=400, headers=headers))
        await _send(connection, stream, h11.Data(data=body))
        await _send(connection, stream, h11.EndOfMessage())
    except (*_NETWORK_ERRORS, h11.LocalProtocolError):
        pass


def _header_list(headers: dict[str, str], extra: dict[str, str]) -> list[tuple[str, str]]:
    merged = {name.lower(): value for name, value in headers.items()}
    merged.pop("content-length", None)
    merged.pop("transfer-encoding", None)
    merged.update(extra)
    return list(merged.items())

"""The loopback HTTP server kit, over real sockets with httpx."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager

import httpx
import pytest
import trio

from mxp_agents.adapters.testing.http import (
    FakeHTTPServer,
    Handler,
    HTTPRequest,
    HTTPResponse,
    StreamingResponse,
    ndjson_line,
    sse_event,
)

TIMEOUT = 5.0


@asynccontextmanager
async def served(handler: Handler) -> AsyncGenerator[tuple[FakeHTTPServer, httpx.AsyncClient]]:
    """A serving fake server and an httpx client aimed at it."""
    async with (
        FakeHTTPServer(handler).serving() as server,
        httpx.AsyncClient(base_url=server.url) as client,
    ):
        yield server, client


async def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition()`` for up to ~2 s (bounded), failing with ``what``."""
    for _ in range(400):
        if condition():
            return
        await trio.sleep(0.005)
    raise AssertionError(f"timed out waiting until {what}")


async def echo(request: HTTPRequest) -> HTTPResponse:
    return HTTPResponse.json(
        {"method": request.method, "path": request.path, "body": request.json()},
        headers={"X-Request-Id": "req_1"},
    )


async def test_json_round_trip() -> None:
    with trio.fail_after(TIMEOUT):
        async with served(echo) as (server, client):
            response = await client.post("/v1/chat/completions", json={"model": "m"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"] == "req_1"
    assert response.json() == {
        "method": "POST",
        "path": "/v1/chat/completions",
        "body": {"model": "m"},
    }
    [request] = server.requests
    assert request.json() == {"model": "m"}
    assert request.headers["content-type"] == "application/json"


async def test_keep_alive_reuses_one_connection() -> None:
    with trio.fail_after(TIMEOUT):
        async with served(echo) as (server, client):
            for index in range(3):
                response = await client.post(f"/n/{index}", json=index)
                assert response.json()["body"] == index
    assert [request.path for request in server.requests] == ["/n/0", "/n/1", "/n/2"]
    assert server.connections == 1


async def test_query_and_lower_cased_headers() -> None:
    async def handler(request: HTTPRequest) -> HTTPResponse:
        return HTTPResponse(204)

    with trio.fail_after(TIMEOUT):
        async with served(handler) as (server, client):
            response = await client.get(
                "/v1beta/models/gemini-2.0-flash:streamGenerateContent",
                params={"alt": "sse", "key": "AIza-fake"},
                headers={"X-Goog-Api-Key": "AIza-fake", "Anthropic-Version": "2023-06-01"},
            )
    assert response.status_code == 204
    [request] = server.requests
    assert request.method == "GET"
    assert request.path == "/v1beta/models/gemini-2.0-flash:streamGenerateContent"
    assert request.query == {"alt": "sse", "key": "AIza-fake"}
    assert request.headers["x-goog-api-key"] == "AIza-fake"
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert all(name == name.lower() for name in request.headers)
    assert request.body == b""


async def test_chunked_request_body() -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b'{"model": '
        yield b'"m", "stream": '
        yield b"true}"

    with trio.fail_after(TIMEOUT):
        async with served(echo) as (server, client):
            response = await client.post("/chunked", content=body())
    assert response.json()["body"] == {"model": "m", "stream": True}
    [request] = server.requests
    assert request.headers["transfer-encoding"] == "chunked"
    assert request.body == b'{"model": "m", "stream": true}'


async def test_streamed_sse_is_read_incrementally() -> None:
    first_read = trio.Event()
    produced: list[str] = []

    async def chunks() -> AsyncIterator[bytes]:
        produced.append("first")
        yield sse_event({"delta": "Hel"}, event="delta")
        await first_read.wait()
        produced.append("last")
        yield sse_event({"delta": "lo"}, event="delta")
        yield sse_event("[DONE]")

    async def handler(request: HTTPRequest) -> StreamingResponse:
        return StreamingResponse(chunks(), headers={"Cache-Control": "no-cache"})

    with trio.fail_after(TIMEOUT):
        async with FakeHTTPServer(handler).serving() as server:
            async with (
                httpx.AsyncClient(base_url=server.url) as client,
                client.stream("POST", "/v1/messages", json={"stream": True}) as response,
            ):
                assert response.headers["content-type"] == "text/event-stream"
                assert response.headers["cache-control"] == "no-cache"
                assert response.headers["transfer-encoding"] == "chunked"
                lines = response.aiter_lines()
                assert await anext(lines) == "event: delta"
                assert await anext(lines) == 'data: {"delta":"Hel"}'
                assert produced == ["first"]  # the last chunk is not produced yet
                first_read.set()
                rest = [line async for line in lines]
            assert server.completed_streams == 1  # counted before the client sees the end
    assert produced == ["first", "last"]
    assert rest == ["", "event: delta", 'data: {"delta":"lo"}', "", "data: [DONE]", ""]
    assert server.disconnects == 0


async def test_completed_stream_with_chunk_delay_and_keep_alive() -> None:
    lines = [ndjson_line({"n": index, "done": index == 2}) for index in range(3)]

    async def handler(request: HTTPRequest) -> HTTPResponse | StreamingResponse:
        if request.path == "/api/chat":
            return StreamingResponse(lines, chunk_delay=0.01, content_type="application/x-ndjson")
        return HTTPResponse.text("ok")

    with trio.fail_after(TIMEOUT):
        async with served(handler) as (server, client):
            started = trio.current_time()
            response = await client.post("/api/chat", json={})
            elapsed = trio.current_time() - started
            after = await client.get("/api/version")
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.content == b"".join(lines)
    assert elapsed >= 0.02  # two delays between three chunks
    assert after.text == "ok"
    assert server.completed_streams == 1
    assert server.disconnects == 0
    assert server.connections == 1


async def test_client_closing_mid_stream_counts_a_disconnect() -> None:
    never = trio.Event()
    closed = trio.Event()

    async def chunks() -> AsyncIterator[bytes]:
        try:
            yield sse_event({"delta": "partial"})
            await never.wait()
            yield sse_event({"delta": "never sent"})
        finally:
            closed.set()

    async def handler(request: HTTPRequest) -> HTTPResponse | StreamingResponse:
        if request.path == "/stream":
            return StreamingResponse(chunks())
        return HTTPResponse.json({"ok": True})

    with trio.fail_after(TIMEOUT):
        async with served(handler) as (server, client):
            async with client.stream("GET", "/stream") as response:
                first = await anext(response.aiter_raw())
            assert first == sse_event({"delta": "partial"})
            await wait_until(lambda: server.disconnects == 1, "the disconnect is counted")
            await closed.wait()  # the chunk generator was closed
            assert (await client.post("/ok", json=1)).json() == {"ok": True}  # still serving
    assert server.completed_streams == 0
    assert server.disconnects == 1


async def test_disconnect_of_an_endless_stream_with_chunk_delay() -> None:
    def endless() -> Iterator[bytes]:
        index = 0
        while True:
            yield ndjson_line({"n": index})
            index += 1

    async def handler(request: HTTPRequest) -> StreamingResponse:
        return StreamingResponse(endless(), chunk_delay=0.001)

    with trio.fail_after(TIMEOUT):
        async with served(handler) as (server, client):
            async with client.stream("GET", "/stream") as response:
                async for line in response.aiter_lines():
                    if line == '{"n":3}':
                        break
            await wait_until(lambda: server.disconnects == 1, "the disconnect is counted")
    assert server.completed_streams == 0


async def test_handler_exception_answers_500_and_is_recorded() -> None:
    async def handler(request: HTTPRequest) -> HTTPResponse:
        if request.path == "/boom":
            raise ValueError("no reply scripted for /boom")
        return HTTPResponse.json({"ok": True})

    with trio.fail_after(TIMEOUT):
        async with served(handler) as (server, client):
            failed = await client.get("/boom")
            fine = await client.get("/fine")
    assert failed.status_code == 500
    assert "no reply scripted for /boom" in failed.text
    assert fine.json() == {"ok": True}
    [error] = server.errors
    assert isinstance(error, ValueError)
    assert server.connections == 1  # the 500 did not drop the connection


async def test_chunk_source_failing_mid_stream_is_recorded_not_a_disconnect() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"data: {}\n\n"
        raise RuntimeError("fake stream broke")

    async def handler(request: HTTPRequest) -> StreamingResponse:
        return StreamingResponse(chunks())

    with trio.fail_after(TIMEOUT):
        async with served(handler) as (server, client):
            with pytest.raises(httpx.RemoteProtocolError):
                await client.get("/stream")
    assert [str(error) for error in server.errors] == ["fake stream broke"]
    assert (server.disconnects, server.completed_streams) == (0, 0)


async def test_exit_closes_cleanly_with_a_stream_in_progress() -> None:
    closed = trio.Event()

    async def chunks() -> AsyncIterator[bytes]:
        try:
            yield b"data: 1\n\n"
            await trio.sleep_forever()
        finally:
            closed.set()

    async def handler(request: HTTPRequest) -> StreamingResponse:
        return StreamingResponse(chunks())

    with trio.fail_after(TIMEOUT):
        async with httpx.AsyncClient() as client:
            server = FakeHTTPServer(handler)
            async with server.serving():
                request = client.build_request("GET", server.url + "/stream")
                response = await client.send(request, stream=True)
                raw = response.aiter_raw()
                assert await anext(raw) == b"data: 1\n\n"
            assert closed.is_set()
            with pytest.raises(httpx.RemoteProtocolError):
                _ = [chunk async for chunk in raw]
            await response.aclose()
    with pytest.raises(RuntimeError, match="not serving"):
        _ = server.url


async def test_errors_in_the_block_propagate_unwrapped() -> None:
    with pytest.raises(KeyError, match="boom"):
        async with FakeHTTPServer(echo).serving():
            raise KeyError("boom")


async def test_status_and_headers_pass_through() -> None:
    async def handler(request: HTTPRequest) -> HTTPResponse:
        return HTTPResponse.json(
            {"error": {"type": "rate_limit_error"}},
            status=429,
            headers={"Retry-After": "2", "retry-after-ms": "1500"},
        )

    with trio.fail_after(TIMEOUT):
        async with served(handler) as (server, client):
            response = await client.post("/v1/messages", json={})
    assert response.status_code == 429
    assert [request.path for request in server.requests] == ["/v1/messages"]
    assert response.headers["retry-after"] == "2"
    assert response.headers["retry-after-ms"] == "1500"
    assert response.json() == {"error": {"type": "rate_limit_error"}}


def test_chunk_helpers() -> None:
    assert sse_event({"a": 1}) == b'data: {"a":1}\n\n'
    assert sse_event({"type": "ping"}, event="ping") == b'event: ping\ndata: {"type":"ping"}\n\n'
    assert sse_event("[DONE]") == b"data: [DONE]\n\n"
    assert sse_event("two\nlines") == b"data: two\ndata: lines\n\n"
    assert ndjson_line({"done": True}) == b'{"done":true}\n'
    assert HTTPRequest("POST", "/", {}, {}, b'{"a": [1]}').json() == {"a": [1]}


def test_streaming_response_rejects_a_single_bytes_object() -> None:
    with pytest.raises(TypeError, match="iterable of bytes chunks"):
        StreamingResponse(b"data: {}\n\n")  # pyright: ignore[reportArgumentType]
    with pytest.raises(ValueError, match="chunk_delay"):
        StreamingResponse([], chunk_delay=-1)


async def test_a_bad_handler_answer_is_a_recorded_500() -> None:
    async def handler(request: HTTPRequest) -> HTTPResponse:
        if request.path == "/none":
            return None  # pyright: ignore[reportReturnType]
        return HTTPResponse(99)  # not a valid final status: h11 refuses to send it

    with trio.fail_after(TIMEOUT):
        async with served(handler) as (server, client):
            response = await client.get("/none")
            with pytest.raises(httpx.RemoteProtocolError):
                await client.get("/bad-status")
    assert response.status_code == 500
    assert "got NoneType" in response.text
    assert [type(error).__name__ for error in server.errors] == ["TypeError", "LocalProtocolError"]

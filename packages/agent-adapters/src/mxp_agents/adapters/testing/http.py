"""A loopback HTTP/1.1 server kit for writing fake provider servers in tests (shipped, like
``trio.testing``).

A fake provider server is an async handler from `HTTPRequest` to an `HTTPResponse` (a whole
JSON or text answer) or a `StreamingResponse` (chunks sent with chunked transfer encoding and
flushed one by one, e.g. `sse_event` or `ndjson_line` chunks). `FakeHTTPServer` runs the
handler on 127.0.0.1 with trio and h11, so a REAL SDK client can talk to it over a real
socket; it records every request, the handler's errors, and how many streamed answers the
client abandoned (`disconnects`) or read to the end (`completed_streams`).

Needs the ``h11`` package (only this kit does).

Example:
    >>> import httpx, trio
    >>> from mxp_agents.adapters.testing.http import (
    ...     FakeHTTPServer, HTTPRequest, HTTPResponse, StreamingResponse, sse_event)
    >>> async def handler(request: HTTPRequest) -> HTTPResponse | StreamingResponse:
    ...     if request.json().get("stream"):
    ...         return StreamingResponse([sse_event({"text": "Hi"}), sse_event("[DONE]")])
    ...     return HTTPResponse.json({"text": "Hi"})
    >>> async def main() -> tuple[object, int]:
    ...     async with FakeHTTPServer(handler).serving() as server:
    ...         async with httpx.AsyncClient(base_url=server.url) as client:
    ...             answer = (await client.post("/chat", json={"stream": False})).json()
    ...             await client.post("/chat", json={"stream": True})
    ...         return answer, server.completed_streams
    >>> trio.run(main)
    ({'text': 'Hi'}, 1)
"""

from mxp_agents.adapters.testing._http_server import FakeHTTPServer
from mxp_agents.adapters.testing._http_types import (
    Handler,
    HTTPRequest,
    HTTPResponse,
    StreamingResponse,
    ndjson_line,
    sse_event,
)

__all__ = [
    "FakeHTTPServer",
    "HTTPRequest",
    "HTTPResponse",
    "Handler",
    "StreamingResponse",
    "ndjson_line",
    "sse_event",
]

"""Requests and answers of the loopback HTTP server kit, and SSE / NDJSON chunk helpers."""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping
from typing import Any, Final, TypeAlias

import msgspec

__all__ = [
    "HTTPRequest",
    "HTTPResponse",
    "Handler",
    "StreamingResponse",
    "ndjson_line",
    "sse_event",
]

_encoder: Final = msgspec.json.Encoder()


class HTTPRequest(msgspec.Struct, frozen=True):
    """One request the fake server received, body read in full.

    ``path`` is percent-decoded and has no query; ``query`` keeps the last value of each
    parameter; header names are lower-cased (repeated headers are joined with ``", "``).

    Example:
        >>> request = HTTPRequest("POST", "/v1/chat", {}, {"content-type": "application/json"},
        ...                       b'{"model": "m"}')
        >>> request.json()["model"], request.headers["content-type"]
        ('m', 'application/json')
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body decoded as JSON (raises `msgspec.DecodeError` when it is not JSON).

        Example:
            >>> HTTPRequest("POST", "/", {}, {}, b"[1, 2]").json()
            [1, 2]
        """
        return msgspec.json.decode(self.body)

    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced).

        Example:
            >>> HTTPRequest("POST", "/", {}, {}, b"hi").text()
            'hi'
        """
        return self.body.decode("utf-8", errors="replace")


class HTTPResponse(msgspec.Struct, frozen=True):
    """A whole answer, sent with a ``content-length`` header.

    Example:
        >>> HTTPResponse(404, {"content-type": "text/plain"}, b"no such model").status
        404
    """

    status: int = 200
    headers: dict[str, str] = {}
    body: bytes = b""

    @classmethod
    def json(
        cls, value: object, *, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> HTTPResponse:
        """An answer whose body is ``value`` as JSON, with ``content-type: application/json``.

        Example:
            >>> HTTPResponse.json({"error": "bad key"}, status=401).body
            b'{"error":"bad key"}'
        """
        merged = {"content-type": "application/json"}
        merged.update(_lower(headers))
        return cls(status, merged, _encoder.encode(value))

    @classmethod
    def text(
        cls, value: str, *, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> HTTPResponse:
        """An answer whose body is ``value`` as UTF-8, with a ``text/plain`` content type.

        Example:
            >>> HTTPResponse.text("script exhausted", status=500).body
            b'script exhausted'
        """
        merged = {"content-type": "text/plain; charset=utf-8"}
        merged.update(_lower(headers))
        return cls(status, merged, value.encode())


class StreamingResponse:
    """A streamed answer: ``chunks`` are sent with chunked transfer encoding, each flushed as
    soon as it is produced, with ``chunk_delay`` seconds awaited between two chunks.

    ``chunks`` may be a (lazy) iterable or an async iterable of bytes; an async generator is
    closed when the stream ends or the client goes away. ``content_type`` sets the
    ``content-type`` header unless ``headers`` has one.

    Example:
        >>> response = StreamingResponse(
        ...     [sse_event({"delta": "Hel"}), sse_event({"delta": "lo"}), b"data: [DONE]\\n\\n"],
        ...     chunk_delay=0.01,
        ... )
        >>> response.headers["content-type"]
        'text/event-stream'
    """

    __slots__ = ("chunk_delay", "chunks", "headers", "status")

    chunks: Iterable[bytes] | AsyncIterable[bytes]
    status: int
    headers: dict[str, str]
    chunk_delay: float

    def __init__(
        self,
        chunks: Iterable[bytes] | AsyncIterable[bytes],
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        chunk_delay: float = 0.0,
        content_type: str = "text/event-stream",
    ) -> None:
        if isinstance(chunks, (bytes, bytearray, memoryview, str)):
            raise TypeError(
                "StreamingResponse: chunks must be an iterable of bytes chunks, "
                f"not a single {type(chunks).__name__} (wrap it in a list)"
            )
        if chunk_delay < 0:
            raise ValueError(f"StreamingResponse: chunk_delay must be >= 0, got {chunk_delay}")
        self.chunks = chunks
        self.status = status
        self.headers = {"content-type": content_type}
        self.headers.update(_lower(headers))
        self.chunk_delay = chunk_delay

    def __repr__(self) -> str:
        return (
            f"StreamingResponse(status={self.status}, headers={self.headers!r}, "
            f"chunk_delay={self.chunk_delay})"
        )


Handler: TypeAlias = Callable[[HTTPRequest], Awaitable[HTTPResponse | StreamingResponse]]
"""What a `FakeHTTPServer` calls for each request: an async function returning the answer."""


def sse_event(data: object, *, event: str | None = None) -> bytes:
    """One server-sent event: an optional ``event:`` line, ``data:`` line(s), a blank line.

    A ``str`` (or ``bytes``) ``data`` is sent verbatim (one ``data:`` line per line of it, as
    for OpenAI's ``[DONE]``); anything else is encoded as compact JSON.

    Example:
        >>> sse_event({"type": "ping"}, event="ping")
        b'event: ping\\ndata: {"type":"ping"}\\n\\n'
        >>> sse_event("[DONE]")
        b'data: [DONE]\\n\\n'
    """
    if isinstance(data, str):
        payload = data
    elif isinstance(data, (bytes, bytearray)):
        payload = bytes(data).decode()
    else:
        payload = _encoder.encode(data).decode()
    lines = [f"event: {event}"] if event is not None else []
    lines.extend(f"data: {line}" for line in payload.split("\n"))
    return ("\n".join(lines) + "\n\n").encode()


def ndjson_line(value: object) -> bytes:
    """``value`` as one line of newline-delimited JSON (compact JSON and ``\\n``).

    Example:
        >>> ndjson_line({"done": False})
        b'{"done":false}\\n'
    """
    return _encoder.encode(value) + b"\n"


def _lower(headers: Mapping[str, str] | None) -> dict[str, str]:
    return {name.lower(): value for name, value in (headers or {}).items()}

"""`EndpointConfig`: every tunable of an endpoint, validated on construction."""

from __future__ import annotations

import math

import msgspec

from mxp._transport._errors import EndpointConfigError
from mxp._types import HEADER_SIZE

MAX_UDP_PAYLOAD = 65_507
"""Largest IPv4 UDP payload; a frame (payload + 40 bytes) must fit in it."""
FRAME_OVERHEAD = HEADER_SIZE + 8
STREAM_PREFIX_SIZE = 15
"""Bytes of the stream body prefix (see `mxp._transport._wire`)."""


class EndpointConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Tunables of an `Endpoint`; every field has a default and is checked on construction.

    Times are in seconds, sizes in bytes. A wrong value raises `EndpointConfigError` naming the
    field (msgspec reports it with its path when the config is decoded from TOML or JSON).

    Example:
        >>> config = EndpointConfig(initial_rto=0.02, max_concurrent_handlers=64)
        >>> config.max_rto
        1.0
    """

    initial_rto: float = 0.05
    """First retransmission timeout of a request, an Ack wait or a stream frame."""
    max_rto: float = 1.0
    """Ceiling of the retransmission timeout after exponential backoff."""
    backoff: float = 2.0
    """Factor applied to the retransmission timeout after each retransmission."""
    request_timeout: float = 5.0
    """Default timeout of `Endpoint.request`, `Endpoint.send` (Ack wait) and `request_stream`."""
    dedup_window: int = 4096
    """How many answered (peer, message_id) pairs are remembered to answer retransmissions."""
    dedup_ttl: float = 30.0
    """How long an answered request is remembered; keep it above the peers' request timeout."""
    dedup_max_bytes: int = 64 * 1024 * 1024
    """Byte budget of the cached reply frames in the dedup window."""
    recv_queue_size: int = 1024
    """Requests waiting for a free handler slot; beyond it new requests are dropped and counted."""
    max_concurrent_handlers: int = 256
    """Handlers running at the same time."""
    max_datagram_payload: int = 60_000
    """Largest frame payload sent in one datagram; larger bodies travel as streams."""
    socket_buffer_bytes: int = 4 * 1024 * 1024
    """Requested SO_RCVBUF/SO_SNDBUF (the kernel may grant less); 0 keeps the system default."""
    stream_window: int = 32
    """Stream frames in flight (and buffered out of order) per stream."""
    stream_max_bytes: int = 64 * 1024 * 1024
    """Largest stream body accepted (a reassembled Message is also capped at 16 MiB)."""
    stream_max_chunks: int = 65_536
    """Most chunks one stream may have."""
    stream_max_concurrent: int = 64
    """Inbound streams being reassembled at the same time."""
    stream_max_buffered_bytes: int = 256 * 1024 * 1024
    """Bytes buffered by all inbound streams together."""
    stream_idle_timeout: float = 10.0
    """A stream whose peer stays silent this long fails on both sides and its memory is freed
    (a sender waiting on a slow producer sends keepalives, so only a dead peer or a consumer
    that stops reading trips it)."""

    def __post_init__(self) -> None:
        for name in ("initial_rto", "max_rto", "request_timeout", "dedup_ttl"):
            _positive_number(name, getattr(self, name))
        _positive_number("stream_idle_timeout", self.stream_idle_timeout)
        _positive_number("backoff", self.backoff)
        if self.backoff < 1.0:
            raise EndpointConfigError(
                f"EndpointConfig.backoff: expected a number >= 1, got {self.backoff!r} - "
                "retransmission timeouts must not shrink"
            )
        if self.max_rto < self.initial_rto:
            raise EndpointConfigError(
                f"EndpointConfig.max_rto: expected >= initial_rto ({self.initial_rto!r}), "
                f"got {self.max_rto!r} - raise max_rto or lower initial_rto"
            )
        for name in (
            "dedup_window",
            "dedup_max_bytes",
            "recv_queue_size",
            "max_concurrent_handlers",
            "stream_max_bytes",
            "stream_max_chunks",
            "stream_max_concurrent",
            "stream_max_buffered_bytes",
        ):
            _int_in(name, getattr(self, name), 1, 2**62)
        _int_in("socket_buffer_bytes", self.socket_buffer_bytes, 0, 2**31 - 1)
        _int_in("stream_window", self.stream_window, 2, 4096)
        _int_in("stream_max_chunks", self.stream_max_chunks, 1, 2**31)
        _int_in(
            "max_datagram_payload",
            self.max_datagram_payload,
            STREAM_PREFIX_SIZE + 512,
            MAX_UDP_PAYLOAD - FRAME_OVERHEAD,
        )

    @property
    def chunk_size(self) -> int:
        """Body bytes carried by one StreamChunk frame.

        Example:
            >>> EndpointConfig().chunk_size
            59985
        """
        return self.max_datagram_payload - STREAM_PREFIX_SIZE


def _positive_number(name: str, value: object) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise EndpointConfigError(
            f"EndpointConfig.{name}: expected a number > 0, got {value!r} - "
            "give a positive, finite number of seconds (or a factor for backoff)"
        )


def _int_in(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise EndpointConfigError(
            f"EndpointConfig.{name}: expected int, got {type(value).__name__} ({value!r})"
        )
    if not low <= value <= high:
        raise EndpointConfigError(
            f"EndpointConfig.{name}: expected an int in {low}..{high}, got {value} - "
            "pick a value in that range"
        )

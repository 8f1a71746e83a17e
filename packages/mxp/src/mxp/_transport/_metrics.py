"""Counters of an endpoint, its request latency histogram, and the public snapshot of both."""

from __future__ import annotations

import bisect
from typing import Final

import msgspec

from mxp._types import TYPE_TABLE

_DECADE_STEPS: Final = 10
_LOWEST: Final = 1e-6
_DECADES: Final = 8
LATENCY_BOUNDS: Final[tuple[float, ...]] = tuple(
    _LOWEST * 10 ** (i / _DECADE_STEPS) for i in range(1, _DECADES * _DECADE_STEPS + 1)
)
"""Upper bounds (seconds) of the latency buckets: 10 per decade, 1 µs to 100 s (+ overflow)."""


class LatencyHistogram(msgspec.Struct, frozen=True):
    """Round-trip latencies of `Endpoint.request` calls in fixed log-scale buckets.

    ``counts[i]`` counts latencies ``<= bounds[i]`` (and above the previous bound); the last
    count is the overflow bucket (above 100 s). Quantiles are reported as the bucket's upper
    bound, so they over-estimate by at most one bucket (26 %).

    Example:
        >>> hist = endpoint.metrics().latency
        >>> hist.count, hist.p50(), hist.p99()
        (1000, 0.000126, 0.000398)
    """

    bounds: tuple[float, ...]
    counts: tuple[int, ...]
    count: int
    total_seconds: float

    def quantile(self, q: float) -> float:
        """The latency (seconds) below which a fraction ``q`` of the calls fall; 0.0 if none.

        Example:
            >>> endpoint.metrics().latency.quantile(0.9)
            0.000251
        """
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"quantile: expected q in 0..1, got {q!r}")
        if self.count == 0:
            return 0.0
        rank = max(1, round(q * self.count))
        seen = 0
        for index, n in enumerate(self.counts):
            seen += n
            if seen >= rank:
                return self.bounds[index] if index < len(self.bounds) else float("inf")
        return float("inf")

    def p50(self) -> float:
        """Median latency in seconds (bucket upper bound).

        Example:
            >>> round(endpoint.metrics().latency.p50() * 1e6)  # µs
            126
        """
        return self.quantile(0.5)

    def p99(self) -> float:
        """99th percentile latency in seconds (bucket upper bound).

        Example:
            >>> round(endpoint.metrics().latency.p99() * 1e6)  # µs
            398
        """
        return self.quantile(0.99)

    def mean(self) -> float:
        """Exact mean latency in seconds; 0.0 if no call was measured.

        Example:
            >>> endpoint.metrics().latency.mean()
            0.000131
        """
        return self.total_seconds / self.count if self.count else 0.0


class MetricsSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """A consistent copy of an endpoint's counters at one instant.

    Frame counters are keyed by `MessageType` name (``"CALL"``), decode errors by error class
    name (``"ChecksumMismatch"``), ``dropped`` by reason (``"unexpected_reply"``, ...).

    Example:
        >>> m = endpoint.metrics()
        >>> m.frames_in.get("CALL", 0), m.decode_errors.get("ChecksumMismatch", 0)
        (1000, 3)
        >>> m.latency.p99()
        0.000398
    """

    frames_in: dict[str, int]
    frames_out: dict[str, int]
    bytes_in: int
    bytes_out: int
    decode_errors: dict[str, int]
    retransmits: int
    duplicates_suppressed: int
    streams_opened: int
    streams_completed: int
    streams_failed: int
    streams_rejected: int
    handler_errors: int
    dropped_queue_full: int
    dropped: dict[str, int]
    send_failures: int
    requests: int
    request_timeouts: int
    handlers_running: int
    queued: int
    queue_peak: int
    streams_active: int
    pending_requests: int
    latency: LatencyHistogram


class Counters:
    """The live, mutable counters of one endpoint (internal; read them via `snapshot`)."""

    __slots__ = (
        "bytes_in",
        "bytes_out",
        "decode_errors",
        "dropped",
        "dropped_queue_full",
        "duplicates_suppressed",
        "frames_in",
        "frames_out",
        "handler_errors",
        "latency_counts",
        "latency_sum",
        "request_timeouts",
        "requests",
        "retransmits",
        "send_failures",
        "streams_completed",
        "streams_failed",
        "streams_opened",
        "streams_rejected",
    )

    def __init__(self) -> None:
        self.frames_in = [0] * 256
        self.frames_out = [0] * 256
        self.bytes_in = 0
        self.bytes_out = 0
        self.decode_errors: dict[str, int] = {}
        self.retransmits = 0
        self.duplicates_suppressed = 0
        self.streams_opened = 0
        self.streams_completed = 0
        self.streams_failed = 0
        self.streams_rejected = 0
        self.handler_errors = 0
        self.dropped_queue_full = 0
        self.dropped: dict[str, int] = {}
        self.send_failures = 0
        self.requests = 0
        self.request_timeouts = 0
        self.latency_counts = [0] * (len(LATENCY_BOUNDS) + 1)
        self.latency_sum = 0.0

    def drop(self, reason: str) -> None:
        """Count one datagram dropped for ``reason``."""
        self.dropped[reason] = self.dropped.get(reason, 0) + 1

    def decode_error(self, kind: str) -> None:
        """Count one datagram that failed to decode with error class ``kind``."""
        self.decode_errors[kind] = self.decode_errors.get(kind, 0) + 1

    def observe_latency(self, seconds: float) -> None:
        """Record one request round-trip time."""
        self.latency_counts[bisect.bisect_left(LATENCY_BOUNDS, seconds)] += 1
        self.latency_sum += seconds

    def snapshot(
        self,
        *,
        handlers_running: int,
        queued: int,
        queue_peak: int,
        streams_active: int,
        pending_requests: int,
    ) -> MetricsSnapshot:
        """A frozen copy of the counters plus the given gauges."""
        counts = tuple(self.latency_counts)
        return MetricsSnapshot(
            frames_in=_by_type(self.frames_in),
            frames_out=_by_type(self.frames_out),
            bytes_in=self.bytes_in,
            bytes_out=self.bytes_out,
            decode_errors=dict(self.decode_errors),
            retransmits=self.retransmits,
            duplicates_suppressed=self.duplicates_suppressed,
            streams_opened=self.streams_opened,
            streams_completed=self.streams_completed,
            streams_failed=self.streams_failed,
            streams_rejected=self.streams_rejected,
            handler_errors=self.handler_errors,
            dropped_queue_full=self.dropped_queue_full,
            dropped=dict(self.dropped),
            send_failures=self.send_failures,
            requests=self.requests,
            request_timeouts=self.request_timeouts,
            handlers_running=handlers_running,
            queued=queued,
            queue_peak=queue_peak,
            streams_active=streams_active,
            pending_requests=pending_requests,
            latency=LatencyHistogram(
                bounds=LATENCY_BOUNDS,
                counts=counts,
                count=sum(counts),
                total_seconds=self.latency_sum,
            ),
        )


def _by_type(counts: list[int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for byte, n in enumerate(counts):
        if n:
            message_type = TYPE_TABLE[byte]
            out[message_type.name if message_type is not None else f"0x{byte:02x}"] = n
    return out

"""Units of the transport: stream body format, dedup window, latency histogram."""

from __future__ import annotations

import contextlib
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mxp._transport import _wire as wire
from mxp._transport._dedup import NO_FRAME, RUNNING, DedupWindow, ExpiringLru
from mxp._transport._metrics import LATENCY_BOUNDS, Counters
from mxp.transport import LatencyHistogram, MetricsSnapshot

u64 = st.integers(0, 2**64 - 1)
u32 = st.integers(0, 2**32 - 1)
role = st.sampled_from([wire.ROLE_REQUEST, wire.ROLE_REPLY])


@given(
    role,
    st.integers(0, 2**64 - 1),
    st.integers(1, 2**32 - 2),
    st.booleans(),
    st.binary(max_size=300),
)
def test_chunk_round_trip(r: int, sid: int, seq: int, more: bool, data: bytes) -> None:
    body = wire.pack_chunk(r, sid, seq, more, data)
    assert wire.unpack_prefix(body) == (r, wire.MORE if more else 0, sid, seq)
    assert body[wire.PREFIX_SIZE :] == data


@given(role, u64, st.integers(0, 255), st.integers(0, 15), u64)
def test_open_round_trip(r: int, sid: int, msg_type: int, flags: int, total: int) -> None:
    body = wire.pack_open(r, sid, msg_type, flags, total)
    assert wire.unpack_prefix(body) == (r, 0, sid, 0)
    assert wire.unpack_open(body) == (msg_type, flags, total)


@given(role, u64, u32, st.sampled_from([0, 1, 2]), u64, st.binary(max_size=100))
def test_close_round_trip(r: int, sid: int, seq: int, status: int, total: int, err: bytes) -> None:
    body = wire.pack_close(r, sid, seq, status, total, err)
    assert wire.unpack_prefix(body) == (r, 0, sid, seq)
    assert wire.unpack_close(body) == (status, total, err)


@given(role, st.sampled_from([0, 1]), u64, u32, u32, st.binary(max_size=64))
def test_ack_round_trip(r: int, status: int, sid: int, cum: int, limit: int, tail: bytes) -> None:
    body = wire.pack_ack(r, status, sid, cum, limit, tail)
    assert wire.unpack_ack(body) == (r, status, sid, cum, limit, tail)


@given(st.integers(0, 1000), st.sets(st.integers(1, 64)))
def test_bitmap_round_trip(cum: int, offsets: set[int]) -> None:
    received = {cum + offset for offset in offsets}
    assert wire.bitmap_seqs(cum, wire.make_bitmap(cum, received, 64)) == sorted(received)


def test_bitmap_ignores_seqs_outside_the_span() -> None:
    assert wire.make_bitmap(10, {5, 10}, 64) == b""
    assert wire.bitmap_seqs(10, wire.make_bitmap(10, {11, 200}, 8)) == [11]


def test_abort_carries_reason_and_text() -> None:
    body = wire.pack_abort(wire.ROLE_REQUEST, 9, wire.AbortReason.TOO_LARGE, "over 5 bytes")
    r, status, sid, _, _, tail = wire.unpack_ack(body)
    assert (r, status, sid) == (wire.ROLE_REQUEST, wire.ACK_ABORT, 9)
    assert wire.abort_reason(tail) == ("too_large", "over 5 bytes")
    assert wire.abort_reason(b"") == ("aborted", "the receiver aborted the stream")
    assert wire.abort_reason(b"\xee?")[0] == "aborted"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\x01" * 14,  # too short
        b"\x02" + b"\x00" * 14,  # version 2
        b"\x01\x05" + b"\x00" * 13,  # role 5
        b"\x01\x00\x02" + b"\x00" * 12,  # unknown bits
    ],
)
def test_malformed_prefixes_are_rejected(body: bytes) -> None:
    with pytest.raises(wire.MalformedStreamBody):
        wire.unpack_prefix(body)


@given(st.binary(max_size=40))
def test_any_bytes_either_parse_or_raise_malformed(data: bytes) -> None:
    for parse in (wire.unpack_prefix, wire.unpack_ack, wire.unpack_open, wire.unpack_close):
        with contextlib.suppress(wire.MalformedStreamBody):
            parse(data)


def test_dedup_window_running_answered_and_expiry() -> None:
    window = DedupWindow(size=3, ttl=10.0, max_bytes=100)
    a, b = (("127.0.0.1", 1), 1), (("127.0.0.1", 1), 2)
    assert window.lookup(a, 0.0) is None
    window.start(a)
    assert window.lookup(a, 0.0) is RUNNING
    window.finish(a, b"frame-a", 1.0)
    assert window.lookup(a, 5.0) == b"frame-a"
    assert window.lookup(a, 11.5) is None  # expired
    window.start(b)
    window.finish(b, NO_FRAME, 2.0)
    assert window.lookup(b, 3.0) == NO_FRAME
    assert window.lookup(b, 3.0) is not None


def test_dedup_window_bounds_count_and_bytes_but_never_evicts_running() -> None:
    window = DedupWindow(size=2, ttl=100.0, max_bytes=10)
    keys = [(("127.0.0.1", 1), i) for i in range(10)]
    window.start(keys[9])
    for i, key in enumerate(keys[:5]):
        window.start(key)
        window.finish(key, b"x" * 4, float(i))
    assert len(window) == 2
    assert window.lookup(keys[0], 5.0) is None
    assert window.lookup(keys[4], 5.0) == b"xxxx"
    window.finish(keys[5], b"y" * 11, 6.0)  # over the byte budget on its own: not kept
    assert len(window) == 0
    assert window.lookup(keys[9], 7.0) is RUNNING
    window.forget(keys[9])
    assert window.lookup(keys[9], 7.0) is None


def test_expiring_lru() -> None:
    lru = ExpiringLru[str, int](size=2, ttl=10.0)
    lru.put("a", 1, now=0.0)
    lru.put("b", 2, now=1.0)
    lru.put("c", 3, now=2.0)
    assert len(lru) == 2
    assert lru.get("a", 3.0) is None
    assert lru.get("b", 3.0) == 2
    assert lru.get("c", 12.5) is None


def test_latency_histogram_quantiles() -> None:
    counters = Counters()
    for _ in range(98):
        counters.observe_latency(100e-6)
    counters.observe_latency(5e-3)
    counters.observe_latency(1000.0)  # overflow bucket
    snapshot = counters.snapshot(
        handlers_running=0, queued=0, queue_peak=0, streams_active=0, pending_requests=0
    )
    assert isinstance(snapshot, MetricsSnapshot)
    hist = snapshot.latency
    assert isinstance(hist, LatencyHistogram)
    assert hist.count == 100
    assert hist.bounds == LATENCY_BOUNDS
    assert len(hist.counts) == len(LATENCY_BOUNDS) + 1
    assert 100e-6 <= hist.p50() < 100e-6 * 1.26
    assert 5e-3 <= hist.p99() < 5e-3 * 1.26
    assert hist.quantile(1.0) == float("inf")
    assert hist.quantile(0.0) == hist.p50()
    assert hist.mean() == pytest.approx((98 * 100e-6 + 5e-3 + 1000.0) / 100)
    with pytest.raises(ValueError, match="quantile"):
        hist.quantile(1.5)
    empty = Counters().snapshot(
        handlers_running=0, queued=0, queue_peak=0, streams_active=0, pending_requests=0
    )
    assert (empty.latency.p50(), empty.latency.p99(), empty.latency.mean()) == (0.0, 0.0, 0.0)


def test_bucket_bounds_are_log_spaced() -> None:
    ratios = {round(b / a, 6) for a, b in itertools.pairwise(LATENCY_BOUNDS)}
    assert ratios == {round(10**0.1, 6)}
    assert LATENCY_BOUNDS[0] == pytest.approx(1.2589e-6, rel=1e-3)
    assert LATENCY_BOUNDS[-1] == pytest.approx(100.0)

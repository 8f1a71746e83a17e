"""The sending half's reliability: unacknowledged frames, congestion control and ending.

`SendWindow` holds an outbound stream's state: the frames not yet acknowledged, the flow-control
limit the receiver advertises, the congestion window (slow start, halving on loss), the RTT
estimate, selective-ack fast retransmission and retransmission on timeout, and how the stream
completes or fails. `mxp._transport._outbound.OutboundStream` adds the producer API and the timer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Self

import trio

from mxp._transport import _wire as wire
from mxp._transport._errors import StreamError

if TYPE_CHECKING:
    from collections.abc import Callable

    from mxp._transport._config import EndpointConfig
    from mxp._transport._io import DatagramIo
    from mxp._transport._types import Address

_INITIAL_CWND: Final = 8.0


class Sent:
    """One unacknowledged frame of an outbound stream."""

    __slots__ = ("first", "frame", "last", "sends")

    def __init__(self, frame: bytes, now: float) -> None:
        self.frame = frame
        self.first = now
        self.last = now
        self.sends = 1


def _last_sent(entry: Sent) -> float:
    return entry.last


class SendWindow:
    """An outbound stream's window: acks, congestion control, retransmission and ending."""

    __slots__ = (
        "_finished",
        "_kick",
        "_recovery_until",
        "_space",
        "close_frame",
        "close_seq",
        "config",
        "cum",
        "cwnd",
        "done",
        "error",
        "io",
        "last_ack",
        "last_frame",
        "last_sent",
        "limit",
        "next_seq",
        "on_done",
        "on_end",
        "peer",
        "role",
        "rto",
        "scope",
        "srtt",
        "ssthresh",
        "stream_id",
        "total",
        "trace_id",
        "unacked",
    )

    def __init__(
        self,
        io: DatagramIo,
        config: EndpointConfig,
        *,
        peer: Address,
        stream_id: int,
        role: int,
        trace_id: int,
    ) -> None:
        self.io = io
        self.config = config
        self.peer = peer
        self.stream_id = stream_id
        self.role = role
        self.trace_id = trace_id
        self.unacked: dict[int, Sent] = {}
        self.next_seq: int = 0
        self.cum = 0
        self.limit = config.stream_window
        self.cwnd = min(_INITIAL_CWND, float(config.stream_window))
        self.ssthresh = float(config.stream_window)
        self._recovery_until = 0
        self.close_seq: int | None = None
        self.close_frame = b""
        self.total: int = 0
        self.error: StreamError | None = None
        self.done = False
        self.rto = config.initial_rto
        self.srtt = 0.0
        self.last_ack = trio.current_time()
        self.last_sent = self.last_ack
        self.last_frame = b""
        self.on_done: Callable[[], None] | None = None
        self.on_end: Callable[[Self], None] | None = None
        self._space: trio.Event | None = None
        self._kick = trio.Event()
        self._finished = trio.Event()
        self.scope = trio.CancelScope()

    # -- feedback ----------------------------------------------------------------------------

    def on_ack(self, status: int, cum: int, limit: int, tail: bytes, now: float) -> None:
        """Apply a stream Ack from the receiver."""
        if self.done:
            return
        self.last_ack = now
        if status == wire.ACK_ABORT:
            reason, text = wire.abort_reason(tail)
            self._fail(
                StreamError(
                    reason,
                    f"{self.peer[0]}:{self.peer[1]} refused stream {self.stream_id:#018x}: {text}",
                )
            )
            return
        unacked = self.unacked
        newly = 0
        if cum > self.cum:
            for seq in range(self.cum, min(cum, self.next_seq)):
                entry = unacked.pop(seq, None)
                if entry is not None:
                    newly += 1
                    if entry.sends == 1:
                        self._sample(now - entry.first)
            self.cum = min(cum, self.next_seq)
        sacked = wire.bitmap_seqs(cum, tail) if tail and status == wire.ACK_PROGRESS else []
        for seq in sacked:
            if unacked.pop(seq, None) is not None:
                newly += 1
        if newly:
            self.rto = self.config.initial_rto
            if self.cwnd < self.ssthresh:
                self.cwnd = min(self.cwnd + newly, float(self.config.stream_window))
            else:
                self.cwnd = min(self.cwnd + newly / self.cwnd, float(self.config.stream_window))
        self.limit = max(self.limit, min(limit, self.cum + self.config.stream_window))
        if status == wire.ACK_COMPLETE or (
            self.close_seq is not None and self.cum > self.close_seq
        ):
            self._complete()
            return
        if sacked:
            self._fast_retransmit(max(sacked), now)
        self._wake_space()

    def _sample(self, rtt: float) -> None:
        self.srtt = rtt if self.srtt == 0.0 else self.srtt + (rtt - self.srtt) / 8

    def _fast_retransmit(self, top: int, now: float) -> None:
        threshold = now - (self.srtt * 1.5 if self.srtt else self.config.initial_rto / 4)
        resent = False
        for seq, entry in self.unacked.items():
            if seq >= top:
                break
            if entry.last <= threshold:
                self._resend(entry, now)
                resent = True
        if resent and self.cum >= self._recovery_until:
            self._recovery_until = self.next_seq
            self.ssthresh = max(2.0, self.cwnd / 2)
            self.cwnd = self.ssthresh

    def _resend(self, entry: Sent, now: float) -> None:
        entry.last = now
        entry.sends += 1
        self.io.counters.retransmits += 1
        self.io.send_now(entry.frame, self.peer)

    def _on_timeout(self, now: float) -> None:
        """Retransmission timeout: resend the oldest frames (within the window), back off."""
        rto = self.rto
        budget = max(1, int(self.cwnd))
        oldest = min(self.unacked.values(), key=_last_sent)
        self._resend(oldest, now)  # always progress, whatever the rounding
        budget -= 1
        for entry in self.unacked.values():
            if budget == 0:
                break
            if entry is not oldest and entry.last + rto <= now:
                self._resend(entry, now)
                budget -= 1
        self.ssthresh = max(2.0, self.cwnd / 2)
        self.cwnd = 2.0
        self.rto = min(self.rto * self.config.backoff, self.config.max_rto)

    # -- ending ------------------------------------------------------------------------------

    def _wake_space(self) -> None:
        space = self._space
        if space is not None and (
            self.done or self.next_seq < min(self.limit, self.cum + int(self.cwnd))
        ):
            self._space = None
            space.set()

    def _complete(self) -> None:
        self.done = True
        self.unacked.clear()
        self.io.counters.streams_completed += 1
        self._end()

    def _fail(self, error: StreamError) -> None:
        if self.done:
            return
        self.done = True
        self.error = error
        self.unacked.clear()
        self.io.counters.streams_failed += 1
        self._end()

    def _end(self) -> None:
        self._finished.set()
        self._wake_space()
        self.scope.cancel()
        if self.on_end is not None:
            self.on_end(self)
        if self.on_done is not None:
            self.on_done()

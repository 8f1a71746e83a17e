"""`EndpointCore`: the state an endpoint's parts share, and peer address resolution.

`Endpoint` is assembled from the parts that use this state: the request side
(`mxp._transport._requests`), the receive path (`mxp._transport._receive`) and the handler
runner (`mxp._transport._handling`). The core holds the socket, the counters, the waiting calls,
the at-most-once window, the timer and the stream table, and resolves peer addresses (cached).
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Final, cast

import trio

from mxp._transport._address import resolve_peer
from mxp._transport._dedup import DedupWindow
from mxp._transport._io import DatagramIo
from mxp._transport._metrics import Counters
from mxp._transport._waiter import RetransmitTimer, Waiter
from mxp._types import FLAGS_TABLE, Flags

if TYPE_CHECKING:
    from mxp._transport._agents import AgentPool
    from mxp._transport._config import EndpointConfig
    from mxp._transport._stream_table import StreamTable
    from mxp._transport._types import Address, Handler
    from mxp._types import MessageType

_RECV_SIZE: Final = 65_536
_MAX_PEER_CACHE: Final = 1024
WANTS_ACK: Final = frozenset(f for f in FLAGS_TABLE if f & Flags.REQUIRES_ACK)
"""Every flags value with REQUIRES_ACK set: ``msg.flags in WANTS_ACK`` is the receive-path test."""


class EndpointCore:
    """State shared by the parts of an `Endpoint` (the pool and streams are set by `Endpoint`)."""

    _pool: AgentPool
    _streams: StreamTable

    def __init__(self, sock: socket.socket, config: EndpointConfig, nursery: trio.Nursery) -> None:
        """Internal: `Endpoint.__init__` completes it."""
        self._sock = sock
        self._config = config
        self._nursery = nursery
        self._v6 = sock.family == socket.AF_INET6
        host, port = cast("tuple[str, int]", sock.getsockname()[:2])
        self._local: Address = (host, port)
        self._counters = Counters()
        label = f"[{host}]:{port}" if self._v6 else f"{host}:{port}"
        self._label = label
        self._io = DatagramIo(sock, self._counters, label)
        self._handlers: dict[MessageType, Handler] = {}
        self._pending: dict[int, Waiter] = {}
        self._ack_waiters: dict[int, Waiter] = {}
        self._dedup = DedupWindow(
            size=config.dedup_window, ttl=config.dedup_ttl, max_bytes=config.dedup_max_bytes
        )
        self._buffer = bytearray(_RECV_SIZE)
        self._view = memoryview(self._buffer)
        self._running: int = 0
        self._timer = RetransmitTimer(self._io, config)
        self._peers: dict[tuple[str, int], Address] = {}
        self._max_payload = config.max_datagram_payload
        self._now: float = trio.current_time()
        self._closed = False

    async def _resolve(self, addr: Address) -> Address:
        """The canonical ``(ip, port)`` of ``addr`` (cached)."""
        peer = await resolve_peer(addr, v6=self._v6, label=self._label)
        if len(self._peers) >= _MAX_PEER_CACHE:
            self._peers.clear()
        self._peers[addr] = peer
        return peer

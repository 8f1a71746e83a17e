"""Reliability through a lossy relay on 127.0.0.1: drops, duplicates and reordering."""

from __future__ import annotations

import os
import random
import socket
from collections import Counter
from collections.abc import AsyncIterator

import trio

from mxp import Message, MessageType
from mxp.transport import Address, Endpoint, EndpointConfig, new_message

HOST = "127.0.0.1"


class LossyRelay:
    """Forwards datagrams between one client and one server, badly (seeded, reproducible).

    Each datagram is dropped with probability ``drop``; a kept one is duplicated with
    probability ``duplicate`` and held back with probability ``reorder`` until the next datagram
    in the same direction has gone through.
    """

    def __init__(
        self,
        server: Address,
        *,
        seed: int,
        drop: float = 0.20,
        duplicate: float = 0.05,
        reorder: float = 0.10,
    ) -> None:
        self.server = server
        self.rng = random.Random(seed)
        self.drop = drop
        self.duplicate = duplicate
        self.reorder = reorder
        self.client: Address | None = None
        self.held: dict[bool, bytes | None] = {True: None, False: None}
        self.stats: Counter[str] = Counter()
        self.sock = trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)

    @property
    def address(self) -> Address:
        host, port = self.sock.getsockname()
        return (host, port)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        await self.sock.bind((HOST, 0))
        task_status.started()
        rng = self.rng
        while True:
            data, source = await self.sock.recvfrom(65536)
            to_client = source == self.server
            if not to_client:
                self.client = source
            target = self.client if to_client else self.server
            if target is None:
                continue
            if rng.random() < self.drop:
                self.stats["dropped"] += 1
                continue
            copies = 2 if rng.random() < self.duplicate else 1
            self.stats["duplicated"] += copies - 1
            if self.held[to_client] is None and rng.random() < self.reorder:
                self.held[to_client] = data  # overtaken by the next datagram
                self.stats["reordered"] += 1
                continue
            for _ in range(copies):
                await self.sock.sendto(data, target)
            late = self.held[to_client]
            if late is not None:
                self.held[to_client] = None
                await self.sock.sendto(late, target)


async def test_thousand_requests_through_a_lossy_relay_each_run_exactly_once() -> None:
    executions: Counter[int] = Counter()

    async def handler(request: Message, peer: Address) -> Message:
        executions[request.message_id] += 1
        return request.reply(MessageType.RESPONSE, request.payload[::-1])

    config = EndpointConfig(initial_rto=0.02, max_rto=0.2)
    async with Endpoint.bind(HOST, 0, config=config) as server:
        server.set_handler(MessageType.CALL, handler)
        relay = LossyRelay(server.local_address, seed=20240521)
        async with trio.open_nursery() as nursery:
            await nursery.start(relay.run)
            async with Endpoint.bind(HOST, 0, config=config) as client:
                sent: list[int] = []
                replies: dict[int, bytes] = {}
                limit = trio.Semaphore(48)

                async def one(i: int) -> None:
                    async with limit:
                        request = new_message(MessageType.CALL, f"request {i}".encode())
                        sent.append(request.message_id)
                        reply = await client.request(request, relay.address, timeout=20.0)
                        assert reply.message_id == request.message_id
                        replies[request.message_id] = reply.payload

                with trio.fail_after(30):
                    async with trio.open_nursery() as calls:
                        for i in range(1000):
                            calls.start_soon(one, i)
                metrics = client.metrics()
            nursery.cancel_scope.cancel()
    assert len(replies) == 1000
    assert sorted(executions) == sorted(sent)
    assert set(executions.values()) == {1}  # every handler ran exactly once
    assert relay.stats["dropped"] > 200
    assert relay.stats["duplicated"] > 20
    assert relay.stats["reordered"] > 50
    assert metrics.retransmits > 100
    assert server.metrics().duplicates_suppressed > 0
    assert metrics.request_timeouts == 0


async def test_large_bodies_survive_the_lossy_relay() -> None:
    body = os.urandom(1024 * 1024 + 12345)
    runs = 0

    async def handler(request: Message, peer: Address) -> Message:
        nonlocal runs
        runs += 1
        return request.reply(MessageType.RESPONSE, request.payload[::-1])

    config = EndpointConfig(initial_rto=0.02, max_rto=0.2)
    async with Endpoint.bind(HOST, 0, config=config) as server:
        server.set_handler(MessageType.CALL, handler)
        relay = LossyRelay(server.local_address, seed=7)
        async with trio.open_nursery() as nursery:
            await nursery.start(relay.run)
            async with Endpoint.bind(HOST, 0, config=config) as client:
                with trio.fail_after(30):
                    reply = await client.request(
                        new_message(MessageType.CALL, body), relay.address, timeout=25.0
                    )
                    assert reply.payload == body[::-1]
                    chunks = [
                        chunk
                        async for chunk in client.request_stream(
                            new_message(MessageType.CALL, b"small"), relay.address, timeout=10.0
                        )
                    ]
                    assert chunks == [b"llams"]
                assert client.metrics().retransmits > 0
            nursery.cancel_scope.cancel()
    assert runs == 2
    assert relay.stats["dropped"] > 0


async def test_incremental_stream_survives_the_lossy_relay() -> None:
    tokens = [f"tok{i}".encode() * (i % 7 + 1) for i in range(300)]

    async def generate(request: Message, peer: Address) -> AsyncIterator[bytes]:
        for token in tokens:
            yield token

    config = EndpointConfig(initial_rto=0.02, max_rto=0.2)
    async with Endpoint.bind(HOST, 0, config=config) as server:
        server.set_handler(MessageType.CALL, generate)  # type: ignore[arg-type]
        relay = LossyRelay(server.local_address, seed=99)
        async with trio.open_nursery() as nursery:
            await nursery.start(relay.run)
            async with Endpoint.bind(HOST, 0, config=config) as client:
                with trio.fail_after(30):
                    got = [
                        chunk
                        async for chunk in client.request_stream(
                            new_message(MessageType.CALL), relay.address, timeout=10.0
                        )
                    ]
            nursery.cancel_scope.cancel()
    assert got == tokens

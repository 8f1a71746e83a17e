"""Garbage and overload: the endpoint counts and drops, keeps serving, and stays bounded."""

from __future__ import annotations

import random
import socket

import trio
import trio.testing

import mxp
from mxp import Flags, Message, MessageType
from mxp._transport import _wire as wire
from mxp.testing import wait_until
from mxp.transport import Address, Endpoint, EndpointConfig, new_message

HOST = "127.0.0.1"


async def echo(request: Message, peer: Address) -> Message:
    return request.reply(MessageType.RESPONSE, request.payload)


def garbage(rng: random.Random) -> list[bytes]:
    """One of each kind of bad datagram, freshly randomised."""
    valid = mxp.encode(new_message(MessageType.CALL, rng.randbytes(rng.randrange(0, 200))))
    bad_checksum = valid[:-1] + bytes([valid[-1] ^ 0xFF])
    bad_magic = b"XXXX" + valid[4:]
    bad_type = valid[:4] + b"\x99" + valid[5:]
    bad_flags = valid[:5] + b"\xf0" + valid[6:]
    reserved = valid[:6] + b"\x01\x00" + valid[8:]
    huge_length = valid[:24] + (1 << 40).to_bytes(8, "little") + valid[32:]
    return [
        rng.randbytes(rng.randrange(0, 1500)),
        valid[: rng.randrange(0, len(valid))],  # truncated
        bad_checksum,
        bad_magic,
        bad_type,
        bad_flags,
        reserved,
        huge_length,
    ]


def unexpected(rng: random.Random) -> list[bytes]:
    """Valid frames the endpoint does not expect: stray replies, acks, broken stream bodies."""
    sid = rng.getrandbits(64)
    return [
        mxp.encode(new_message(MessageType.RESPONSE, b"late")),
        mxp.encode(new_message(MessageType.ERROR, b"{}")),
        mxp.encode(new_message(MessageType.ACK)),
        mxp.encode(new_message(MessageType.ACK, rng.randbytes(30))),
        mxp.encode(new_message(MessageType.STREAM_CHUNK, rng.randbytes(10))),
        mxp.encode(Message(MessageType.STREAM_CLOSE, b"\x07" * 30, Flags.FINAL, sid, 1)),
        mxp.encode(
            Message(
                MessageType.STREAM_OPEN,
                wire.pack_open(wire.ROLE_REPLY, sid, MessageType.RESPONSE, 0, 5),
                Flags.NONE,
                sid,
                1,
            )
        ),
        mxp.encode(new_message(MessageType.EVENT, b"nobody listens")),
    ]


async def test_flood_of_garbage_does_not_stop_service() -> None:
    rng = random.Random(1234)
    async with Endpoint.bind(HOST, 0) as server, Endpoint.bind(HOST, 0) as client:
        server.set_handler(MessageType.CALL, echo)
        flooder = trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        await flooder.bind((HOST, 0))
        sent = 0
        answered = 0

        async def flood() -> None:
            nonlocal sent
            for _ in range(300):
                for datagram in garbage(rng) + unexpected(rng):
                    await flooder.sendto(datagram, server.local_address)
                    sent += 1
                await trio.lowlevel.checkpoint()

        async def serve_during_flood() -> None:
            nonlocal answered
            for i in range(200):
                reply = await client.request(
                    new_message(MessageType.CALL, f"{i}".encode()), server.local_address
                )
                assert reply.payload == f"{i}".encode()
                answered += 1

        try:
            with trio.fail_after(30):
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(flood)
                    nursery.start_soon(serve_during_flood)
                # And after the flood.
                reply = await client.request(
                    new_message(MessageType.CALL, b"after"), server.local_address
                )
                assert reply.payload == b"after"
        finally:
            flooder.close()
        assert answered == 200
        metrics = server.metrics()
        errors = metrics.decode_errors
        for kind in (
            "BufferTooSmall",
            "ChecksumMismatch",
            "InvalidMagic",
            "InvalidMessageType",
            "InvalidFlags",
            "ReservedFieldNonZero",
            "PayloadTooLarge",
        ):
            assert errors.get(kind, 0) > 0, kind
        decoded = sum(metrics.frames_in.values())
        assert decoded + sum(errors.values()) >= sent  # every datagram was looked at
        dropped = metrics.dropped
        assert dropped["unexpected_reply"] >= 600
        assert dropped["no_handler"] == 300
        assert dropped["malformed_stream"] >= 600
        assert dropped["unexpected_ack"] >= 300
        assert metrics.streams_rejected > 0
        assert metrics.streams_active == 0
        assert metrics.handler_errors == 0


async def test_overload_is_bounded_by_the_queue_and_handler_limits() -> None:
    release = trio.Event()
    running = 0

    async def stuck(request: Message, peer: Address) -> Message:
        nonlocal running
        running += 1
        await release.wait()
        return request.reply(MessageType.RESPONSE, b"finally")

    config = EndpointConfig(max_concurrent_handlers=4, recv_queue_size=16)
    async with Endpoint.bind(HOST, 0, config=config) as server, Endpoint.bind(HOST, 0) as client:
        server.set_handler(MessageType.CALL, stuck)
        flooder = trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        await flooder.bind((HOST, 0))
        try:
            for _ in range(2000):
                frame = mxp.encode(new_message(MessageType.CALL, b"x" * 100))
                await flooder.sendto(frame, server.local_address)
                if _ % 100 == 0:
                    await trio.testing.wait_all_tasks_blocked()
            await wait_until(lambda: sum(server.metrics().frames_in.values()) >= 1500)
            await trio.testing.wait_all_tasks_blocked()
            metrics = server.metrics()
            assert running == 4  # the handler limit
            assert metrics.handlers_running == 4
            assert metrics.queued <= 16
            assert metrics.queue_peak <= 16
            assert metrics.dropped_queue_full >= 1500 - 20
            # Requests dropped under load are retransmitted and served once there is room.
            async with trio.open_nursery() as nursery:
                replies: list[Message] = []

                async def call() -> None:
                    replies.append(
                        await client.request(
                            new_message(MessageType.CALL, b"patient"),
                            server.local_address,
                            timeout=10,
                        )
                    )

                nursery.start_soon(call)
                await wait_until(
                    lambda: server.metrics().dropped_queue_full > metrics.dropped_queue_full
                )
                release.set()
            assert replies[0].payload == b"finally"
        finally:
            flooder.close()
        await wait_until(lambda: server.metrics().handlers_running == 0)
        assert server.metrics().queued == 0

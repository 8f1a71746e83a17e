"""Streams: large bodies both ways, incremental results, reassembly limits, over 127.0.0.1."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
import trio
import trio.testing

import mxp
from mxp import Flags, Message, MessageType
from mxp._transport import _wire as wire
from mxp.bodies import ErrorResponse, decode_body
from mxp.testing import RawPeer, wait_until
from mxp.transport import (
    Address,
    Endpoint,
    EndpointConfig,
    RemoteError,
    RequestTimeout,
    StreamError,
    new_message,
)

HOST = "127.0.0.1"
MIB = 1024 * 1024


def stream_frame(
    kind: MessageType, stream_id: int, trace_id: int, body: bytes, flags: Flags = Flags.NONE
) -> Message:
    return Message(kind, body, flags, stream_id, trace_id)


def is_abort(message: Message) -> bool:
    return (
        message.type is MessageType.ACK
        and len(message.payload) >= wire.ACK_SIZE
        and (wire.unpack_ack(message.payload)[1] == wire.ACK_ABORT)
    )


async def test_five_mib_request_and_reply_travel_as_streams() -> None:
    body = os.urandom(5 * MIB)
    answer = body[::-1]
    received: list[Message] = []

    async def reverse(request: Message, peer: Address) -> Message:
        received.append(request)
        return request.reply(MessageType.RESPONSE, request.payload[::-1])

    async with Endpoint.bind(HOST, 0) as server, Endpoint.bind(HOST, 0) as client:
        server.set_handler(MessageType.CALL, reverse)
        request = new_message(MessageType.CALL, body, flags=Flags.COMPRESSED)
        reply = await client.request(request, server.local_address, timeout=30.0)
        assert reply.payload == answer
        assert (reply.message_id, reply.trace_id) == (request.message_id, request.trace_id)
        assert len(received) == 1
        assert received[0] == request  # type, flags and ids survive reassembly
        c, s = client.metrics(), server.metrics()
        chunks = -(-len(body) // EndpointConfig().chunk_size)
        assert s.frames_in["STREAM_CHUNK"] >= chunks
        assert c.frames_in["STREAM_CHUNK"] >= chunks
        assert c.streams_opened == s.streams_opened == 2
        assert c.streams_failed == s.streams_failed == 0
        await wait_until(lambda: server.metrics().streams_completed == 2)
        assert client.metrics().streams_completed == 2
        assert server.metrics().streams_active == 0


async def test_incremental_results_arrive_in_order_with_boundaries() -> None:
    chunks = [f"token {i} ".encode() for i in range(200)]
    chunks[50] = b""  # an empty chunk is a chunk
    chunks[100] = os.urandom(150_000)  # larger than a datagram: spans several frames
    seen_trace: list[int | None] = []

    async def generate(request: Message, peer: Address) -> AsyncIterator[bytes]:
        async def results() -> AsyncIterator[bytes]:
            for chunk in chunks:
                yield chunk

        return results()

    async with Endpoint.bind(HOST, 0) as server, Endpoint.bind(HOST, 0) as client:
        server.set_handler(MessageType.CALL, generate)
        got = [
            chunk
            async for chunk in client.request_stream(
                new_message(MessageType.CALL, b"go"), server.local_address, timeout=10.0
            )
        ]
        assert got == chunks
        # request() on the same handler joins the result into one reply.
        reply = await client.request(new_message(MessageType.CALL), server.local_address)
        assert reply.type is MessageType.RESPONSE
        assert reply.payload == b"".join(chunks)
        assert seen_trace == []


async def test_handler_can_be_an_async_generator_function() -> None:
    async def tokens(request: Message, peer: Address) -> AsyncIterator[bytes]:
        for word in request.payload.split():
            yield word

    async with Endpoint.bind(HOST, 0) as server, Endpoint.bind(HOST, 0) as client:
        server.set_handler(MessageType.CALL, tokens)  # type: ignore[arg-type]
        got = [
            c
            async for c in client.request_stream(
                new_message(MessageType.CALL, b"a bb ccc"), server.local_address
            )
        ]
        assert got == [b"a", b"bb", b"ccc"]


async def test_failure_mid_stream_is_a_remote_error_after_the_chunks() -> None:
    async def flaky(request: Message, peer: Address) -> AsyncIterator[bytes]:
        async def results() -> AsyncIterator[bytes]:
            yield b"one"
            yield b"two"
            raise RuntimeError("model went away")

        return results()

    async with Endpoint.bind(HOST, 0) as server, Endpoint.bind(HOST, 0) as client:
        server.set_handler(MessageType.CALL, flaky)
        got: list[bytes] = []

        async def consume() -> None:
            async for chunk in client.request_stream(
                new_message(MessageType.CALL), server.local_address
            ):
                got.append(chunk)

        with pytest.raises(RemoteError) as caught:
            await consume()
        assert got == [b"one", b"two"]
        assert caught.value.code == "internal"
        assert "model went away" in caught.value.error
        reply = await client.request(new_message(MessageType.CALL), server.local_address)
        assert reply.type is MessageType.ERROR
        assert "model went away" in decode_body(reply.payload, ErrorResponse).error
        assert server.metrics().handler_errors == 2


async def test_request_stream_with_plain_replies() -> None:
    async def plain(request: Message, peer: Address) -> Message:
        return request.reply(MessageType.RESPONSE, b"whole")

    async with Endpoint.bind(HOST, 0) as server, Endpoint.bind(HOST, 0) as client:
        server.set_handler(MessageType.CALL, plain)
        got = [
            c
            async for c in client.request_stream(
                new_message(MessageType.CALL), server.local_address
            )
        ]
        assert got == [b"whole"]
        with pytest.raises(RemoteError) as caught:
            async for _ in client.request_stream(
                new_message(MessageType.AGENT_DISCOVER), server.local_address
            ):
                pass
        assert caught.value.code == "unsupported"


async def test_consumer_that_stops_reading_stops_the_producer() -> None:
    stopped = trio.Event()
    produced = 0

    async def endless(request: Message, peer: Address) -> AsyncIterator[bytes]:
        async def results() -> AsyncIterator[bytes]:
            nonlocal produced
            try:
                while True:
                    produced += 1
                    yield b"x" * 1000
            finally:
                stopped.set()

        return results()

    async with Endpoint.bind(HOST, 0) as server, Endpoint.bind(HOST, 0) as client:
        server.set_handler(MessageType.CALL, endless)
        stream = client.request_stream(new_message(MessageType.CALL), server.local_address)
        got = 0
        async for _ in stream:
            got += 1
            if got == 5:
                break
        await stream.aclose()  # type: ignore[attr-defined]
        with trio.fail_after(10):
            await stopped.wait()
        # Flow control bounded how far the producer ran ahead of the consumer.
        assert produced <= 5 + 2 * EndpointConfig().stream_window
        await wait_until(lambda: server.metrics().streams_active == 0)
        assert server.metrics().streams_failed == 1
        assert client.metrics().streams_failed == 1


async def test_too_large_stream_is_refused_and_freed() -> None:
    config = EndpointConfig(stream_max_bytes=100_000)
    async with Endpoint.bind(HOST, 0, config=config) as server, Endpoint.bind(HOST, 0) as client:
        server.set_handler(MessageType.CALL, lambda m, p: _reply(m))
        with pytest.raises(StreamError) as caught:
            await client.request(
                new_message(MessageType.CALL, b"x" * 300_000), server.local_address
            )
        assert caught.value.reason == "too_large"
        assert "100000" in str(caught.value)
        await wait_until(lambda: server.metrics().streams_failed == 1)
        assert server.metrics().streams_active == 0
        assert client.metrics().streams_active == 0
        assert client.metrics().streams_failed == 1
        # Under the limit still works.
        reply = await client.request(
            new_message(MessageType.CALL, b"y" * 90_000), server.local_address
        )
        assert reply.payload == b"ok"


async def _reply(request: Message) -> Message:
    return request.reply(MessageType.RESPONSE, b"ok")


async def test_too_many_chunks_is_refused() -> None:
    server_config = EndpointConfig(stream_max_chunks=4)
    client_config = EndpointConfig(max_datagram_payload=1_000)
    async with (
        Endpoint.bind(HOST, 0, config=server_config) as server,
        Endpoint.bind(HOST, 0, config=client_config) as client,
    ):
        server.set_handler(MessageType.CALL, lambda m, p: _reply(m))
        with pytest.raises(StreamError) as caught:
            await client.request(new_message(MessageType.CALL, b"z" * 20_000), server.local_address)
        assert caught.value.reason == "too_many_chunks"
        reply = await client.request(
            new_message(MessageType.CALL, b"z" * 3_000), server.local_address
        )
        assert reply.payload == b"ok"


async def test_too_many_streams_then_idle_timeout_frees_them(
    autojump_clock: trio.testing.MockClock,
) -> None:
    config = EndpointConfig(stream_max_concurrent=2, stream_idle_timeout=2.0)
    async with Endpoint.bind(HOST, 0, config=config) as server, Endpoint.bind(HOST, 0) as client:
        server.set_handler(MessageType.CALL, lambda m, p: _reply(m))
        raw = await RawPeer.bind(HOST)
        try:
            half_open = [mxp.random_id() for _ in range(2)]
            for sid in half_open:  # open two streams and never finish them
                open_body = wire.pack_open(wire.ROLE_REQUEST, sid, MessageType.CALL, 0, 10_000)
                await raw.send(
                    stream_frame(MessageType.STREAM_OPEN, sid, 7, open_body), server.local_address
                )
                chunk = wire.pack_chunk(wire.ROLE_REQUEST, sid, 1, True, b"a" * 100)
                await raw.send(
                    stream_frame(MessageType.STREAM_CHUNK, sid, 7, chunk), server.local_address
                )
            await wait_until(lambda: server.metrics().streams_active == 2)
            started = trio.current_time()
            with pytest.raises(StreamError) as caught:
                await client.request(
                    new_message(MessageType.CALL, b"q" * 100_000), server.local_address
                )
            assert caught.value.reason == "too_many_streams"
            assert server.metrics().streams_rejected == 1
            # The half-open streams are re-requested, then time out, are aborted and freed.
            rerequests = 0
            aborted: set[int] = set()
            while len(aborted) < 2:
                message = await raw.receive()
                assert message.type is MessageType.ACK
                _, status, sid, cum, _, _ = wire.unpack_ack(message.payload)
                if status == wire.ACK_ABORT:
                    assert wire.abort_reason(message.payload[wire.ACK_SIZE :])[0] == "idle_timeout"
                    aborted.add(sid)
                else:
                    assert cum in (1, 2)
                    rerequests += 1
            assert aborted == set(half_open)
            assert rerequests >= 2
            assert trio.current_time() - started >= 2.0
            metrics = server.metrics()
            assert metrics.streams_active == 0
            assert metrics.streams_failed == 2
            reply = await client.request(
                new_message(MessageType.CALL, b"q" * 100_000), server.local_address
            )
            assert reply.payload == b"ok"
        finally:
            raw.close()


async def test_missing_chunk_is_rerequested_and_reassembly_completes() -> None:
    got: list[Message] = []

    async def record(request: Message, peer: Address) -> Message:
        got.append(request)
        return request.reply(MessageType.RESPONSE, b"assembled")

    async with Endpoint.bind(HOST, 0) as server:
        server.set_handler(MessageType.EVENT, record)
        raw = await RawPeer.bind(HOST)
        try:
            sid, trace = mxp.random_id(), mxp.random_id()
            parts = [b"first-", b"second-", b"third"]
            total = sum(map(len, parts))
            to = server.local_address
            open_body = wire.pack_open(
                wire.ROLE_REQUEST, sid, MessageType.EVENT, Flags.FINAL, total
            )
            await raw.send(stream_frame(MessageType.STREAM_OPEN, sid, trace, open_body), to)
            # Chunk 1 is "lost"; chunks 2 and 3 and the Close arrive out of order.
            for seq in (3, 2):
                body = wire.pack_chunk(wire.ROLE_REQUEST, sid, seq, seq != 3, parts[seq - 1])
                await raw.send(stream_frame(MessageType.STREAM_CHUNK, sid, trace, body), to)
            close = wire.pack_close(wire.ROLE_REQUEST, sid, 4, wire.CLOSE_OK, total)
            await raw.send(
                stream_frame(MessageType.STREAM_CLOSE, sid, trace, close, Flags.FINAL), to
            )
            ack = await raw.receive_where(lambda m: m.type is MessageType.ACK)
            _, status, ack_sid, cum, limit, tail = wire.unpack_ack(ack.payload)
            assert (status, ack_sid, cum) == (wire.ACK_PROGRESS, sid, 1)
            assert ack.trace_id == trace
            assert limit > 4
            # Wait for the ack that reports everything but chunk 1.
            while wire.bitmap_seqs(cum, tail) != [2, 3, 4]:
                ack = await raw.receive_where(lambda m: m.type is MessageType.ACK)
                _, status, _, cum, _, tail = wire.unpack_ack(ack.payload)
            body = wire.pack_chunk(wire.ROLE_REQUEST, sid, 1, True, parts[0])
            await raw.send(stream_frame(MessageType.STREAM_CHUNK, sid, trace, body), to)
            reply = await raw.receive_where(lambda m: m.type is MessageType.RESPONSE)
            assert reply.payload == b"assembled"
            assert (reply.message_id, reply.trace_id) == (sid, trace)
            assert len(got) == 1
            assert got[0].payload == b"".join(parts)
            assert got[0].type is MessageType.EVENT
            assert got[0].flags == Flags.FINAL
            # Retransmitting the Close (the request's retransmission) gets the reply again.
            await raw.send(
                stream_frame(MessageType.STREAM_CLOSE, sid, trace, close, Flags.FINAL), to
            )
            again = await raw.receive_where(lambda m: m.type is MessageType.RESPONSE)
            assert again.payload == b"assembled"
            assert len(got) == 1
        finally:
            raw.close()


async def test_stream_frames_carry_the_request_ids_and_trace() -> None:
    async def big(request: Message, peer: Address) -> Message:
        return request.reply(MessageType.RESPONSE, b"b" * 200_000)

    async with Endpoint.bind(HOST, 0) as server:
        server.set_handler(MessageType.CALL, big)
        raw = await RawPeer.bind(HOST)
        try:
            request = new_message(MessageType.CALL)
            await raw.send(request, server.local_address)
            kinds: set[MessageType] = set()
            while MessageType.STREAM_CLOSE not in kinds:
                frame = await raw.receive()
                assert frame.type in (
                    MessageType.STREAM_OPEN,
                    MessageType.STREAM_CHUNK,
                    MessageType.STREAM_CLOSE,
                )
                assert (frame.message_id, frame.trace_id) == (request.message_id, request.trace_id)
                role, _, sid, _ = wire.unpack_prefix(frame.payload)
                assert (role, sid) == (wire.ROLE_REPLY, request.message_id)
                if frame.type is MessageType.STREAM_CLOSE:
                    assert frame.flags & Flags.FINAL
                kinds.add(frame.type)
        finally:
            raw.close()


async def test_unexpected_reply_stream_is_refused() -> None:
    async with Endpoint.bind(HOST, 0) as client:
        raw = await RawPeer.bind(HOST)
        try:
            sid = mxp.random_id()
            body = wire.pack_open(wire.ROLE_REPLY, sid, MessageType.RESPONSE, 0, 10)
            await raw.send(
                stream_frame(MessageType.STREAM_OPEN, sid, 1, body), client.local_address
            )
            abort = await raw.receive()
            assert is_abort(abort)
            assert wire.abort_reason(abort.payload[wire.ACK_SIZE :])[0] == "unexpected"
            assert client.metrics().streams_rejected == 1
            assert client.metrics().streams_active == 0
        finally:
            raw.close()


async def test_silent_receiver_fails_the_upload(autojump_clock: trio.testing.MockClock) -> None:
    config = EndpointConfig(stream_idle_timeout=3.0)
    async with Endpoint.bind(HOST, 0, config=config) as client:
        raw = await RawPeer.bind(HOST)  # swallows every frame, never acknowledges
        try:
            with pytest.raises(StreamError) as caught:
                await client.request(
                    new_message(MessageType.CALL, b"u" * 200_000), raw.address, timeout=60
                )
            assert caught.value.reason == "idle_timeout"
            assert client.metrics().retransmits > 0
            assert client.metrics().streams_active == 0
        finally:
            raw.close()


async def test_upload_times_out_within_the_request_timeout(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with Endpoint.bind(HOST, 0) as client:
        raw = await RawPeer.bind(HOST)
        try:
            with pytest.raises(RequestTimeout):
                await client.request(
                    new_message(MessageType.CALL, b"u" * 200_000), raw.address, timeout=1.0
                )
            await wait_until(lambda: client.metrics().streams_active == 0)
        finally:
            raw.close()


async def test_large_one_way_send_with_ack() -> None:
    got: list[Message] = []

    async def sink(message: Message, peer: Address) -> None:
        got.append(message)

    async with Endpoint.bind(HOST, 0) as server, Endpoint.bind(HOST, 0) as client:
        server.set_handler(MessageType.EVENT, sink)
        big = new_message(MessageType.EVENT, os.urandom(300_000), flags=Flags.REQUIRES_ACK)
        await client.send(big, server.local_address)
        await wait_until(lambda: len(got) == 1)
        assert got[0] == big
        plain = new_message(MessageType.EVENT, os.urandom(200_000))
        await client.send(plain, server.local_address)
        await wait_until(lambda: len(got) == 2)
        assert got[1] == plain


async def test_slow_producer_is_kept_alive_past_the_idle_timeout(
    autojump_clock: trio.testing.MockClock,
) -> None:
    config = EndpointConfig(stream_idle_timeout=1.0)

    async def thinker(request: Message, peer: Address) -> AsyncIterator[bytes]:
        yield b"first"
        await trio.sleep(5.0)  # five idle timeouts without a chunk
        yield b"second"

    async with (
        Endpoint.bind(HOST, 0, config=config) as server,
        Endpoint.bind(HOST, 0, config=config) as client,
    ):
        server.set_handler(MessageType.CALL, thinker)  # type: ignore[arg-type]
        started = trio.current_time()
        got = [
            chunk
            async for chunk in client.request_stream(
                new_message(MessageType.CALL), server.local_address, timeout=10.0
            )
        ]
        assert got == [b"first", b"second"]
        assert trio.current_time() - started >= 5.0
        assert server.metrics().streams_failed == client.metrics().streams_failed == 0


async def test_buffer_budget_across_streams_refuses_with_busy() -> None:
    config = EndpointConfig(stream_max_buffered_bytes=150_000)
    async with Endpoint.bind(HOST, 0, config=config) as server, Endpoint.bind(HOST, 0) as client:
        server.set_handler(MessageType.CALL, lambda m, p: _reply(m))
        raw = await RawPeer.bind(HOST)
        try:
            sid = mxp.random_id()
            to = server.local_address
            body = wire.pack_open(wire.ROLE_REQUEST, sid, MessageType.CALL, 0, 200_000)
            await raw.send(stream_frame(MessageType.STREAM_OPEN, sid, 1, body), to)
            for seq in (1, 2):  # 100 kB held by a stream that never finishes
                chunk = wire.pack_chunk(wire.ROLE_REQUEST, sid, seq, True, b"h" * 50_000)
                await raw.send(stream_frame(MessageType.STREAM_CHUNK, sid, 1, chunk), to)
            await wait_until(lambda: server.metrics().streams_active == 1)
            with pytest.raises(StreamError) as caught:
                await client.request(new_message(MessageType.CALL, b"b" * 100_000), to)
            assert caught.value.reason == "busy"
            assert "stream_max_buffered_bytes" in str(caught.value)
            # Small requests are not streams and are unaffected.
            assert (await client.request(new_message(MessageType.CALL, b"s"), to)).payload == b"ok"
        finally:
            raw.close()

"""Endpoint request/response, errors, acks, traces and metrics over real UDP on 127.0.0.1."""

from __future__ import annotations

import pytest
import trio
import trio.testing

import mxp
from mxp import Flags, Message, MessageType
from mxp.bodies import ErrorResponse, decode_body
from mxp.testing import RawPeer, wait_until
from mxp.transport import (
    Address,
    Endpoint,
    EndpointClosed,
    EndpointConfig,
    EndpointConfigError,
    RequestTimeout,
    UsageError,
    current_trace_id,
    new_message,
)

HOST = "127.0.0.1"


async def echo(request: Message, peer: Address) -> Message:
    return request.reply(MessageType.RESPONSE, request.payload)


async def test_request_response_round_trip() -> None:
    async with Endpoint.bind(HOST, 0) as server, Endpoint.bind(HOST, 0) as client:
        server.set_handler(MessageType.CALL, echo)
        assert server.local_address[0] == HOST
        assert server.local_address[1] > 0
        request = new_message(MessageType.CALL, b'{"q": 1}')
        reply = await client.request(request, server.local_address, timeout=2.0)
        assert reply.type is MessageType.RESPONSE
        assert reply.payload == b'{"q": 1}'
        assert (reply.message_id, reply.trace_id) == (request.message_id, request.trace_id)


async def test_handlers_run_concurrently_and_serve_installs_them() -> None:
    release = trio.Event()
    started = 0

    async def slow(request: Message, peer: Address) -> Message:
        nonlocal started
        started += 1
        await release.wait()
        return request.reply(MessageType.RESPONSE, b"done")

    async with Endpoint.bind(HOST, 0) as server, Endpoint.bind(HOST, 0) as client:
        replies: list[Message] = []
        async with trio.open_nursery() as nursery:
            nursery.start_soon(server.serve, {MessageType.CALL: slow})
            await trio.testing.wait_all_tasks_blocked()

            async def call() -> None:
                replies.append(
                    await client.request(new_message(MessageType.CALL), server.local_address)
                )

            async with trio.open_nursery() as calls:
                for _ in range(10):
                    calls.start_soon(call)
                await wait_until(lambda: started == 10)
                assert server.metrics().handlers_running == 10
                release.set()
            nursery.cancel_scope.cancel()
        assert [r.payload for r in replies] == [b"done"] * 10


async def test_set_handler_replaces_and_rejects_transport_types() -> None:
    async def other(request: Message, peer: Address) -> Message:
        return request.reply(MessageType.RESPONSE, b"other")

    async with Endpoint.bind(HOST, 0) as server, Endpoint.bind(HOST, 0) as client:
        server.set_handler(MessageType.CALL, echo)
        server.set_handler(MessageType.CALL, other)
        reply = await client.request(new_message(MessageType.CALL, b"x"), server.local_address)
        assert reply.payload == b"other"
        with pytest.raises(UsageError, match="handled by the transport"):
            server.set_handler(MessageType.ACK, echo)
        with pytest.raises(UsageError, match="STREAM_CHUNK"):
            server.set_handler(MessageType.STREAM_CHUNK, echo)


async def test_handler_error_becomes_error_frame_and_is_counted() -> None:
    async def broken(request: Message, peer: Address) -> Message:
        raise ValueError("no such tool: calculator")

    async with Endpoint.bind(HOST, 0) as server, Endpoint.bind(HOST, 0) as client:
        server.set_handler(MessageType.CALL, broken)
        for _ in range(3):
            reply = await client.request(new_message(MessageType.CALL), server.local_address)
            assert reply.type is MessageType.ERROR
            body = decode_body(reply.payload, ErrorResponse)
            assert body.code == "internal"
            assert "ValueError: no such tool: calculator" in body.error
        assert server.metrics().handler_errors == 3
        # The endpoint keeps serving after handler failures.
        server.set_handler(MessageType.CALL, echo)
        reply = await client.request(new_message(MessageType.CALL, b"ok"), server.local_address)
        assert reply.payload == b"ok"


async def test_handler_returning_garbage_is_an_internal_error() -> None:
    async def wrong(request: Message, peer: Address) -> Message:
        return 42  # type: ignore[return-value]

    async with Endpoint.bind(HOST, 0) as server, Endpoint.bind(HOST, 0) as client:
        server.set_handler(MessageType.CALL, wrong)
        reply = await client.request(new_message(MessageType.CALL), server.local_address)
        assert reply.type is MessageType.ERROR
        assert "returned int" in decode_body(reply.payload, ErrorResponse).error


async def test_unsupported_request_type_gets_error_and_others_are_dropped() -> None:
    async with Endpoint.bind(HOST, 0) as server, Endpoint.bind(HOST, 0) as client:
        for message_type in (
            MessageType.CALL,
            MessageType.AGENT_REGISTER,
            MessageType.AGENT_DISCOVER,
            MessageType.AGENT_HEARTBEAT,
        ):
            reply = await client.request(new_message(message_type), server.local_address)
            assert reply.type is MessageType.ERROR
            body = decode_body(reply.payload, ErrorResponse)
            assert body.code == "unsupported"
            assert message_type.name in body.error
        raw = await RawPeer.bind(HOST)
        try:
            await raw.send(new_message(MessageType.EVENT, b"{}"), server.local_address)
            await raw.send(new_message(MessageType.RESPONSE, b"{}"), server.local_address)
            await wait_until(lambda: sum(server.metrics().dropped.values()) == 2)
            assert server.metrics().dropped == {"no_handler": 1, "unexpected_reply": 1}
        finally:
            raw.close()


async def test_reply_to_a_handler_is_matched_by_id_and_peer() -> None:
    async with Endpoint.bind(HOST, 0) as client:
        raw = await RawPeer.bind(HOST)
        stranger = await RawPeer.bind(HOST)
        try:
            async with trio.open_nursery() as nursery:
                request = new_message(MessageType.CALL, b"q")
                got: list[Message] = []

                async def call() -> None:
                    got.append(await client.request(request, raw.address, timeout=5.0))

                nursery.start_soon(call)
                seen = await raw.receive()
                assert seen == request
                # Same id from another peer: not a reply.
                await stranger.send(
                    request.reply(MessageType.RESPONSE, b"fake"), client.local_address
                )
                await raw.send(request.reply(MessageType.RESPONSE, b"real"), client.local_address)
            assert got[0].payload == b"real"
            assert client.metrics().dropped.get("unexpected_reply") == 1
        finally:
            raw.close()
            stranger.close()


async def test_request_timeout_retransmits_with_backoff(
    autojump_clock: trio.testing.MockClock,
) -> None:
    config = EndpointConfig(initial_rto=0.05, max_rto=1.0, backoff=2.0)
    async with Endpoint.bind(HOST, 0, config=config) as client:
        raw = await RawPeer.bind(HOST)  # receives, never answers
        try:
            start = trio.current_time()
            with pytest.raises(RequestTimeout) as caught:
                await client.request(new_message(MessageType.CALL, b"?"), raw.address, timeout=1.0)
            elapsed = trio.current_time() - start
            assert 1.0 <= elapsed < 1.01
            # Sent at 0, 0.05, 0.15, 0.35 and 0.75 s: four retransmissions.
            assert caught.value.attempts == 5
            assert "timed out after 1 s (5 transmission(s))" in str(caught.value)
            assert isinstance(caught.value, mxp.MxpError)
            metrics = client.metrics()
            assert metrics.retransmits == 4
            assert metrics.request_timeouts == 1
            assert metrics.frames_out == {"CALL": 5}
            assert metrics.pending_requests == 0
            seen = [await raw.receive() for _ in range(5)]
            assert len({m.message_id for m in seen}) == 1
        finally:
            raw.close()


async def test_lost_reply_is_answered_again_without_rerunning(
    autojump_clock: trio.testing.MockClock,
) -> None:
    runs = 0

    async def counted(request: Message, peer: Address) -> Message:
        nonlocal runs
        runs += 1
        return request.reply(MessageType.RESPONSE, b"once")

    async with Endpoint.bind(HOST, 0) as server:
        server.set_handler(MessageType.CALL, counted)
        raw = await RawPeer.bind(HOST)
        try:
            request = new_message(MessageType.CALL)
            for _ in range(3):  # the same request, "retransmitted" after each lost reply
                await raw.send(request, server.local_address)
                reply = await raw.receive()
                assert reply.payload == b"once"
                assert reply.message_id == request.message_id
            assert runs == 1
            assert server.metrics().duplicates_suppressed == 2
        finally:
            raw.close()


async def test_duplicate_during_execution_does_not_start_a_second_run() -> None:
    release = trio.Event()
    runs = 0

    async def slow(request: Message, peer: Address) -> Message:
        nonlocal runs
        runs += 1
        await release.wait()
        return request.reply(MessageType.RESPONSE, b"done")

    async with Endpoint.bind(HOST, 0) as server:
        server.set_handler(MessageType.CALL, slow)
        raw = await RawPeer.bind(HOST)
        try:
            request = new_message(MessageType.CALL)
            await raw.send(request, server.local_address)
            await wait_until(lambda: runs == 1)
            for _ in range(3):
                await raw.send(request, server.local_address)
            await wait_until(lambda: server.metrics().duplicates_suppressed == 3)
            assert runs == 1
            release.set()
            reply = await raw.receive()
            assert reply.payload == b"done"
            await raw.send(request, server.local_address)  # after completion: cached reply
            assert (await raw.receive()).payload == b"done"
            assert runs == 1
        finally:
            raw.close()


async def test_requires_ack_is_acknowledged_with_id_and_trace() -> None:
    events: list[Message] = []

    async def on_event(message: Message, peer: Address) -> None:
        events.append(message)

    async with Endpoint.bind(HOST, 0) as server, Endpoint.bind(HOST, 0) as client:
        server.set_handler(MessageType.EVENT, on_event)
        event = new_message(MessageType.EVENT, b"{}", flags=Flags.REQUIRES_ACK)
        await client.send(event, server.local_address)  # returns once acknowledged
        assert server.metrics().frames_out == {"ACK": 1}
        await wait_until(lambda: len(events) == 1)
        assert events[0] == event
        raw = await RawPeer.bind(HOST)
        try:
            other = new_message(MessageType.EVENT, b"{}", flags=Flags.REQUIRES_ACK)
            for _ in range(2):  # the second copy is a duplicate: acked again, not re-run
                await raw.send(other, server.local_address)
                ack = await raw.receive()
                assert ack.type is MessageType.ACK
                assert (ack.message_id, ack.trace_id, ack.payload) == (
                    other.message_id,
                    other.trace_id,
                    b"",
                )
            await wait_until(lambda: len(events) == 2)
            assert events[1] == other
            assert server.metrics().duplicates_suppressed == 1
        finally:
            raw.close()


async def test_send_without_ack_and_send_waiting_for_a_missing_ack(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with Endpoint.bind(HOST, 0) as client:
        raw = await RawPeer.bind(HOST)
        try:
            plain = new_message(MessageType.EVENT, b"fire and forget")
            await client.send(plain, raw.address)
            assert await raw.receive() == plain
            needs_ack = new_message(MessageType.EVENT, b"!", flags=Flags.REQUIRES_ACK)
            with pytest.raises(RequestTimeout, match="Ack for message"):
                await client.send(needs_ack, raw.address, timeout=0.5)
            assert client.metrics().retransmits >= 3
        finally:
            raw.close()


async def test_trace_id_propagates_through_handlers_acks_and_nested_requests() -> None:
    seen: dict[str, int | None] = {}

    async def leaf(request: Message, peer: Address) -> Message:
        seen["leaf"] = current_trace_id()
        return request.reply(MessageType.RESPONSE, b"leaf")

    async with (
        Endpoint.bind(HOST, 0) as front,
        Endpoint.bind(HOST, 0) as back,
        Endpoint.bind(HOST, 0) as client,
    ):

        async def middle(request: Message, peer: Address) -> Message:
            seen["middle"] = current_trace_id()
            nested = front.new_message(MessageType.CALL, b"sub")
            seen["nested"] = nested.trace_id
            seen["helper"] = new_message(MessageType.EVENT).trace_id
            inner = await front.request(nested, back.local_address)
            return request.reply(MessageType.RESPONSE, inner.payload)

        front.set_handler(MessageType.CALL, middle)
        back.set_handler(MessageType.CALL, leaf)
        assert current_trace_id() is None
        request = new_message(MessageType.CALL, b"top", flags=Flags.REQUIRES_ACK)
        reply = await client.request(request, front.local_address)
        assert reply.payload == b"leaf"
        trace = request.trace_id
        assert seen == {"middle": trace, "nested": trace, "helper": trace, "leaf": trace}
        assert reply.trace_id == trace
        # Outside any handler, new messages start new traces.
        assert new_message(MessageType.CALL).trace_id != trace


async def test_metrics_count_frames_bytes_and_latency() -> None:
    async with Endpoint.bind(HOST, 0) as server, Endpoint.bind(HOST, 0) as client:
        server.set_handler(MessageType.CALL, echo)
        n = 50
        for i in range(n):
            await client.request(new_message(MessageType.CALL, b"x" * i), server.local_address)
        c, s = client.metrics(), server.metrics()
        assert c.frames_out == {"CALL": n}
        assert c.frames_in == {"RESPONSE": n}
        assert s.frames_in == {"CALL": n}
        assert s.frames_out == {"RESPONSE": n}
        expected = sum(40 + i for i in range(n))
        assert c.bytes_out == s.bytes_in == expected
        assert s.bytes_out == c.bytes_in == expected
        assert c.requests == n
        assert c.latency.count == n
        assert 0 < c.latency.p50() <= c.latency.p99() < 1.0
        assert c.latency.mean() > 0
        assert c.retransmits == 0
        assert s.decode_errors == {}
        with pytest.raises(AttributeError):
            c.retransmits = 5  # type: ignore[misc]


async def test_endpoint_closed_and_usage_errors() -> None:
    async with Endpoint.bind(HOST, 0) as client:
        with pytest.raises(UsageError, match="port must be"):
            await client.request(new_message(MessageType.CALL), (HOST, 0))
        with pytest.raises(UsageError, match="IPv6"):
            await client.request(new_message(MessageType.CALL), ("::1", 9))
        with pytest.raises(UsageError, match="timeout"):
            await client.request(new_message(MessageType.CALL), (HOST, 9), timeout=0)
        raw = await RawPeer.bind(HOST)
        try:
            request = new_message(MessageType.CALL)
            async with trio.open_nursery() as nursery:

                async def first() -> None:
                    with pytest.raises(RequestTimeout):
                        await client.request(request, raw.address, timeout=0.2)

                nursery.start_soon(first)
                await raw.receive()
                with pytest.raises(UsageError, match="already in flight"):
                    await client.request(request, raw.address)
        finally:
            raw.close()
    with pytest.raises(EndpointClosed):
        await client.request(new_message(MessageType.CALL), (HOST, 9))


async def test_body_exception_propagates_unwrapped() -> None:
    with pytest.raises(KeyError, match="boom"):
        async with Endpoint.bind(HOST, 0):
            raise KeyError("boom")


async def test_request_by_host_name() -> None:
    async with Endpoint.bind(HOST, 0) as server, Endpoint.bind(HOST, 0) as client:
        server.set_handler(MessageType.CALL, echo)
        reply = await client.request(
            new_message(MessageType.CALL, b"n"), ("localhost", server.local_address[1])
        )
        assert reply.payload == b"n"


def test_config_validation_names_the_field() -> None:
    config = EndpointConfig()
    assert config.initial_rto == 0.05
    assert config.max_datagram_payload + 40 <= 65_507
    assert config.stream_max_bytes == 64 * 1024 * 1024
    for kwargs, field in (
        ({"initial_rto": 0}, "initial_rto"),
        ({"max_rto": -1.0}, "max_rto"),
        ({"backoff": 0.5}, "backoff"),
        ({"initial_rto": 2.0, "max_rto": 1.0}, "max_rto"),
        ({"dedup_window": 0}, "dedup_window"),
        ({"recv_queue_size": "10"}, "recv_queue_size"),
        ({"max_concurrent_handlers": True}, "max_concurrent_handlers"),
        ({"max_datagram_payload": 70_000}, "max_datagram_payload"),
        ({"stream_idle_timeout": float("nan")}, "stream_idle_timeout"),
        ({"stream_window": 1}, "stream_window"),
    ):
        with pytest.raises(EndpointConfigError, match=f"EndpointConfig.{field}"):
            EndpointConfig(**kwargs)  # type: ignore[arg-type]
    assert issubclass(EndpointConfigError, mxp.MxpError)


def test_config_decodes_with_msgspec_and_reports_the_path() -> None:
    import msgspec

    config = msgspec.convert({"initial_rto": 0.01, "max_rto": 0.5}, EndpointConfig)
    assert config.initial_rto == 0.01
    with pytest.raises(msgspec.ValidationError, match="initial_rto"):
        msgspec.convert({"initial_rto": -1}, EndpointConfig)

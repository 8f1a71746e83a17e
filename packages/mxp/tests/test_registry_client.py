"""RegistryClient and RegistryServer over real UDP sockets on 127.0.0.1, time from MockClock."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import trio
import trio.testing

import mxp
from mxp import Flags, Message, MessageType
from mxp.bodies import (
    AgentStatus,
    DiscoverResponse,
    ErrorResponse,
    HeartbeatResponse,
    RegisterRequest,
    RegisterResponse,
    decode_body,
    encode_body,
    format_address,
)
from mxp.registry import (
    Registration,
    RegistrationRequired,
    RegistryClient,
    RegistryClientConfig,
    RegistryConfig,
    RegistryError,
    RegistryServer,
)
from mxp.transport import Address, Endpoint

T0 = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
LOCALHOST = "127.0.0.1"


def fake_wall() -> Callable[[], dt.datetime]:
    start = trio.current_time()
    return lambda: T0 + dt.timedelta(seconds=trio.current_time() - start)


def registration_for(endpoint: Endpoint, agent_id: str = "a1", **extra: Any) -> Registration:
    extra.setdefault("capabilities", ["demo.echo"])
    return Registration(
        id=agent_id,
        name=f"agent-{agent_id}",
        address=format_address(*endpoint.local_address),
        **extra,
    )


@asynccontextmanager
async def registry_and_agent(
    config: RegistryConfig | None = None,
    client_config: RegistryClientConfig | None = None,
) -> AsyncIterator[tuple[RegistryServer, RegistryClient]]:
    async with (
        RegistryServer.open(LOCALHOST, 0, config=config, wall_clock=fake_wall()) as server,
        Endpoint.bind(LOCALHOST, 0) as endpoint,
    ):
        yield server, RegistryClient(endpoint, server.address, config=client_config)


class FakeRegistry:
    """A registry stand-in on a real endpoint: scripted answers, and when each request came."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.registers: list[float] = []
        self.heartbeats: list[float] = []
        self.register_answers: list[str] = []  # "ok", or an error code
        self.heartbeat_answers: list[str] = []  # "ok", "needs_register", or an error code

    @property
    def address(self) -> Address:
        return self.endpoint.local_address

    def install(self) -> None:
        self.endpoint.set_handler(MessageType.AGENT_REGISTER, self._register)
        self.endpoint.set_handler(MessageType.AGENT_HEARTBEAT, self._heartbeat)

    @staticmethod
    def _error(request: Message, code: str) -> Message:
        body = ErrorResponse(error=f"scripted failure {code}", code=code)
        return request.reply(MessageType.ERROR, encode_body(body))

    async def _register(self, request: Message, peer: Address) -> Message:
        self.registers.append(trio.current_time())
        answer = self.register_answers.pop(0) if self.register_answers else "ok"
        if answer != "ok":
            return self._error(request, answer)
        agent_id = json.loads(request.payload)["id"]
        body = RegisterResponse(success=True, agent_id=agent_id, message="ok")
        return request.reply(MessageType.RESPONSE, encode_body(body))

    async def _heartbeat(self, request: Message, peer: Address) -> Message:
        agent_id = json.loads(request.payload)["agent_id"]
        if request.flags & Flags.FINAL:
            answer = "ok"
        else:
            self.heartbeats.append(trio.current_time())
            answer = self.heartbeat_answers.pop(0) if self.heartbeat_answers else "ok"
        if answer not in ("ok", "needs_register"):
            return self._error(request, answer)
        needs = answer == "needs_register"
        body = HeartbeatResponse(
            success=not needs, needs_register=needs, agent_id=agent_id, timestamp=T0
        )
        return request.reply(MessageType.RESPONSE, encode_body(body))


@asynccontextmanager
async def fake_registry_and_agent(
    client_config: RegistryClientConfig | None = None,
) -> AsyncIterator[tuple[FakeRegistry, RegistryClient]]:
    async with Endpoint.bind(LOCALHOST, 0) as reg_ep, Endpoint.bind(LOCALHOST, 0) as endpoint:
        fake = FakeRegistry(reg_ep)
        fake.install()
        yield fake, RegistryClient(endpoint, fake.address, config=client_config)


def gaps(times: list[float]) -> list[float]:
    return [round(b - a, 3) for a, b in itertools.pairwise(times)]


# -- the server over UDP ------------------------------------------------------------------------


async def test_register_discover_heartbeat_deregister(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with registry_and_agent() as (server, client):
        registration = registration_for(
            client.endpoint, version="1.2.0", description="echoes", tags=["demo", "x"]
        )
        response = await client.register(registration)
        assert response == RegisterResponse(success=True, agent_id="a1", message="agent registered")
        agents = await client.discover("demo.echo")
        assert [(a.id, a.name, a.version, a.description, a.tags, a.status) for a in agents] == [
            ("a1", "agent-a1", "1.2.0", "echoes", ["demo", "x"], AgentStatus.ONLINE)
        ]
        assert agents[0].address == registration.address
        assert agents[0].registered_at == T0
        assert await client.discover("nothing") == []
        assert [a.id for a in await client.discover("*")] == ["a1"]

        await trio.sleep(4)
        beat = await client.heartbeat("a1")
        assert (beat.success, beat.needs_register, beat.message) == (True, False, None)
        assert beat.timestamp == T0 + dt.timedelta(seconds=4)

        await client.deregister("a1")
        assert server.list_agents() == []
        with pytest.raises(RegistrationRequired) as info:
            await client.heartbeat("a1")
        assert "a1" in str(info.value)
        await client.deregister("a1")  # idempotent


async def test_missed_heartbeats_offline_then_evicted_over_udp(
    autojump_clock: trio.testing.MockClock,
) -> None:
    config = RegistryConfig(heartbeat_interval=10, missed_heartbeats=3, evict_after=60)
    async with registry_and_agent(config) as (server, client):
        await client.register(registration_for(client.endpoint))
        await trio.sleep(31)
        assert await client.discover("demo.echo") == []
        assert [(a.id, a.status) for a in server.list_agents()] == [("a1", AgentStatus.OFFLINE)]
        await trio.sleep(40)  # the server's sweep (every 10 s) evicts it at 70 s
        assert server.store.sweep().evicted == []  # already gone
        assert server.list_agents() == []
        with pytest.raises(RegistrationRequired):
            await client.heartbeat("a1")


async def test_reregister_updates_record(autojump_clock: trio.testing.MockClock) -> None:
    async with registry_and_agent() as (server, client):
        await client.register(registration_for(client.endpoint, capabilities=["a.b"]))
        await trio.sleep(5)
        response = await client.register(
            registration_for(client.endpoint, capabilities=["c.d"], version="2.0.0")
        )
        assert response.message == "agent registration updated"
        (record,) = server.list_agents()
        assert (record.capabilities, record.version, record.registered_at) == (
            ["c.d"],
            "2.0.0",
            T0,
        )
        assert record.last_heartbeat == T0 + dt.timedelta(seconds=5)
        assert await client.discover("a.b") == []


async def test_discover_reply_larger_than_a_datagram(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with registry_and_agent() as (server, client):
        for i in range(250):
            server.store.register(
                RegisterRequest(
                    id=f"agent-{i:04d}",
                    name="x" * 200,
                    capabilities=["shared.cap", f"cap.{i}"],
                    address="127.0.0.1:9",
                )
            )
        agents = await client.discover("shared.cap")
        assert [a.id for a in agents] == [f"agent-{i:04d}" for i in range(250)]
        assert client.endpoint.metrics().streams_completed >= 1  # the reply came as a stream


async def test_errors_carry_the_registry_message(autojump_clock: trio.testing.MockClock) -> None:
    async with registry_and_agent(RegistryConfig(max_agents=1)) as (_server, client):
        await client.register(registration_for(client.endpoint, "a1"))
        with pytest.raises(RegistryError) as info:
            await client.register(registration_for(client.endpoint, "a2"))
        assert info.value.code == "registry_full"
        assert "registry full" in str(info.value)
        assert "max_agents=1" in str(info.value)


async def test_bad_tags_get_an_error_frame(autojump_clock: trio.testing.MockClock) -> None:
    async with registry_and_agent() as (server, client):
        body = {
            "id": "a1",
            "name": "n",
            "capabilities": [],
            "address": "127.0.0.1:9",
            "metadata": {"tags": "a,b"},
        }
        request = Message.new(MessageType.AGENT_REGISTER, json.dumps(body).encode())
        reply = await client.endpoint.request(request, server.address, timeout=5)
        assert reply.type is MessageType.ERROR
        error = decode_body(reply.payload, ErrorResponse)
        assert error.code == "invalid_request"
        assert "$.metadata.tags" in error.error
        assert server.list_agents() == []


async def test_replies_carry_the_request_ids_on_the_wire(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with RegistryServer.open(LOCALHOST, 0) as server:
        sock = trio.socket.socket(trio.socket.AF_INET, trio.socket.SOCK_DGRAM)
        with sock:
            await sock.bind((LOCALHOST, 0))
            requests = [
                Message(
                    MessageType.AGENT_REGISTER,
                    b'{"id":"a1","name":"n","capabilities":["c"],"address":"127.0.0.1:9"}',
                    message_id=0x1111,
                    trace_id=0xAAAA,
                ),
                Message(
                    MessageType.AGENT_DISCOVER, b'{"capability":"c"}', message_id=2, trace_id=3
                ),
                Message(
                    MessageType.AGENT_HEARTBEAT, b'{"agent_id":"a1"}', message_id=4, trace_id=5
                ),
                Message(MessageType.AGENT_DISCOVER, b"[]", message_id=6, trace_id=7),
            ]
            replies: list[Message] = []
            for request in requests:
                await sock.sendto(mxp.encode(request), server.address)
                with trio.fail_after(5):
                    data, _ = await sock.recvfrom(65536)
                reply = mxp.decode(data)
                assert (reply.message_id, reply.trace_id) == (request.message_id, request.trace_id)
                replies.append(reply)
            assert [r.type for r in replies] == [MessageType.RESPONSE] * 3 + [MessageType.ERROR]
            found = decode_body(
                server.handle(requests[1]).payload, DiscoverResponse
            )  # the same answer without a socket
            assert found.count == 1


# -- the client's maintenance loop --------------------------------------------------------------


async def test_keep_registered_heartbeats_and_deregisters_once(
    autojump_clock: trio.testing.MockClock,
) -> None:
    config = RegistryClientConfig(heartbeat_interval=10)
    async with registry_and_agent(client_config=config) as (server, client):
        async with client.keep_registered(registration_for(client.endpoint)) as status:
            assert (status.registered, status.registrations) == (True, 1)
            assert [a.id for a in server.discover("demo.echo")] == ["a1"]
            await trio.sleep(35)
            assert status.heartbeats == 3
            assert server.list_agents()[0].status is AgentStatus.ONLINE
        assert server.list_agents() == []


async def test_keep_registered_deregisters_when_the_block_raises(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with registry_and_agent() as (server, client):
        with pytest.raises(KeyError, match="boom"):
            async with client.keep_registered(registration_for(client.endpoint)):
                raise KeyError("boom")
        assert server.list_agents() == []


async def test_keep_registered_deregisters_when_cancelled(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with registry_and_agent() as (server, client):
        with trio.move_on_after(25) as scope:
            async with client.keep_registered(registration_for(client.endpoint)):
                await trio.sleep_forever()
        assert scope.cancelled_caught
        assert server.list_agents() == []


async def test_maintain_in_a_nursery(autojump_clock: trio.testing.MockClock) -> None:
    async with registry_and_agent() as (server, client), trio.open_nursery() as nursery:
        status = await nursery.start(client.maintain, registration_for(client.endpoint))
        assert status.registrations == 1
        assert [a.id for a in server.discover("demo.echo")] == ["a1"]
        await trio.sleep(21)
        assert status.heartbeats == 2
        nursery.cancel_scope.cancel()
    assert [a.id for a in server.list_agents()] == ["a1"]  # maintain alone never deregisters


async def test_needs_register_reregisters_at_once(autojump_clock: trio.testing.MockClock) -> None:
    config = RegistryClientConfig(heartbeat_interval=10)
    async with (
        registry_and_agent(client_config=config) as (server, client),
        client.keep_registered(registration_for(client.endpoint)) as status,
    ):
        server.store.deregister("a1")  # as if the registry had restarted
        await trio.sleep(10.5)  # the next heartbeat is answered needs_register
        assert status.registrations == 2
        assert status.registered
        (record,) = server.list_agents()
        # Registered again right after the 10 s heartbeat, not 3 heartbeats later.
        assert record.registered_at - T0 == pytest.approx(
            dt.timedelta(seconds=10), abs=dt.timedelta(seconds=0.5)
        )


async def test_registration_backoff_schedule(autojump_clock: trio.testing.MockClock) -> None:
    async with fake_registry_and_agent() as (fake, client):
        fake.register_answers = ["registry_full"] * 8
        reg = registration_for(client.endpoint)
        async with client.keep_registered(reg, register_timeout=200) as status:
            assert status.registrations == 1
            assert gaps(fake.registers) == [1, 2, 4, 8, 16, 30, 30, 30]
            assert "scripted failure registry_full" in (status.last_error or "")


async def test_three_heartbeat_failures_trigger_registration(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with fake_registry_and_agent() as (fake, client):
        # fail, fail, ok (resets the count), fail, fail, fail -> register again
        fake.heartbeat_answers = ["internal", "internal", "ok", "internal", "internal", "internal"]
        async with client.keep_registered(registration_for(client.endpoint)) as status:
            start = fake.registers[0]
            await trio.sleep(65)
            assert [round(t - start, 3) for t in fake.registers] == [0, 60]
            assert [round(t - start, 3) for t in fake.heartbeats] == [10, 20, 30, 40, 50, 60]
            assert status.registrations == 2
            assert status.heartbeats == 1


async def test_needs_register_skips_the_failure_count(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with fake_registry_and_agent() as (fake, client):
        fake.heartbeat_answers = ["needs_register"]
        async with client.keep_registered(registration_for(client.endpoint)):
            start = fake.registers[0]
            await trio.sleep(25)
            assert [round(t - start, 3) for t in fake.registers] == [0, 10]
            assert [round(t - start, 3) for t in fake.heartbeats] == [10, 20]


async def test_invalid_request_is_not_retried(autojump_clock: trio.testing.MockClock) -> None:
    async with fake_registry_and_agent() as (fake, client):
        fake.register_answers = ["invalid_request"]
        with pytest.raises(RegistryError) as info:
            async with client.keep_registered(registration_for(client.endpoint)):
                pytest.fail("must not register")
        assert info.value.code == "invalid_request"
        assert len(fake.registers) == 1


async def test_unreachable_registry_times_out(autojump_clock: trio.testing.MockClock) -> None:
    config = RegistryClientConfig(request_timeout=2, register_timeout=20)
    silent = trio.socket.socket(trio.socket.AF_INET, trio.socket.SOCK_DGRAM)
    await silent.bind((LOCALHOST, 0))  # receives, never answers
    with silent:
        async with Endpoint.bind(LOCALHOST, 0) as endpoint:
            client = RegistryClient(endpoint, silent.getsockname(), config=config)
            with pytest.raises(RegistryError) as info:
                await client.discover("x")
            assert info.value.code == "timeout"
            started = trio.current_time()
            with pytest.raises(RegistryError) as info:
                async with client.keep_registered(registration_for(endpoint)):
                    pytest.fail("must not register")
            assert info.value.code == "timeout"
            assert "within 20" in str(info.value)
            assert trio.current_time() - started == pytest.approx(20, abs=0.01)


async def test_a_peer_that_is_no_registry_is_not_retried(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with Endpoint.bind(LOCALHOST, 0) as other, Endpoint.bind(LOCALHOST, 0) as endpoint:
        client = RegistryClient(endpoint, other.local_address)
        with pytest.raises(RegistryError) as info:
            async with client.keep_registered(registration_for(endpoint)):
                pytest.fail("must not register")
        assert info.value.code == "unsupported"
        assert "no handler for AGENT_REGISTER" in str(info.value)


async def test_client_frames_match_the_reference(
    autojump_clock: trio.testing.MockClock, all_vectors: list[dict[str, Any]]
) -> None:
    register = next(v for v in all_vectors if v["name"] == "register_json")["fields"]
    deregister = next(v for v in all_vectors if v["name"] == "deregister_heartbeat_final")["fields"]
    async with fake_registry_and_agent() as (fake, client):
        seen: list[Message] = []
        record = fake._register

        async def spy(request: Message, peer: Address) -> Message:
            seen.append(request)
            return await record(request, peer)

        fake.endpoint.set_handler(MessageType.AGENT_REGISTER, spy)
        registration = Registration(
            id="8d6f1c2e-3b4a-4c5d-9e6f-7a8b9c0d1e2f",
            name="demo",
            capabilities=["demo.echo"],
            address="127.0.0.1:50052",
            version="0.1.0",
        )
        await client.register(registration)
        assert seen[0].payload.hex() == register["payload_hex"]
        assert seen[0].flags == register["flags"]

        async def spy_heartbeat(request: Message, peer: Address) -> Message:
            seen.append(request)
            body = HeartbeatResponse(
                success=True, needs_register=False, agent_id=registration.id, timestamp=T0
            )
            return request.reply(MessageType.RESPONSE, encode_body(body))

        fake.endpoint.set_handler(MessageType.AGENT_HEARTBEAT, spy_heartbeat)
        await client.deregister(registration.id)
        assert seen[1].type is MessageType.AGENT_HEARTBEAT
        assert seen[1].payload.hex() == deregister["payload_hex"]
        assert seen[1].flags == deregister["flags"]

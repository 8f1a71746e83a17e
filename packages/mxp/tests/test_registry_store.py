"""The registry core without sockets: state, clock-driven status and eviction, request handling."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
import trio
import trio.testing

from mxp import Flags, Message, MessageType
from mxp.bodies import (
    AgentStatus,
    DiscoverResponse,
    ErrorResponse,
    HeartbeatResponse,
    RegisterRequest,
    RegisterResponse,
    decode_body,
)
from mxp.registry import (
    RegistryConfig,
    RegistryConfigError,
    RegistryError,
    RegistryStore,
    handle_message,
)

T0 = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def fake_wall() -> Callable[[], dt.datetime]:
    """A wall clock that follows trio's (mock) clock from T0."""
    start = trio.current_time()
    return lambda: T0 + dt.timedelta(seconds=trio.current_time() - start)


def request(agent_id: str = "a1", capabilities: list[str] | None = None, **metadata: str):
    return RegisterRequest(
        id=agent_id,
        name=f"agent-{agent_id}",
        capabilities=["demo.echo"] if capabilities is None else capabilities,
        address="127.0.0.1:9000",
        metadata=metadata,
    )


def status_of(store: RegistryStore, agent_id: str) -> AgentStatus:
    record = store.get(agent_id)
    assert record is not None
    return record.status


def frame(message_type: MessageType, body: dict[str, Any], flags: Flags = Flags.NONE) -> Message:
    return Message.new(message_type, json.dumps(body).encode(), flags=flags)


async def test_lifecycle_online_offline_evicted(autojump_clock: trio.testing.MockClock) -> None:
    config = RegistryConfig(heartbeat_interval=10, missed_heartbeats=3, evict_after=100)
    store = RegistryStore(config, wall_clock=fake_wall())
    record, created = store.register(request())
    assert created
    assert record.status is AgentStatus.ONLINE
    assert [r.id for r in store.discover("demo.echo")] == ["a1"]

    await trio.sleep(25)
    assert store.heartbeat("a1") is not None  # keeps it Online
    await trio.sleep(30)
    assert status_of(store, "a1") is AgentStatus.ONLINE  # 30 s == offline_after: not yet
    assert store.sweep().went_offline == []
    await trio.sleep(0.5)
    assert status_of(store, "a1") is AgentStatus.OFFLINE
    assert store.discover("demo.echo") == []  # discover hides Offline agents...
    assert store.sweep().went_offline == ["a1"]  # reported once
    assert store.sweep().went_offline == []
    # ... list_agents shows them until they are evicted.
    assert [(r.id, r.status) for r in store.list_agents()] == [("a1", AgentStatus.OFFLINE)]

    await trio.sleep(70)  # 100.5 s since the last heartbeat
    report = store.sweep()
    assert report.evicted == ["a1"]
    assert store.list_agents() == []
    assert "a1" not in store
    assert store.heartbeat("a1") is None


async def test_heartbeat_revives_offline_agent(autojump_clock: trio.testing.MockClock) -> None:
    store = RegistryStore(RegistryConfig(heartbeat_interval=1, evict_after=10))
    store.register(request())
    await trio.sleep(5)
    assert status_of(store, "a1") is AgentStatus.OFFLINE
    record = store.heartbeat("a1")
    assert record is not None
    assert record.status is AgentStatus.ONLINE
    assert [r.id for r in store.discover("demo.echo")] == ["a1"]


async def test_reads_evict_without_a_sweep(autojump_clock: trio.testing.MockClock) -> None:
    store = RegistryStore(RegistryConfig(heartbeat_interval=1, evict_after=10))
    store.register(request("a1"))
    store.register(request("a2"))
    await trio.sleep(10.5)
    assert len(store) == 0
    assert store.discover("*") == []
    assert store.get("a1") is None


async def test_reregister_updates_and_keeps_registered_at(
    autojump_clock: trio.testing.MockClock,
) -> None:
    store = RegistryStore(RegistryConfig(), wall_clock=fake_wall())
    first, _ = store.register(request(capabilities=["old.cap"], version="1.0.0"))
    await trio.sleep(7)
    second, created = store.register(
        RegisterRequest(
            id="a1",
            name="renamed",
            capabilities=["new.cap"],
            address="127.0.0.1:9001",
            metadata={"version": "2.0.0"},
        )
    )
    assert not created
    assert second.registered_at == first.registered_at == T0
    assert second.last_heartbeat == T0 + dt.timedelta(seconds=7)
    assert (second.name, second.version, second.address) == ("renamed", "2.0.0", "127.0.0.1:9001")
    assert store.discover("old.cap") == []
    assert [r.name for r in store.discover("new.cap")] == ["renamed"]
    assert len(store) == 1


async def test_discover_exact_match_and_star() -> None:
    store = RegistryStore()
    store.register(request("a1", ["math.add"]))
    store.register(request("a2", ["math.add.fast", "demo.echo"]))
    store.register(request("a3", []))
    assert [r.id for r in store.discover("math.add")] == ["a1"]
    assert [r.id for r in store.discover("math")] == []
    assert [r.id for r in store.discover("*")] == ["a1", "a2", "a3"]
    assert store.deregister("a1")
    assert not store.deregister("a1")
    assert store.discover("math.add") == []


async def test_metadata_becomes_record_fields() -> None:
    store = RegistryStore()
    record, _ = store.register(
        request(version="1.2.3", description="adds numbers", tags='["math","fast"]', extra="x")
    )
    assert (record.version, record.description, record.tags) == (
        "1.2.3",
        "adds numbers",
        ["math", "fast"],
    )
    bare, _ = store.register(request("a2"))
    assert (bare.version, bare.description, bare.tags) == ("0.0.0", None, [])


@pytest.mark.parametrize("tags", ["math,fast", "[1, 2]", '{"a": 1}', '["a"', "null"])
async def test_bad_tags_are_rejected_not_dropped(tags: str) -> None:
    store = RegistryStore()
    with pytest.raises(RegistryError) as info:
        store.register(request(tags=tags))
    assert info.value.code == "invalid_request"
    assert "$.metadata.tags" in str(info.value)
    assert "a1" not in store


async def test_address_is_validated_and_normalised() -> None:
    store = RegistryStore()
    ipv6 = RegisterRequest(id="a6", name="v6", capabilities=[], address="[0:0::1]:9000")
    assert store.register(ipv6)[0].address == "[::1]:9000"
    with pytest.raises(RegistryError, match=r"\$\.address"):
        store.register(RegisterRequest(id="x", name="x", capabilities=[], address="localhost:1"))
    with pytest.raises(RegistryError, match=r"\$\.id"):
        store.register(RegisterRequest(id="", name="x", capabilities=[], address="127.0.0.1:1"))


async def test_max_agents(autojump_clock: trio.testing.MockClock) -> None:
    store = RegistryStore(RegistryConfig(max_agents=2, heartbeat_interval=1, evict_after=10))
    store.register(request("a1"))
    store.register(request("a2"))
    store.register(request("a2"))  # re-registering is allowed when full
    with pytest.raises(RegistryError) as info:
        store.register(request("a3"))
    assert info.value.code == "registry_full"
    assert "max_agents=2" in str(info.value)
    await trio.sleep(11)  # both expire: room again
    store.register(request("a3"))
    assert [r.id for r in store.list_agents()] == ["a3"]


def test_config_validation() -> None:
    assert RegistryConfig().offline_after == 30.0
    with pytest.raises(RegistryConfigError, match="heartbeat_interval"):
        RegistryConfig(heartbeat_interval=0)
    with pytest.raises(RegistryConfigError, match="evict_after"):
        RegistryConfig(heartbeat_interval=10, evict_after=30)
    with pytest.raises(RegistryConfigError, match="max_agents"):
        RegistryConfig(max_agents=-1)
    with pytest.raises(ValueError, match="missed_heartbeats"):
        RegistryConfig(missed_heartbeats=0)


# -- request handling (Message in, Message out) ------------------------------------------------


async def test_handle_replies_keep_ids_and_types(autojump_clock: trio.testing.MockClock) -> None:
    store = RegistryStore(wall_clock=fake_wall())
    register = frame(
        MessageType.AGENT_REGISTER,
        {"id": "a1", "name": "n", "capabilities": ["c"], "address": "127.0.0.1:1"},
    )
    reply = handle_message(store, register)
    assert (reply.type, reply.message_id, reply.trace_id) == (
        MessageType.RESPONSE,
        register.message_id,
        register.trace_id,
    )
    assert decode_body(reply.payload, RegisterResponse) == RegisterResponse(
        success=True, agent_id="a1", message="agent registered"
    )
    again = handle_message(store, register.with_flags(Flags.NONE))
    assert decode_body(again.payload, RegisterResponse).message == "agent registration updated"

    discover = frame(MessageType.AGENT_DISCOVER, {"capability": "c"})
    reply = handle_message(store, discover)
    assert (reply.message_id, reply.trace_id) == (discover.message_id, discover.trace_id)
    found = decode_body(reply.payload, DiscoverResponse)
    assert (found.capability, found.count, [a.id for a in found.agents]) == ("c", 1, ["a1"])

    await trio.sleep(3)
    heartbeat = frame(MessageType.AGENT_HEARTBEAT, {"agent_id": "a1"})
    reply = handle_message(store, heartbeat)
    assert (reply.message_id, reply.trace_id) == (heartbeat.message_id, heartbeat.trace_id)
    assert decode_body(reply.payload, HeartbeatResponse) == HeartbeatResponse(
        success=True,
        needs_register=False,
        agent_id="a1",
        timestamp=T0 + dt.timedelta(seconds=3),
    )
    assert b'"message"' not in reply.payload


async def test_handle_unknown_heartbeat_needs_register() -> None:
    reply = handle_message(RegistryStore(), frame(MessageType.AGENT_HEARTBEAT, {"agent_id": "zz"}))
    body = decode_body(reply.payload, HeartbeatResponse)
    assert reply.type is MessageType.RESPONSE
    assert (body.success, body.needs_register, body.agent_id) == (False, True, "zz")
    assert body.message is not None
    assert "not registered" in body.message


async def test_handle_deregister_final_flag() -> None:
    store = RegistryStore()
    store.register(request())
    dereg = frame(MessageType.AGENT_HEARTBEAT, {"agent_id": "a1"}, Flags.FINAL)
    body = decode_body(handle_message(store, dereg).payload, HeartbeatResponse)
    assert (body.success, body.needs_register, body.message) == (True, False, None)
    assert "a1" not in store
    # Idempotent: deregistering again still succeeds, and says so.
    body = decode_body(handle_message(store, dereg).payload, HeartbeatResponse)
    assert body.success
    assert body.message == "agent was not registered"


@pytest.mark.parametrize(
    ("message_type", "payload", "needle"),
    [
        (MessageType.AGENT_REGISTER, b"not json", "RegisterRequest"),
        (MessageType.AGENT_REGISTER, b'{"id":"a","name":"n","capabilities":"x"}', "$.capabilities"),
        (MessageType.AGENT_REGISTER, b'{"id":"a","name":"n","capabilities":[]}', "address"),
        (
            MessageType.AGENT_REGISTER,
            b'{"id":"a","name":"n","capabilities":[],"address":"127.0.0.1:1",'
            b'"metadata":{"tags":"a,b"}}',
            "$.metadata.tags",
        ),
        (MessageType.AGENT_DISCOVER, b"{}", "capability"),
        (MessageType.AGENT_HEARTBEAT, b'{"agent_id":7}', "$.agent_id"),
    ],
)
async def test_handle_bad_bodies_get_error_frames(
    message_type: MessageType, payload: bytes, needle: str
) -> None:
    request_message = Message.new(message_type, payload)
    reply = handle_message(RegistryStore(), request_message)
    assert reply.type is MessageType.ERROR
    assert (reply.message_id, reply.trace_id) == (
        request_message.message_id,
        request_message.trace_id,
    )
    error = decode_body(reply.payload, ErrorResponse)
    assert error.code == "invalid_request"
    assert needle in error.error


async def test_handle_registry_full_and_unsupported() -> None:
    store = RegistryStore(RegistryConfig(max_agents=0))
    reply = handle_message(
        store,
        frame(
            MessageType.AGENT_REGISTER,
            {"id": "a", "name": "n", "capabilities": [], "address": "127.0.0.1:1"},
        ),
    )
    assert decode_body(reply.payload, ErrorResponse).code == "registry_full"
    reply = handle_message(store, Message.new(MessageType.CALL, b"{}"))
    assert reply.type is MessageType.ERROR
    assert decode_body(reply.payload, ErrorResponse).code == "unsupported"

"""Registry bodies and registrations are byte-for-byte what the Rust reference emits."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mxp
from mxp import Flags, Message, MessageType
from mxp.bodies import (
    AgentRecord,
    AgentStatus,
    HeartbeatRequest,
    HeartbeatResponse,
    encode_body,
)
from mxp.registry import (
    Registration,
    RegistryConfigError,
    RegistryError,
    parse_metadata,
)

AGENT_ID = "8d6f1c2e-3b4a-4c5d-9e6f-7a8b9c0d1e2f"


def named(vectors: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(vector for vector in vectors if vector["name"] == name)


def test_registration_encodes_like_the_reference_register_vector(
    all_vectors: list[dict[str, Any]],
) -> None:
    vector = named(all_vectors, "register_json")
    registration = Registration(
        id=AGENT_ID,
        name="demo",
        capabilities=["demo.echo"],
        address="127.0.0.1:50052",
        version="0.1.0",
    )
    payload = encode_body(registration.to_request())
    assert payload.hex() == vector["fields"]["payload_hex"]
    fields = vector["fields"]
    message = Message(
        MessageType.AGENT_REGISTER,
        payload,
        message_id=fields["message_id"],
        trace_id=fields["trace_id"],
    )
    assert mxp.encode(message).hex() == vector["hex"]


def test_deregistration_frame_matches_the_reference_vector(
    all_vectors: list[dict[str, Any]],
) -> None:
    vector = named(all_vectors, "deregister_heartbeat_final")
    message = Message(
        MessageType.AGENT_HEARTBEAT,
        encode_body(HeartbeatRequest(agent_id=AGENT_ID)),
        flags=Flags.FINAL,
        message_id=42,
        trace_id=42,
    )
    assert mxp.encode(message).hex() == vector["hex"]


def test_metadata_layout_of_description_and_tags() -> None:
    registration = Registration(
        id="a1",
        name="n",
        capabilities=["c"],
        address="[::1]:7",
        version="1.0.0",
        description="does things",
        tags=["a", "b"],
        metadata={"owner": "ops"},
    )
    assert encode_body(registration.to_request()) == (
        b'{"id":"a1","name":"n","capabilities":["c"],"address":"[::1]:7","metadata":'
        b'{"version":"1.0.0","description":"does things","tags":"[\\"a\\",\\"b\\"]",'
        b'"owner":"ops"}}'
    )


def test_registration_validates() -> None:
    with pytest.raises(RegistryConfigError, match="address"):
        Registration(id="a", name="n", capabilities=[], address="localhost:80")
    with pytest.raises(RegistryConfigError, match="id"):
        Registration(id="", name="n", capabilities=[], address="127.0.0.1:80")
    with pytest.raises(RegistryConfigError, match="version"):
        Registration(
            id="a", name="n", capabilities=[], address="127.0.0.1:80", metadata={"version": "1"}
        )


@given(
    tags=st.lists(st.text(max_size=8), max_size=4),
    description=st.none() | st.text(max_size=10),
    version=st.text(min_size=1, max_size=8),
)
def test_metadata_roundtrip(tags: list[str], description: str | None, version: str) -> None:
    registration = Registration(
        id="a",
        name="n",
        capabilities=[],
        address="127.0.0.1:1",
        version=version,
        description=description,
        tags=tags,
    )
    assert parse_metadata(registration.to_request().metadata) == (version, description, tags)


def test_bad_tags_raise_with_the_path() -> None:
    with pytest.raises(RegistryError, match=r"\$\.metadata\.tags") as info:
        parse_metadata({"tags": "a,b"})
    assert info.value.code == "invalid_request"


def test_heartbeat_response_omits_a_missing_message() -> None:
    when = dt.datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC)
    body = HeartbeatResponse(success=True, needs_register=False, agent_id="a", timestamp=when)
    assert encode_body(body) == (
        b'{"success":true,"needs_register":false,"agent_id":"a",'
        b'"timestamp":"2025-01-02T03:04:05.678901Z"}'
    )
    with_message = msgspec.structs.replace(body, message="hi")
    assert encode_body(with_message).endswith(b',"message":"hi"}')


def test_agent_record_field_order() -> None:
    when = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    full = AgentRecord(
        id="a",
        name="n",
        version="1.0.0",
        description="d",
        capabilities=["c"],
        tags=["t"],
        address="127.0.0.1:1",
        status=AgentStatus.ONLINE,
        last_heartbeat=when,
        registered_at=when,
    )
    assert list(msgspec.json.decode(encode_body(full))) == [
        "id",
        "name",
        "version",
        "description",
        "capabilities",
        "tags",
        "address",
        "status",
        "last_heartbeat",
        "registered_at",
    ]
    bare = msgspec.structs.replace(full, description=None, tags=[], status=AgentStatus.OFFLINE)
    assert encode_body(bare) == (
        b'{"id":"a","name":"n","version":"1.0.0","capabilities":["c"],"address":"127.0.0.1:1",'
        b'"status":"Offline","last_heartbeat":"2025-01-02T03:04:05Z",'
        b'"registered_at":"2025-01-02T03:04:05Z"}'
    )

"""The registry's side of the wire protocol: one request `Message` in, one reply out.

- AgentRegister (RegisterRequest) -> Response (RegisterResponse)
- AgentDiscover (DiscoverRequest) -> Response (DiscoverResponse)
- AgentHeartbeat (HeartbeatRequest) -> Response (HeartbeatResponse); an unknown agent gets
  ``success: false, needs_register: true``
- AgentHeartbeat with the FINAL flag (deregistration) -> Response (HeartbeatResponse, success)

A request the registry rejects gets an Error frame with an `ErrorResponse` (codes
``invalid_request``, ``registry_full``, ``unsupported``). Every reply keeps the request's
``message_id`` and ``trace_id``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mxp._registry._errors import RegistryError
from mxp._types import Flags, MessageType
from mxp.bodies import (
    BodyError,
    DiscoverRequest,
    DiscoverResponse,
    ErrorResponse,
    HeartbeatRequest,
    HeartbeatResponse,
    RegisterRequest,
    RegisterResponse,
    decode_body,
    encode_body,
)

if TYPE_CHECKING:
    from mxp._message import Message
    from mxp._registry._store import RegistryStore

REGISTRY_TYPES = (
    MessageType.AGENT_REGISTER,
    MessageType.AGENT_DISCOVER,
    MessageType.AGENT_HEARTBEAT,
)
"""The message types a registry answers."""


def error_reply(request: Message, message: str, code: str) -> Message:
    """An Error frame answering ``request``.

    Example:
        >>> error_reply(request, "registry full", "registry_full").type
        <MessageType.ERROR: 241>
    """
    return request.reply(MessageType.ERROR, encode_body(ErrorResponse(error=message, code=code)))


def handle_message(store: RegistryStore, request: Message) -> Message:
    """The registry's reply to one request (a Response, or an Error frame).

    Example:
        >>> reply = handle_message(store, Message.new(MessageType.AGENT_DISCOVER,
        ...                                           b'{"capability":"demo.echo"}'))
        >>> reply.type, reply.payload
        (<MessageType.RESPONSE: 17>, b'{"capability":"demo.echo","agents":[],"count":0}')
    """
    try:
        if request.type is MessageType.AGENT_REGISTER:
            body = _register(store, request)
        elif request.type is MessageType.AGENT_DISCOVER:
            body = _discover(store, request)
        elif request.type is MessageType.AGENT_HEARTBEAT:
            body = _heartbeat(store, request)
        else:
            return error_reply(
                request,
                f"the registry does not handle {request.type.name} frames; send AgentRegister, "
                "AgentDiscover or AgentHeartbeat",
                "unsupported",
            )
    except BodyError as error:
        return error_reply(request, str(error), "invalid_request")
    except RegistryError as error:
        return error_reply(request, str(error), error.code)
    return request.reply(MessageType.RESPONSE, body)


def _register(store: RegistryStore, request: Message) -> bytes:
    body = decode_body(request.payload, RegisterRequest)
    record, created = store.register(body)
    return encode_body(
        RegisterResponse(
            success=True,
            agent_id=record.id,
            message="agent registered" if created else "agent registration updated",
        )
    )


def _discover(store: RegistryStore, request: Message) -> bytes:
    body = decode_body(request.payload, DiscoverRequest)
    agents = store.discover(body.capability)
    return encode_body(
        DiscoverResponse(capability=body.capability, agents=agents, count=len(agents))
    )


def _heartbeat(store: RegistryStore, request: Message) -> bytes:
    body = decode_body(request.payload, HeartbeatRequest)
    agent_id = body.agent_id
    if request.flags & Flags.FINAL:
        known = store.deregister(agent_id)
        return encode_body(
            HeartbeatResponse(
                success=True,
                needs_register=False,
                agent_id=agent_id,
                timestamp=store.wall_clock(),
                message=None if known else "agent was not registered",
            )
        )
    record = store.heartbeat(agent_id)
    if record is None:
        return encode_body(
            HeartbeatResponse(
                success=False,
                needs_register=True,
                agent_id=agent_id,
                timestamp=store.wall_clock(),
                message=f"agent {agent_id!r} is not registered: send AgentRegister first",
            )
        )
    return encode_body(
        HeartbeatResponse(
            success=True, needs_register=False, agent_id=agent_id, timestamp=record.last_heartbeat
        )
    )

"""Typed message bodies of the MXP registry protocol.

Each body is a `msgspec.Struct` whose JSON encoding is the one the Rust runtime's serde produces:
same field names and order, optional fields omitted when empty, timestamps in RFC 3339 UTC and
socket addresses as ``"ip:port"`` (``"[::1]:port"`` for IPv6). Encode with `encode_body` and
decode with `decode_body`, which reports bad input with a path (``... - at $.agents[0].id``).

Example:
    >>> body = encode_body(DiscoverRequest(capability="code.review"))
    >>> body
    b'{"capability":"code.review"}'
    >>> decode_body(body, DiscoverRequest).capability
    'code.review'
"""

from __future__ import annotations

import datetime as _dt
import enum
import ipaddress
from typing import Any, Final, TypeVar

import msgspec

from mxp._errors import MxpError

__all__ = [
    "AgentRecord",
    "AgentStatus",
    "BodyError",
    "DiscoverRequest",
    "DiscoverResponse",
    "ErrorResponse",
    "HeartbeatRequest",
    "HeartbeatResponse",
    "RegisterRequest",
    "RegisterResponse",
    "decode_body",
    "encode_body",
    "format_address",
    "parse_address",
    "utc_now",
]


class BodyError(MxpError):
    """A message body that is not valid JSON for the expected type; the text names the path."""


class AgentStatus(enum.Enum):
    """Health of an agent as the registry sees it."""

    ONLINE = "Online"
    OFFLINE = "Offline"
    DEGRADED = "Degraded"


class RegisterRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    """Body of an AgentRegister frame.

    ``metadata`` carries ``version``, ``description`` and ``tags`` (the tags as a JSON-encoded
    list in one string, as the reference client sends them).
    """

    id: str
    name: str
    capabilities: list[str]
    address: str
    metadata: dict[str, str] = msgspec.field(default_factory=dict[str, str])


class RegisterResponse(msgspec.Struct, frozen=True):
    """The registry's answer to an AgentRegister frame."""

    success: bool
    agent_id: str
    message: str


class DiscoverRequest(msgspec.Struct, frozen=True):
    """Body of an AgentDiscover frame: the capability to look for."""

    capability: str


class AgentRecord(msgspec.Struct, frozen=True, omit_defaults=True):
    """One agent as returned by discovery."""

    id: str
    name: str
    version: str
    capabilities: list[str]
    address: str
    status: AgentStatus
    last_heartbeat: _dt.datetime
    registered_at: _dt.datetime
    description: str | None = None
    # The bare `list` factory lets omit_defaults drop an empty list (serde: skip if empty).
    tags: list[str] = msgspec.field(default_factory=list)  # pyright: ignore[reportUnknownVariableType]

    # serde emits fields in declaration order: id, name, version, description?, capabilities,
    # tags?, address, status, last_heartbeat, registered_at. `encode_body` restores that order.


class DiscoverResponse(msgspec.Struct, frozen=True):
    """The registry's answer to an AgentDiscover frame."""

    capability: str
    agents: list[AgentRecord]
    count: int


class HeartbeatRequest(msgspec.Struct, frozen=True):
    """Body of an AgentHeartbeat frame (with the FINAL flag, a deregistration)."""

    agent_id: str


class HeartbeatResponse(msgspec.Struct, frozen=True, omit_defaults=True):
    """The registry's answer to a heartbeat; ``needs_register`` asks the agent to register again."""

    success: bool
    needs_register: bool
    agent_id: str
    timestamp: _dt.datetime
    message: str | None = None


class ErrorResponse(msgspec.Struct, frozen=True):
    """Body of an Error frame: a readable message and a machine-readable code."""

    error: str
    code: str


_T = TypeVar("_T")
_encoder: Final = msgspec.json.Encoder()
_decoders: dict[type[Any], msgspec.json.Decoder[Any]] = {}
_RECORD_ORDER: Final = (
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
)


def _record_builtins(record: AgentRecord) -> dict[str, Any]:
    raw: dict[str, Any] = msgspec.to_builtins(record)
    return {key: raw[key] for key in _RECORD_ORDER if key in raw}


def encode_body(body: msgspec.Struct) -> bytes:
    """JSON bytes of a body, in the field order and shape the Rust runtime emits."""
    if isinstance(body, AgentRecord):
        return _encoder.encode(_record_builtins(body))
    if isinstance(body, DiscoverResponse):
        return _encoder.encode(
            {
                "capability": body.capability,
                "agents": [_record_builtins(agent) for agent in body.agents],
                "count": body.count,
            }
        )
    return _encoder.encode(body)


def decode_body(data: bytes | bytearray | memoryview, body_type: type[_T]) -> _T:
    """Decode and validate a JSON body as ``body_type``.

    Raises:
        BodyError: the bytes are not JSON of that shape; the message names the path.
    """
    decoder = _decoders.get(body_type)
    if decoder is None:
        decoder = _decoders[body_type] = msgspec.json.Decoder(body_type)
    try:
        return decoder.decode(data)
    except msgspec.ValidationError as error:
        raise BodyError(f"invalid {body_type.__name__} body: {error}") from None
    except msgspec.DecodeError as error:
        raise BodyError(f"invalid {body_type.__name__} body: {error}") from None


def utc_now() -> _dt.datetime:
    """The current time as an aware UTC datetime (how bodies carry timestamps)."""
    return _dt.datetime.now(_dt.UTC)


def format_address(host: str, port: int) -> str:
    """``"ip:port"``, or ``"[ip]:port"`` for IPv6, as Rust formats a `SocketAddr`.

    Example:
        >>> format_address("::1", 9000)
        '[::1]:9000'
    """
    ip = ipaddress.ip_address(host)
    if not 0 <= port <= 0xFFFF:
        raise ValueError(f"port must be in 0..65535, got {port}")
    return f"[{ip}]:{port}" if ip.version == 6 else f"{ip}:{port}"


def parse_address(text: str) -> tuple[str, int]:
    """Parse ``"ip:port"`` or ``"[ipv6]:port"`` into ``(host, port)``.

    Raises:
        ValueError: not a socket address; the message quotes the text.

    Example:
        >>> parse_address("[::1]:9000")
        ('::1', 9000)
    """
    host, sep, port_text = text.rpartition(":")
    if not sep or not port_text.isdigit():
        raise ValueError(f"expected 'ip:port' or '[ipv6]:port', got {text!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        version = 6
    else:
        version = 4
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"expected 'ip:port' or '[ipv6]:port', got {text!r}") from None
    port = int(port_text)
    if ip.version != version or port > 0xFFFF:
        raise ValueError(f"expected 'ip:port' or '[ipv6]:port', got {text!r}")
    return str(ip), port

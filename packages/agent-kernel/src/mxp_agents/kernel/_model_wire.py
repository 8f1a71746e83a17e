"""The wire form of model calls over MXP: the Call body (`ModelCall`), the probe's answer
(`ModelInfo`), the answers' decoders (errors: `mxp_agents.kernel._model_errors`).

A Call body with ``model_request`` (or the probe ``model_info``) is a model call; Responses
carry a `ModelResponse`, streamed items one `ModelEvent` each, all as msgspec JSON.
"""

from __future__ import annotations

import re
from typing import Any, Final

import msgspec

from mxp_agents.adapters import ModelEvent, ModelRequest, ModelResponse
from mxp_agents.kernel._call_body import InvalidCallBody, PriorityName, decode_body
from mxp_agents.kernel._model_errors import ModelStreamError
from mxp_agents.kernel._trace_context import trace_carrier
from mxp_agents.primitives import CapabilityId, parse_capability_id

__all__ = [
    "ModelCall",
    "ModelInfo",
    "decode_info",
    "decode_item",
    "decode_response",
    "model_capability",
    "parse_model_call",
    "with_trace_context",
]

_KEYS: Final = frozenset({"model_request", "model_info"})


class ModelCall(
    msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, forbid_unknown_fields=True
):
    """The Call body of a model call: ``model_request`` (or the probe ``model_info: true``).

    ``stream`` asks for `ModelEvent` items; ``priority``, ``deadline_ms`` and ``metadata``
    mean what they mean in a `CallRequest`.

    Example:
        >>> msgspec.json.encode(ModelCall(model_info=True))
        b'{"model_info":true}'
    """

    model_request: ModelRequest | None = None
    model_info: bool = False
    stream: bool = False
    priority: PriorityName = "interactive"
    deadline_ms: int | None = None
    metadata: dict[str, Any] = {}

    def __post_init__(self) -> None:
        if (self.model_request is None) != self.model_info:
            raise InvalidCallBody("give exactly one of 'model_request' and 'model_info'")
        if self.model_info and self.stream:
            raise InvalidCallBody("a model_info probe cannot stream", "$.stream")
        if self.deadline_ms is not None and self.deadline_ms < 1:
            raise InvalidCallBody(
                f"deadline_ms must be >= 1, got {self.deadline_ms}", "$.deadline_ms"
            )


class ModelInfo(msgspec.Struct, frozen=True, kw_only=True):
    """The answer to a ``model_info`` probe: what the server serves.

    Example:
        >>> ModelInfo(provider="openai", model="gpt-4o-mini", capability="model.openai.x").model
        'gpt-4o-mini'
    """

    provider: str
    model: str
    capability: str


_keys: Final = msgspec.json.Decoder(dict[str, msgspec.Raw])
_call: Final = msgspec.json.Decoder(ModelCall)
_response: Final = msgspec.json.Decoder(ModelResponse)
_item: Final = msgspec.json.Decoder(ModelEvent | ModelStreamError)
_info: Final = msgspec.json.Decoder(ModelInfo)
_UNSAFE: Final = re.compile(r"[^a-z0-9._-]+")


def parse_model_call(payload: bytes) -> ModelCall:
    """Read a model call's body.

    Raises:
        InvalidCallBody: not JSON, not a model call, or invalid; the text has the path.

    Example:
        >>> parse_model_call(b'{"model_info": true}').model_info
        True
    """
    keys = decode_body(_keys, payload, "a JSON object").keys()
    if _KEYS.isdisjoint(keys):
        raise InvalidCallBody(
            "this agent serves a model: send {'model_request': <ModelRequest>, 'stream': bool} "
            "(a task or messages body goes to an agent)"
        )
    return decode_body(_call, payload, "a model call")


def decode_response(payload: bytes) -> ModelResponse:
    """A Response body as a `ModelResponse` (`msgspec` errors propagate)."""
    return _response.decode(payload)


def decode_item(payload: bytes) -> ModelEvent | ModelStreamError:
    """One streamed item (`msgspec` errors propagate)."""
    return _item.decode(payload)


def decode_info(payload: bytes) -> ModelInfo:
    """A probe's answer (`msgspec` errors propagate)."""
    return _info.decode(payload)


def model_capability(provider: str, model: str) -> CapabilityId:
    """The default capability of a served model: ``model.<provider>.<model>``, lower-cased,
    other characters as ``-``, cut to the 64-byte limit.

    Example:
        >>> model_capability("ollama", "SmolLM2:135m")
        'model.ollama.smollm2-135m'
    """
    text = f"model.{_safe(provider)}.{_safe(model)}"
    return parse_capability_id(text[:64])


def with_trace_context(call: ModelCall) -> ModelCall:
    """``call`` with the current OpenTelemetry context in ``metadata`` (as `call_agent` does).

    Example:
        >>> with_trace_context(ModelCall(model_info=True)).metadata  # no span current
        {}
    """
    carrier = trace_carrier()
    if not carrier:
        return call
    return msgspec.structs.replace(call, metadata={**call.metadata, **carrier})


def _safe(text: str) -> str:
    return _UNSAFE.sub("-", text.lower()).strip("-") or "unnamed"

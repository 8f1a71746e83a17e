"""The wire form of model calls over MXP: the Call body (`ModelCall`), the probe's answer
(`ModelInfo`), the answers' decoders (errors: `mxp_agents.kernel._model_errors`).

A Call body with ``model_request`` (or the probe ``model_info``) is a model call; Responses
carry a `ModelResponse`, streamed items one `ModelEvent` each, all as msgspec JSON.
"""

from __future__ import annotations

import re
from typing import Any, Final, TypeVar

import msgspec
from opentelemetry import trace

from mxp_agents.adapters import ModelEvent, ModelRequest, ModelResponse
from mxp_agents.kernel._call_body import InvalidCallBody, PriorityName
from mxp_agents.kernel._model_errors import ModelStreamError
from mxp_agents.primitives import CapabilityId, InvalidValue, parse_capability_id
from mxp_agents.primitives import validation_error_parts as _parts

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

_T = TypeVar("_T")
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
    keys = _decoded(_keys, payload, "a JSON object").keys()
    if _KEYS.isdisjoint(keys):
        raise InvalidCallBody(
            "this agent serves a model: send {'model_request': <ModelRequest>, 'stream': bool} "
            "(a task or messages body goes to an agent)"
        )
    return _decoded(_call, payload, "a model call")


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
    if not trace.get_current_span().get_span_context().is_valid:
        return call
    from opentelemetry import propagate

    carrier: dict[str, list[str] | str] = {}
    propagate.get_global_textmap().inject(carrier)
    if not carrier:
        return call
    return msgspec.structs.replace(call, metadata={**call.metadata, **carrier})


def _safe(text: str) -> str:
    return _UNSAFE.sub("-", text.lower()).strip("-") or "unnamed"


def _decoded(decoder: msgspec.json.Decoder[_T], payload: bytes, what: str) -> _T:
    try:
        return decoder.decode(payload)
    except msgspec.ValidationError as error:
        reason, path = _parts(error)
        cause = error.__cause__
        if isinstance(cause, InvalidCallBody | InvalidValue):
            inner = cause.path or "$"
            raise InvalidCallBody(cause.reason, path + inner[1:]) from None
        raise InvalidCallBody(f"not {what}: {reason}", path) from None
    except msgspec.DecodeError as error:
        raise InvalidCallBody(f"the body is not JSON ({error})") from None

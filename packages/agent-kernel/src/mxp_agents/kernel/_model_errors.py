"""Model errors over MXP: a `ModelError` as an Error body (`ModelErrorBody`) or a last stream
item (`ModelStreamError`), and back to the same class; the kernel's own codes too."""

from __future__ import annotations

import math
from typing import Any, Final

import msgspec

from mxp_agents.adapters import (
    AuthenticationError,
    ContentFilteredError,
    ContextLengthExceededError,
    InvalidRequestError,
    MalformedResponseError,
    ModelError,
    ModelTimeoutError,
    PermissionDeniedError,
    RateLimitedError,
    TransientModelError,
)

__all__ = [
    "FAILOVER_CODES",
    "KINDS",
    "ModelErrorBody",
    "ModelStreamError",
    "body_of",
    "decode_error",
    "error_of",
]

KINDS: Final[dict[str, type[ModelError]]] = {
    "auth": AuthenticationError,
    "permission": PermissionDeniedError,
    "rate_limited": RateLimitedError,
    "context_length": ContextLengthExceededError,
    "content_filter": ContentFilteredError,
    "invalid_request": InvalidRequestError,
    "transient": TransientModelError,
    "timeout": ModelTimeoutError,
    "malformed_response": MalformedResponseError,
}
"""The ``kind`` of each `ModelError` subclass on the wire (any other: ``"model_error"``)."""
FAILOVER_CODES: Final = frozenset({"busy", "suspended", "unavailable", "shutting_down"})
"""Kernel refusals after which another server of the same capability is tried."""


class ModelErrorBody(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """An Error body for model calls: `mxp.bodies.ErrorResponse` plus the `ModelError`.

    ``code`` is ``model_error`` for a `ModelError` (then ``kind`` names its class, and
    ``message``, ``retryable``, ``status_code``, ``retry_after``, ``provider`` and ``model``
    rebuild it), else a kernel code (``busy``, ``deadline_exceeded``, ...).

    Example:
        >>> body_of(RateLimitedError("slow down", retry_after=2.0)).retry_after_ms
        2000
    """

    error: str
    code: str
    retry_after_ms: int | None = None
    kind: str | None = None
    message: str | None = None
    retryable: bool | None = None
    status_code: int | None = None
    retry_after: float | None = None
    provider: str | None = None
    model: str | None = None


class ModelStreamError(
    ModelErrorBody, frozen=True, kw_only=True, omit_defaults=True, tag="error", tag_field="type"
):
    """The last item of a streamed model call that failed (a kernel `CallFailed` reads as one).

    Example:
        >>> msgspec.json.encode(ModelStreamError(error="gone", code="shutting_down"))
        b'{"type":"error","error":"gone","code":"shutting_down"}'
    """


_error: Final = msgspec.json.Decoder(ModelErrorBody)


def decode_error(payload: bytes) -> ModelErrorBody:
    """An Error body; an unreadable one becomes code ``unknown`` with its text.

    Example:
        >>> decode_error(b'{"error": "queue full", "code": "busy"}').code
        'busy'
    """
    try:
        return _error.decode(payload)
    except msgspec.MsgspecError:
        text = payload[:200].decode("utf-8", "replace")
        return ModelErrorBody(error=f"unreadable Error body: {text!r}", code="unknown")


def body_of(error: ModelError) -> ModelErrorBody:
    """The Error body carrying ``error`` (see `error_of` for the way back).

    Example:
        >>> body_of(ContextLengthExceededError("too long")).kind
        'context_length'
    """
    kind = next((k for k, cls in KINDS.items() if isinstance(error, cls)), "model_error")
    after = error.retry_after if isinstance(error, RateLimitedError) else None
    return ModelErrorBody(
        error=str(error),
        code="model_error",
        retry_after_ms=None if after is None else math.ceil(after * 1000),
        kind=kind,
        message=error.message,
        retryable=error.retryable,
        status_code=error.status_code,
        retry_after=after,
        provider=error.provider,
        model=error.model,
    )


def error_of(body: ModelErrorBody, *, model: str, where: str) -> ModelError:
    """The `ModelError` an Error body (or failed stream) stands for.

    A ``model_error`` is rebuilt as the served side raised it (same class, provider and model);
    a kernel code becomes: ``busy``/``suspended``/``unavailable`` → `RateLimitedError` with the
    hint, ``shutting_down`` → `TransientModelError`, ``deadline_exceeded`` →
    `ModelTimeoutError`, ``invalid_request``/``unsupported`` → `InvalidRequestError`,
    ``rejected`` → `PermissionDeniedError`, others → `ModelError`; labelled ``mxp``/``model``.

    Example:
        >>> error_of(ModelErrorBody(error="full", code="busy", retry_after_ms=250),
        ...          model="model.x.y", where="127.0.0.1:7001").retry_after
        0.25
    """
    if body.code == "model_error":
        kind = KINDS.get(body.kind or "", ModelError)
        text = body.message if body.message is not None else body.error
        options: dict[str, Any] = {
            "provider": body.provider,
            "model": body.model,
            "retryable": body.retryable,
            "status_code": body.status_code,
        }
        if kind is RateLimitedError:
            return RateLimitedError(text, retry_after=body.retry_after, **options)
        return kind(text, **options)
    text = f"model server at {where} answered {body.code}: {body.error}"
    hint = None if body.retry_after_ms is None else body.retry_after_ms / 1000
    label: dict[str, Any] = {"provider": "mxp", "model": model}
    code = body.code
    if code in ("busy", "suspended", "unavailable"):
        return RateLimitedError(text, retry_after=hint, **label)
    if code in ("shutting_down", "timeout", "transport"):
        return TransientModelError(text, **label)
    if code == "deadline_exceeded":
        return ModelTimeoutError(text, **label)
    if code in ("invalid_request", "unsupported"):
        return InvalidRequestError(text, **label)
    if code == "rejected":
        return PermissionDeniedError(text, **label)
    return ModelError(text, **label)

"""OpenAI SDK exceptions -> the `ModelError` hierarchy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import openai

from mxp_agents.adapters._errors import (
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
from mxp_agents.adapters._redact import MASK, redact
from mxp_agents.adapters._retry_after import retry_after_seconds

__all__ = ["map_openai_error"]

_CONTEXT_CODES: Final = frozenset({"context_length_exceeded", "string_above_max_length"})
_FILTER_CODES: Final = frozenset({"content_policy_violation", "content_filter"})
# Compatible servers (vLLM, llama.cpp, LM Studio) often send no code; recognise their words.
_CONTEXT_WORDS: Final = (
    "maximum context length",
    "context length exceeded",
    "context_length_exceeded",
    "exceeds the available context size",
    "exceed_context_size",
    "context window",
)
_NOT_RETRYABLE_429: Final = frozenset({"insufficient_quota"})
_MAX_MESSAGE: Final = 500


def map_openai_error(
    error: Exception, *, provider: str, model: str, secret: str | None = None
) -> ModelError | None:
    """``error`` raised by the OpenAI SDK as a `ModelError`, or None when it is not the SDK's.

    ``secret`` (the API key) is masked wherever the server's message echoes it, whatever its
    form (`ModelError` also masks anything that looks like a key).

    By status: 401 -> `AuthenticationError`, 403 -> `PermissionDeniedError`, 429 ->
    `RateLimitedError` (``retry_after`` from ``retry-after-ms`` / ``retry-after``; code
    ``insufficient_quota`` is not retryable), 400/404/409/422 -> `ContextLengthExceededError`
    (code ``context_length_exceeded``), `ContentFilteredError` (``content_policy_violation``
    / ``content_filter``) or `InvalidRequestError`, 408 and 5xx -> `TransientModelError`.
    A timeout is a `ModelTimeoutError`, a connection error a `TransientModelError`, an error
    event inside a stream a `TransientModelError` unless its code says otherwise.

    The SDK exception itself (it becomes the ``__cause__`` of ours, printed in tracebacks) has
    its message masked the same way.

    Example:
        >>> map_openai_error(ValueError("x"), provider="openai", model="m") is None
        True
    """
    if isinstance(error, openai.APIError):
        _mask_sdk_error(error, secret)
    if isinstance(error, openai.APITimeoutError):
        return ModelTimeoutError(
            "the request timed out (OpenAI SDK timeout)", provider=provider, model=model
        )
    if isinstance(error, openai.APIConnectionError):
        cause = error.__cause__
        detail = f" ({type(cause).__name__}: {_scrub(str(cause), secret)})" if cause else ""
        return TransientModelError(
            f"could not reach the server{detail}", provider=provider, model=model
        )
    if isinstance(error, openai.APIResponseValidationError):
        return MalformedResponseError(
            f"the answer does not fit the API schema: {error.message}",
            provider=provider,
            model=model,
            status_code=error.status_code,
        )
    if isinstance(error, openai.APIStatusError):
        return _status_error(error, _message_of(error, secret), provider=provider, model=model)
    if isinstance(error, openai.APIError):  # an error event inside a stream
        message = _message_of(error, secret)
        return _by_code(error.code, message, None, provider=provider, model=model) or (
            TransientModelError(
                f"the stream reported an error: {message}", provider=provider, model=model
            )
        )
    return None


def _status_error(
    error: openai.APIStatusError, message: str, *, provider: str, model: str
) -> ModelError:
    status = error.status_code
    code = error.code
    if status == 401:
        return AuthenticationError(
            message or "the API key was rejected",
            provider=provider,
            model=model,
            status_code=status,
        )
    if status == 403:
        return PermissionDeniedError(message, provider=provider, model=model, status_code=status)
    if status == 429:
        return RateLimitedError(
            message,
            retry_after=retry_after_seconds(error.response.headers),
            provider=provider,
            model=model,
            retryable=False if code in _NOT_RETRYABLE_429 else None,
            status_code=status,
        )
    known = _by_code(code, message, status, provider=provider, model=model)
    if known is not None:
        return known
    if status == 408 or status >= 500:
        return TransientModelError(message, provider=provider, model=model, status_code=status)
    return InvalidRequestError(message, provider=provider, model=model, status_code=status)


def _by_code(
    code: str | None, message: str, status: int | None, *, provider: str, model: str
) -> ModelError | None:
    lowered = message.lower()
    if code in _CONTEXT_CODES or any(word in lowered for word in _CONTEXT_WORDS):
        return ContextLengthExceededError(
            message, provider=provider, model=model, status_code=status
        )
    if code in _FILTER_CODES:
        return ContentFilteredError(message, provider=provider, model=model, status_code=status)
    return None


def _message_of(error: openai.APIError, secret: str | None) -> str:
    """The provider's own message (``error.message`` of the body), not the SDK's wrapper."""
    body = error.body
    text: object = None
    if isinstance(body, Mapping):
        text = body.get("message")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        if isinstance(text, Mapping):  # some servers nest {"error": {"message": {...}}}
            text = str(text)  # pyright: ignore[reportUnknownArgumentType]
    elif isinstance(body, str) and body.strip():
        text = body.strip()
    if not isinstance(text, str) or not text.strip():
        text = error.message
    text = _scrub(text.strip(), secret)
    if len(text) > _MAX_MESSAGE:
        text = text[: _MAX_MESSAGE - 3] + "..."
    return text


def _scrub(text: str, secret: str | None) -> str:
    return text.replace(secret, MASK) if secret else text


def _mask_sdk_error(error: openai.APIError, secret: str | None) -> None:
    """Mask keys in the SDK exception's text: its message quotes the server's, which may echo
    the key, and it is chained to our error, so a logged traceback would print it."""
    error.message = redact(_scrub(error.message, secret))
    error.args = tuple(
        redact(_scrub(arg, secret)) if isinstance(arg, str) else arg for arg in error.args
    )

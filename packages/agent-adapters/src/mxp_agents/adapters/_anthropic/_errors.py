"""Anthropic SDK / HTTP exceptions → our `ModelError` hierarchy."""

from __future__ import annotations

import json
import re
from typing import Final

import anthropic
import httpx2

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

__all__ = ["map_error"]

PROVIDER: Final = "anthropic"

# The HTTP status each error type of the API comes with; used for errors sent inside a stream
# (the HTTP status there is 200) and for bodies whose status and type disagree.
_STATUS_OF_TYPE: Final = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}
_TYPE_OF_STATUS: Final = {status: kind for kind, status in _STATUS_OF_TYPE.items()}
_CONTEXT_LENGTH: Final = re.compile(
    r"prompt is too long|context (?:limit|window|length)|too many (?:input )?tokens", re.IGNORECASE
)
_CONTENT_FILTER: Final = re.compile(r"content filtering|blocked by .*polic", re.IGNORECASE)


def map_error(error: Exception, *, model: str, secret: str | None = None) -> ModelError | None:
    """Our error for ``error`` raised by the Anthropic SDK or its HTTP client, else None.

    HTTP errors (and ``error`` events inside a stream) map by the body's ``error.type``:
    ``authentication_error`` → `AuthenticationError`, ``permission_error`` /
    ``billing_error`` → `PermissionDeniedError`, ``rate_limit_error`` → `RateLimitedError`
    (``retry-after-ms`` / ``retry-after``), ``invalid_request_error`` → `ContextLengthExceeded
    Error` when the prompt is too long, `ContentFilteredError` when output was blocked, else
    `InvalidRequestError` (as are ``not_found_error`` and ``request_too_large``),
    ``api_error`` / ``overloaded_error`` / ``timeout_error`` → `TransientModelError`. Timeouts
    → `ModelTimeoutError`, connection failures → `TransientModelError`. ``secret`` (the API
    key) is masked wherever it appears in the message, and in the SDK exception's own message
    (it becomes the ``__cause__`` of ours).

    Example:
        >>> map_error(ValueError("not ours"), model="claude-haiku-4-5") is None
        True
    """
    if isinstance(error, anthropic.APIError):
        _mask(error, secret)  # it becomes our error's __cause__, printed in tracebacks
    if isinstance(error, anthropic.APIStatusError):
        return _status_error(error, model, secret)
    if isinstance(error, anthropic.APITimeoutError | httpx2.TimeoutException):
        return ModelTimeoutError(
            "the request timed out (the SDK's per-call timeout)", provider=PROVIDER, model=model
        )
    if isinstance(error, anthropic.APIConnectionError | httpx2.TransportError):
        reason = _clean(str(error.__cause__ or error) or type(error).__name__, secret)
        return TransientModelError(f"connection failed: {reason}", provider=PROVIDER, model=model)
    if isinstance(error, anthropic.APIResponseValidationError | json.JSONDecodeError):
        return MalformedResponseError(
            f"the answer is not what the API promises: {_clean(str(error), secret)}",
            provider=PROVIDER,
            model=model,
        )
    if isinstance(error, anthropic.CredentialsError):
        return AuthenticationError(
            f"no usable credentials: {_clean(str(error), secret)}", provider=PROVIDER, model=model
        )
    return None


def _status_error(error: anthropic.APIStatusError, model: str, secret: str | None) -> ModelError:
    http_status = error.status_code
    kind = error.type or _TYPE_OF_STATUS.get(http_status) or ""
    status = http_status if http_status >= 400 else _STATUS_OF_TYPE.get(kind, http_status)
    message = _clean(_message(error, kind), secret)

    def make(cls: type[ModelError]) -> ModelError:
        return cls(message, provider=PROVIDER, model=model, status_code=status)

    if kind == "authentication_error" or http_status == 401:
        return make(AuthenticationError)
    if kind in ("permission_error", "billing_error") or http_status in (402, 403):
        return make(PermissionDeniedError)
    if kind == "rate_limit_error" or http_status == 429:
        seconds = retry_after_seconds(error.response.headers) if http_status == 429 else None
        return RateLimitedError(
            message, retry_after=seconds, provider=PROVIDER, model=model, status_code=status
        )
    if kind in ("api_error", "overloaded_error", "timeout_error") or status >= 500:
        return make(TransientModelError)
    if kind == "invalid_request_error":
        if _CONTEXT_LENGTH.search(message):
            return make(ContextLengthExceededError)
        if _CONTENT_FILTER.search(message):
            return make(ContentFilteredError)
    if http_status == 408:
        return make(ModelTimeoutError)
    return make(InvalidRequestError)


def _message(error: anthropic.APIStatusError, kind: str) -> str:
    text = error.api_message
    if text is None:
        body = error.body
        text = body if isinstance(body, str) and body else error.message
    label = f"{kind}: " if kind else ""
    request_id = error.request_id or _body_request_id(error.body)
    suffix = f" (request {request_id})" if request_id else ""
    return f"{label}{text}{suffix}"


def _body_request_id(body: object) -> str | None:
    if isinstance(body, dict):
        value = body.get("request_id")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        if isinstance(value, str):
            return value
    return None


def _mask(error: anthropic.APIError, secret: str | None) -> None:
    error.message = redact(_clean(error.message, secret))
    error.args = tuple(
        redact(_clean(arg, secret)) if isinstance(arg, str) else arg for arg in error.args
    )
    if isinstance(error, anthropic.APIStatusError) and error.api_message is not None:
        error.api_message = redact(_clean(error.api_message, secret))


def _clean(text: str, secret: str | None) -> str:
    if secret and len(secret) >= 4:
        text = text.replace(secret, MASK)
    return text

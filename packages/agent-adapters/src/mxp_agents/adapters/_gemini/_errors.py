"""Gemini SDK and httpx exceptions → the `ModelError` hierarchy, with the API key masked."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Final, NamedTuple

import httpx
from google.genai import errors as genai_errors

from mxp_agents.adapters._errors import (
    AuthenticationError,
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

__all__ = ["map_error", "masked"]

_CONTEXT: Final = re.compile(
    r"input token count.*exceeds the maximum|exceeds the maximum number of tokens", re.I
)
_DURATION: Final = re.compile(r"^\s*(\d+(?:\.\d*)?)s\s*$")
_RETRY_INFO: Final = "type.googleapis.com/google.rpc.RetryInfo"
_ERROR_INFO: Final = "type.googleapis.com/google.rpc.ErrorInfo"
_KEY_REASONS: Final = frozenset({"API_KEY_INVALID", "API_KEY_EXPIRED", "API_KEY_NOT_FOUND"})


def map_error(error: Exception, *, provider: str, model: str, key: str) -> ModelError | None:
    """``error`` as a `ModelError`, or None when it is not a provider error.

    An SDK error is masked in place first (its message, ``args`` and body), since it becomes
    the ``__cause__`` of the result and Gemini's error bodies may echo request data: the key
    never shows in a traceback either.

    Example:
        >>> error = map_error(httpx.ConnectError("refused"), provider="gemini", model="m", key="k")
        >>> type(error).__name__, error.message
        ('TransientModelError', 'connection failed: refused')
    """
    where = _Where(provider, model)
    if isinstance(error, genai_errors.APIError):
        _mask_in_place(error, key)
        return _api_error(error, key, where)
    if isinstance(error, httpx.TimeoutException):
        return ModelTimeoutError(
            f"HTTP timeout ({type(error).__name__})", provider=provider, model=model
        )
    if isinstance(error, httpx.TransportError):
        text = masked(str(error), key) or type(error).__name__
        return TransientModelError(f"connection failed: {text}", provider=provider, model=model)
    if isinstance(error, genai_errors.UnknownApiResponseError | json.JSONDecodeError):
        return MalformedResponseError(masked(str(error), key)[:500], provider=provider, model=model)
    return None


def masked(text: str, key: str) -> str:
    """``text`` with ``key`` (and anything else that looks like a credential) masked.

    Example:
        >>> masked("bad key abc123", "abc123")
        'bad key **********'
    """
    if key:
        text = text.replace(key, MASK)
    return redact(text)


class _Where(NamedTuple):
    provider: str
    model: str


def _api_error(error: genai_errors.APIError, key: str, where: _Where) -> ModelError:
    code = int(error.code) if error.code else 0
    status = error.status or ""
    text = masked(f"{status}: {error.message or 'no message'}" if status else str(error), key)
    body = _error_body(_sdk_details(error))
    reasons = {str(info.get("reason")) for info in _details(body, _ERROR_INFO)}
    kind: type[ModelError]
    if code == 401 or reasons & _KEY_REASONS:
        kind = AuthenticationError
    elif code == 403:
        kind = PermissionDeniedError
    elif code == 429:
        return RateLimitedError(
            text,
            retry_after=_retry_after(body, error),
            provider=where.provider,
            model=where.model,
            status_code=code,
        )
    elif code == 400 and _CONTEXT.search(error.message or ""):
        kind = ContextLengthExceededError
    elif code in (408, 504):
        kind = ModelTimeoutError
    elif code >= 500:
        kind = TransientModelError
    else:
        kind = InvalidRequestError
    return kind(text, provider=where.provider, model=where.model, status_code=code)


def _sdk_details(error: genai_errors.APIError) -> object:
    return getattr(error, "details", None)


def _error_body(details: object) -> dict[str, Any]:
    if isinstance(details, list) and details:
        details = details[0]  # pyright: ignore[reportUnknownVariableType]
    if not isinstance(details, dict):
        return {}
    inner: object = details.get("error", details)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
    return inner if isinstance(inner, dict) else {}  # pyright: ignore[reportUnknownVariableType]


def _details(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    items: object = body.get("details")
    if not isinstance(items, list):
        return []
    entries: list[object] = list(items)  # pyright: ignore[reportUnknownArgumentType]
    return [
        item  # pyright: ignore[reportUnknownVariableType]
        for item in entries
        if isinstance(item, dict) and item.get("@type") == kind  # pyright: ignore[reportUnknownMemberType]
    ]


def _retry_after(body: dict[str, Any], error: genai_errors.APIError) -> float | None:
    """RetryInfo's ``retryDelay`` ("1.5s"), else a ``retry-after`` header (seconds or date)."""
    for info in _details(body, _RETRY_INFO):
        match = _DURATION.match(str(info.get("retryDelay", "")))
        if match:
            return float(match.group(1))
    headers = getattr(getattr(error, "response", None), "headers", None)
    if not isinstance(headers, httpx.Headers):
        return None
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _mask_in_place(error: genai_errors.APIError, key: str) -> None:
    error.details = _masked_value(_sdk_details(error), key)
    if error.message:
        error.message = masked(error.message, key)
    error.args = tuple(masked(arg, key) if isinstance(arg, str) else arg for arg in error.args)


def _masked_value(value: object, key: str) -> object:
    if isinstance(value, str):
        return masked(value, key)
    if isinstance(value, dict):
        mapping: dict[object, object] = value  # pyright: ignore[reportUnknownVariableType]
        return {name: _masked_value(item, key) for name, item in mapping.items()}
    if isinstance(value, list):
        items: list[object] = value  # pyright: ignore[reportUnknownVariableType]
        return [_masked_value(item, key) for item in items]
    return value

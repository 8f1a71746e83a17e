"""Ollama SDK and httpx exceptions -> the `ModelError` hierarchy."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Final, TypeVar

import httpx
import ollama
import pydantic

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

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["ErrorContext", "map_error"]

_CONTEXT_MARKERS: Final = (
    "context length",
    "context window",
    "exceeds the available context",
    "maximum context",
)
E = TypeVar("E", bound=ModelError)

# Ollama has no content filter of its own; hosted models may refuse with such a message.
_FILTER_MARKERS: Final = ("content filter", "content_filter", "safety system", "moderation")
_MAX_DETAIL: Final = 500
_MID_STREAM: Final = -1  # the SDK's status for an {"error": ...} line inside a 200 stream


class ErrorContext:
    """What an error message needs: provider, model, the server's address, the key to mask.

    Example:
        >>> ErrorContext("ollama", "llama3.2", "http://127.0.0.1:11434").host
        'http://127.0.0.1:11434'
    """

    __slots__ = ("host", "model", "provider", "secret")

    def __init__(self, provider: str, model: str, host: str, secret: str | None = None) -> None:
        self.provider = provider
        self.model = model
        self.host = host
        self.secret = secret

    def clean(self, text: str) -> str:
        """``text`` with the API key, if it appears, replaced by the mask.

        Example:
            >>> ErrorContext("ollama", "m", "h", "k-123456").clean("bad key k-123456")
            'bad key **********'
        """
        if self.secret and len(self.secret) >= 4:
            return text.replace(self.secret, MASK)
        return text

    def error(self, kind: type[E], text: str, status_code: int | None = None) -> E:
        """A ``kind`` error labelled with this provider and model, the key masked.

        Example:
            >>> where = ErrorContext("ollama", "llama3.2", "http://127.0.0.1:11434")
            >>> str(where.error(TransientModelError, "busy", 503))
            "ollama model 'llama3.2': busy (HTTP 503)"
        """
        return kind(
            self.clean(text), provider=self.provider, model=self.model, status_code=status_code
        )


def map_error(error: Exception, where: ErrorContext) -> ModelError | None:
    """``error`` as a `ModelError`, or None when it is not an Ollama/HTTP failure.

    ``ollama.ResponseError`` by status: 400 (context-length message) ->
    `ContextLengthExceededError`, a 4xx naming a content filter -> `ContentFilteredError`
    (Ollama has none; hosted models may), other 400/404/422 -> `InvalidRequestError` (404 with a
    hint to ``ollama pull``), 401 -> `AuthenticationError`, 403 -> `PermissionDeniedError`,
    429 -> `RateLimitedError` (``retry-after``), 5xx and errors inside a stream ->
    `TransientModelError`. An unreachable server -> `TransientModelError` saying how to
    start Ollama; httpx timeouts -> `ModelTimeoutError`; other connection failures ->
    `TransientModelError`; an answer that is not a chat response -> `MalformedResponseError`.

    Example:
        >>> where = ErrorContext("ollama", "llama3.2", "http://127.0.0.1:11434")
        >>> error = ollama.ResponseError('{"error": "model not found"}', 404)
        >>> type(map_error(error, where)).__name__
        'InvalidRequestError'
    """
    if isinstance(error, ollama.ResponseError):
        return _status_error(error, where)
    if isinstance(error, httpx.TimeoutException):
        if isinstance(error, httpx.ConnectTimeout | httpx.PoolTimeout):
            text = f"connecting to Ollama at {where.host} timed out"
        else:
            text = f"the Ollama server at {where.host} did not answer in time ({_name(error)})"
        return where.error(ModelTimeoutError, text)
    if isinstance(error, httpx.ConnectError) or _is_sdk_connect_error(error):
        return where.error(TransientModelError, _unreachable(error, where))
    if isinstance(error, httpx.UnsupportedProtocol | httpx.InvalidURL):
        text = f"the Ollama host {where.host!r} is not an http(s) URL: {error}"
        return where.error(InvalidRequestError, text)
    if isinstance(error, httpx.TransportError | ConnectionError):
        text = f"the connection to Ollama at {where.host} failed: {_detail(error)}"
        return where.error(TransientModelError, text)
    if isinstance(error, json.JSONDecodeError | pydantic.ValidationError):
        text = f"Ollama sent something that is not a chat response: {_first_line(error)}"
        return where.error(MalformedResponseError, text)
    return None


def _status_error(error: ollama.ResponseError, where: ErrorContext) -> ModelError:
    _scrub(error, where)
    status = error.status_code
    detail = _short(where.clean(str(error.error).strip() or "no error message"))
    code = status if status > 0 else None
    lowered = detail.lower()
    if any(marker in lowered for marker in _CONTEXT_MARKERS):
        return where.error(ContextLengthExceededError, detail, code)
    if 400 <= status < 500 and any(marker in lowered for marker in _FILTER_MARKERS):
        return where.error(ContentFilteredError, detail, code)
    if status == _MID_STREAM:
        return where.error(
            TransientModelError, f"the answer broke off with an error: {detail}", code
        )
    if status == 401:
        text = f"{detail}; check the api_key (or OLLAMA_API_KEY) given for {where.host}"
        return where.error(AuthenticationError, text, code)
    if status == 403:
        return where.error(PermissionDeniedError, detail, code)
    if status == 404:
        if "model" in lowered:
            hint = f"pull it on the server at {where.host} with `ollama pull {where.model}`"
        else:  # not Ollama's answer: a proxy, or another server on that port
            hint = f"is {where.host} an Ollama server?"
        return where.error(InvalidRequestError, f"{detail}; {hint}", code)
    if status == 429:
        retry_after = retry_after_seconds(_headers_of(error))
        return RateLimitedError(
            detail,
            retry_after=retry_after,
            provider=where.provider,
            model=where.model,
            status_code=code,
        )
    if status == 408 or status >= 500:
        return where.error(TransientModelError, detail, code)
    return where.error(InvalidRequestError, detail, code)


def _scrub(error: ollama.ResponseError, where: ErrorContext) -> None:
    # The SDK error becomes our error's __cause__: mask the key it may echo (a 401 body can
    # quote it) so that a logged traceback stays clean too.
    error.error = redact(where.clean(str(error.error)))
    error.args = tuple(redact(where.clean(a)) if isinstance(a, str) else a for a in error.args)


def _headers_of(error: BaseException) -> Mapping[str, str]:
    # The SDK raises ResponseError ``from None`` inside ``except httpx.HTTPStatusError``, so
    # the HTTP error (and its response headers) is still the exception's __context__.
    context = error.__context__
    if isinstance(context, httpx.HTTPStatusError):
        return context.response.headers
    return {}


def _is_sdk_connect_error(error: Exception) -> bool:
    # The SDK turns httpx.ConnectError into a plain ConnectionError ``from None``.
    return type(error) is ConnectionError and isinstance(error.__context__, httpx.ConnectError)


def _unreachable(error: Exception, where: ErrorContext) -> str:
    cause = error.__context__ if type(error) is ConnectionError else error
    return (
        f"Ollama is not reachable at {where.host} ({_detail(cause)}); start it with "
        "`ollama serve` (or the Ollama app), or pass host= / set OLLAMA_HOST to where it runs"
    )


def _detail(error: BaseException | None) -> str:
    if error is None:
        return "connection failed"
    text = str(error).strip()
    return text or _name(error)


def _name(error: BaseException) -> str:
    return type(error).__name__


def _short(text: str) -> str:
    # A proxy or another server may answer with a whole HTML page.
    return text if len(text) <= _MAX_DETAIL else text[:_MAX_DETAIL] + "..."


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else _name(error)

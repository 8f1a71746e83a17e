"""The errors of a model call: one base `ModelError`, one subclass per way a call can fail."""

from __future__ import annotations

import functools
from typing import Any, ClassVar

from mxp_agents.adapters._redact import redact
from mxp_agents.primitives import InvalidValue, MxpAgentsError

__all__ = [
    "AuthenticationError",
    "ContentFilteredError",
    "ContextLengthExceededError",
    "InvalidModelValue",
    "InvalidRequestError",
    "MalformedResponseError",
    "ModelError",
    "ModelTimeoutError",
    "ModelUnavailableError",
    "PermissionDeniedError",
    "RateLimitedError",
    "TransientModelError",
]


class InvalidModelValue(InvalidValue):
    """A `ModelRequest`, `ModelResponse` or a part of one that breaks a rule, with its path.

    Raised while building or decoding a value, before any provider is called. It is an
    ``InvalidValue`` (and a ``ValueError``), so decoding errors carry the full path.

    Example:
        >>> ModelRequest(messages=())
        Traceback (most recent call last):
        ...
        mxp_agents.adapters._errors.InvalidModelValue: a request needs ... - at $.messages
    """


class ModelError(MxpAgentsError):
    """A model call failed. Says which provider and model, and whether a retry may succeed.

    ``retryable`` defaults per class (rate limits, server errors, timeouts and malformed output
    are retryable; the rest are not) and can be overridden. ``status_code`` is the HTTP status
    when there was one. Credentials in ``message`` are masked (``**********``).

    Example:
        >>> error = TransientModelError(
        ...     "overloaded", provider="anthropic", model="claude", status_code=529
        ... )
        >>> str(error), error.retryable
        ("anthropic model 'claude': overloaded (HTTP 529)", True)
    """

    default_retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        model: str | None = None,
        retryable: bool | None = None,
        status_code: int | None = None,
    ) -> None:
        self.message = redact(message)
        self.provider = provider
        self.model = model
        self.retryable = self.default_retryable if retryable is None else retryable
        self.status_code = status_code
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = ""
        if self.provider and self.model:
            where = f"{self.provider} model {self.model!r}: "
        elif self.provider or self.model:
            where = f"{self.provider or repr(self.model)}: "
        status = "" if self.status_code is None else f" (HTTP {self.status_code})"
        return f"{where}{self.message}{status}"

    def _fields(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "model": self.model,
            "retryable": self.retryable,
            "status_code": self.status_code,
        }

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (functools.partial(type(self), **self._fields()), (self.message,))


class AuthenticationError(ModelError):
    """The provider rejected the credentials (HTTP 401): a missing, wrong or revoked API key.

    Example:
        >>> AuthenticationError("invalid API key", provider="openai", status_code=401).retryable
        False
    """


class PermissionDeniedError(ModelError):
    """The credentials are valid but may not use this model or feature (HTTP 403).

    Example:
        >>> str(PermissionDeniedError("no access to this model", model="gpt-x"))
        "'gpt-x': no access to this model"
    """


class RateLimitedError(ModelError):
    """Too many requests or tokens (HTTP 429); ``retry_after`` is the provider's hint in seconds.

    Example:
        >>> error = RateLimitedError("slow down", provider="openai", retry_after=2.5)
        >>> error.retryable, error.retry_after
        (True, 2.5)
    """

    default_retryable: ClassVar[bool] = True

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        provider: str | None = None,
        model: str | None = None,
        retryable: bool | None = None,
        status_code: int | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(
            message, provider=provider, model=model, retryable=retryable, status_code=status_code
        )

    def _describe(self) -> str:
        hint = "" if self.retry_after is None else f"; retry after {self.retry_after:g}s"
        return super()._describe() + hint

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "retry_after": self.retry_after}


class ContextLengthExceededError(ModelError):
    """The prompt (plus the requested output) does not fit the model's context window.

    Example:
        >>> ContextLengthExceededError("prompt is 140000 tokens; limit 128000").retryable
        False
    """


class ContentFilteredError(ModelError):
    """The provider's safety system refused the prompt or the answer.

    Example:
        >>> ContentFilteredError("blocked by safety settings", provider="gemini").provider
        'gemini'
    """


class InvalidRequestError(ModelError):
    """The provider rejected the request as malformed or unsupported (HTTP 400/404/422).

    Example:
        >>> InvalidRequestError("unknown parameter 'foo'", status_code=400).status_code
        400
    """


class TransientModelError(ModelError):
    """A failure that may pass on its own: a 5xx, an overloaded provider, a dropped connection.

    Example:
        >>> TransientModelError("bad gateway", status_code=502).retryable
        True
    """

    default_retryable: ClassVar[bool] = True


class ModelTimeoutError(ModelError):
    """The model call took longer than its deadline (connect, first token or whole response).

    Example:
        >>> ModelTimeoutError("no first token within 30s", provider="ollama").retryable
        True
    """

    default_retryable: ClassVar[bool] = True


class MalformedResponseError(ModelError):
    """The model or provider sent output that cannot be assembled: bad tool-call JSON, a stream
    without a `Finish`, events after it, or text that is not the requested JSON.

    Retryable by default: sampling again usually gives well-formed output.

    Example:
        >>> MalformedResponseError("tool call 0 ('search'): arguments are not valid JSON").retryable
        True
    """

    default_retryable: ClassVar[bool] = True


class ModelUnavailableError(ModelError):
    """The model cannot be used here: its extra or model file is not installed, or no API key
    is configured. The message says what to install or set.

    Example:
        >>> ModelUnavailableError("pip install 'mxp-agents-adapters[local]'").retryable
        False
    """

import copy
import pickle

import pytest

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
    redact,
)
from mxp_agents.primitives import MxpAgentsError


@pytest.mark.parametrize(
    ("error_type", "retryable"),
    [
        (ModelError, False),
        (AuthenticationError, False),
        (PermissionDeniedError, False),
        (RateLimitedError, True),
        (ContextLengthExceededError, False),
        (ContentFilteredError, False),
        (InvalidRequestError, False),
        (TransientModelError, True),
        (ModelTimeoutError, True),
        (MalformedResponseError, True),
    ],
)
def test_every_error_is_a_model_error_with_a_retry_default(error_type, retryable):
    error = error_type("boom", provider="openai", model="gpt-4o")
    assert isinstance(error, ModelError)
    assert isinstance(error, MxpAgentsError)
    assert error.retryable is retryable
    assert (error.provider, error.model, error.message) == ("openai", "gpt-4o", "boom")
    assert error_type("boom", retryable=not retryable).retryable is (not retryable)


def test_message_names_provider_model_and_status():
    assert str(ModelError("x")) == "x"
    assert str(ModelError("x", provider="openai")) == "openai: x"
    assert str(ModelError("x", model="gpt")) == "'gpt': x"
    error = TransientModelError("overloaded", provider="anthropic", model="c", status_code=529)
    assert str(error) == "anthropic model 'c': overloaded (HTTP 529)"
    assert error.status_code == 529


def test_rate_limit_carries_retry_after():
    error = RateLimitedError("slow down", provider="openai", retry_after=2.5, status_code=429)
    assert error.retry_after == 2.5
    assert str(error) == "openai: slow down (HTTP 429); retry after 2.5s"
    assert RateLimitedError("slow down").retry_after is None


@pytest.mark.parametrize(
    "error",
    [
        ModelError("x", provider="p", model="m", retryable=True, status_code=500),
        RateLimitedError("y", retry_after=1.0, provider="p"),
        ContentFilteredError("z"),
    ],
)
def test_errors_pickle_and_copy_with_their_fields(error):
    for clone in (pickle.loads(pickle.dumps(error)), copy.copy(error)):
        assert type(clone) is type(error)
        assert str(clone) == str(error)
        assert clone.retryable == error.retryable
        assert clone.status_code == error.status_code
        assert getattr(clone, "retry_after", None) == getattr(error, "retry_after", None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Incorrect API key provided: sk-proj-abcdefgh1234.",
            "Incorrect API key provided: **********.",
        ),
        ("key sk-ant-api03-AAAAAAAAAAAA rejected", "key ********** rejected"),
        (
            "GET /v1beta/models?key=AIzaSyA-1234567890abcdefghij",
            "GET /v1beta/models?key=**********",
        ),
        ("Authorization: Bearer abc.def.ghi-jkl", "Authorization: Bearer **********"),
        ('{"api_key": "hunter2hunter2"}', '{"api_key": "**********"}'),
        ("x-api-key: 0123456789abcdef", "x-api-key: **********"),
        ("max_tokens=4096 is too large", "max_tokens=4096 is too large"),
        ("the model is overloaded", "the model is overloaded"),
    ],
)
def test_redact_masks_credentials_only(text, expected):
    assert redact(text) == expected


def test_error_messages_never_show_an_api_key():
    key = "sk-live-0123456789abcdef"
    error = AuthenticationError(f"Incorrect API key provided: {key}", provider="openai")
    assert key not in str(error)
    assert key not in repr(error)
    assert key not in error.message
    assert "**********" in str(error)

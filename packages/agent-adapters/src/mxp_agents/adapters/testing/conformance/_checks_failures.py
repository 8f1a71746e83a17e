"""Checks of failures: error mapping, retries, timeouts and cancellation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import trio

from mxp_agents.adapters._assembler import collect_response
from mxp_agents.adapters._errors import (
    AuthenticationError,
    ContentFilteredError,
    ContextLengthExceededError,
    InvalidModelValue,
    InvalidRequestError,
    ModelError,
    ModelTimeoutError,
    PermissionDeniedError,
    RateLimitedError,
    TransientModelError,
)
from mxp_agents.adapters._events import FinishReason, TextDelta
from mxp_agents.adapters._retry import RetryPolicy
from mxp_agents.adapters.testing.conformance._fixtures import TEXT, ask
from mxp_agents.adapters.testing.conformance._registry import check, expect, wait_for
from mxp_agents.adapters.testing.conformance._types import ErrorKind, ErrorReply, Harness, Reply

if TYPE_CHECKING:
    from mxp_agents.adapters._protocol import ModelAdapter
    from mxp_agents.adapters._request import ModelRequest

_EXPECTED: dict[ErrorKind, tuple[type[ModelError], bool]] = {
    "auth": (AuthenticationError, False),
    "permission": (PermissionDeniedError, False),
    "rate_limit": (RateLimitedError, True),
    "context_length": (ContextLengthExceededError, False),
    "content_filter": (ContentFilteredError, False),
    "invalid": (InvalidRequestError, False),
    "server": (TransientModelError, True),
    "overloaded": (ModelError, True),
}
_FAST = RetryPolicy(max_attempts=3, initial_delay=0.01, jitter=0)


async def _failure(model: ModelAdapter, request: ModelRequest, streamed: bool) -> ModelError | None:
    try:
        if streamed:
            response = await collect_response(model.stream(request))
        else:
            response = await model.complete(request)
    except ModelError as error:
        return error
    expect(
        response.finish_reason is FinishReason.CONTENT_FILTER,
        f"expected an error, got an answer {response.text!r}",
    )
    return None


@check("errors")
async def errors_map(harness: Harness) -> None:
    """Each provider error becomes its ModelError subclass; keys never show in messages."""
    for kind, (expected, retryable) in _EXPECTED.items():
        if kind == "content_filter" and "content_filter" not in harness.features:
            continue
        reply = Reply(
            error=ErrorReply(kind=kind, retry_after=1.0 if kind == "rate_limit" else None)
        )
        for streamed in (False, True):
            how = f"{kind} ({'stream' if streamed else 'complete'})"
            async with harness.model([reply]) as model:
                error = await _failure(model, ask(), streamed)
            if error is None:
                expect(kind == "content_filter", f"{how}: no error raised")
                continue
            expect(isinstance(error, expected), f"{how}: {type(error).__name__}: {error}")
            expect(error.retryable is retryable, f"{how}: retryable is {error.retryable}")
            expect(error.provider == harness.name, f"{how}: provider {error.provider!r}")
            for text in (str(error), repr(error), error.message):
                expect(harness.api_key not in text, f"{how}: the API key leaked: {text}")
            if kind == "rate_limit" and "retry_after" in harness.features:
                got = error.retry_after if isinstance(error, RateLimitedError) else None
                expect(got is not None and 0.9 <= got <= 1.1, f"{how}: retry_after {got}")


@check("retry_after")
async def retry_honours_retry_after(harness: Harness) -> None:
    """A rate limit is retried after the wait the provider asked for, not sooner."""
    replies = [Reply(error=ErrorReply(kind="rate_limit", retry_after=1.0)), Reply(text="ok")]
    async with harness.model(replies, retry=_FAST) as model:
        started = trio.current_time()
        response = await model.complete(ask())
        waited = trio.current_time() - started
    expect(response.text == "ok", f"answer {response.text!r}")
    expect(waited >= 0.9, f"retried after {waited:.3f}s; the provider asked for 1s")
    expect(len(harness.seen()) == 2, f"{len(harness.seen())} requests, wanted 2")


@check("errors")
async def retries_not_doubled(harness: Harness) -> None:
    """Only the adapter retries (the SDK's retries are off): attempts = requests received."""
    server = Reply(error=ErrorReply(kind="server"))
    async with harness.model([server]) as model:
        error = await _failure(model, ask(), streamed=False)
    expect(isinstance(error, TransientModelError), f"got {error!r}")
    expect(len(harness.seen()) == 1, f"no retry asked, {len(harness.seen())} requests")
    async with harness.model([server, server, Reply(text="ok")], retry=_FAST) as model:
        response = await model.complete(ask())
    expect(response.text == "ok" and len(harness.seen()) == 3, f"{len(harness.seen())} requests")
    async with harness.model([server, Reply(text="ok")], retry=_FAST) as model:
        streamed = await collect_response(model.stream(ask()))
    expect(streamed.text == "ok" and len(harness.seen()) == 2, "a stream retries before its start")


@check()
async def timeout(harness: Harness) -> None:
    """A call slower than the adapter's timeout raises ModelTimeoutError in time."""
    async with harness.model([Reply(text="late", delay=3.0)], timeout=0.3) as model:
        started = trio.current_time()
        try:
            await model.complete(ask())
        except ModelTimeoutError as error:
            expect(error.retryable, "a timeout is retryable")
        else:
            raise AssertionError("a 3 s answer beat a 0.3 s timeout")
        elapsed = trio.current_time() - started
    expect(elapsed < 2.5, f"the timeout took {elapsed:.2f}s")


@check("cancel_disconnect")
async def cancel_mid_stream(harness: Harness) -> None:
    """Closing a stream after its first delta closes the provider connection."""
    long_text = " ".join([TEXT] * 8)
    async with harness.model([Reply(text=long_text, chunk_delay=0.05)]) as model:
        stream = model.stream(ask())
        first = await anext(aiter(stream))
        while not isinstance(first, TextDelta):
            first = await anext(aiter(stream))
        await stream.aclose()  # type: ignore[attr-defined]
        await wait_for(lambda: harness.disconnects >= 1, "the server to see the stream closed")


@check()
async def rejects_bad_requests(harness: Harness) -> None:
    """A value that is not a ModelRequest is refused before anything is sent."""
    bad: Any = "hello"
    async with harness.model([]) as model:
        for streamed in (False, True):
            try:
                await (collect_response(model.stream(bad)) if streamed else model.complete(bad))
            except InvalidModelValue:
                continue
            raise AssertionError("a str was accepted as a ModelRequest")
    expect(harness.seen() == [], "a bad request reached the provider")

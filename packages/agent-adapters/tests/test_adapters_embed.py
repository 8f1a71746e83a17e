"""The hosted embedders through the real SDKs against the loopback fake servers."""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import openai
import pytest
import trio

from mxp_agents.adapters import (
    AuthenticationError,
    InvalidModelValue,
    MalformedResponseError,
    RateLimitedError,
    RetryPolicy,
)
from mxp_agents.adapters._embedder import HostedEmbedder
from mxp_agents.adapters.gemini import GeminiEmbedder
from mxp_agents.adapters.ollama import OllamaEmbedder
from mxp_agents.adapters.openai import OpenAIEmbedder
from mxp_agents.adapters.testing.conformance import ErrorReply, Reply
from mxp_agents.adapters.testing.fakes import FakeGemini, FakeOllama, FakeOpenAI, fake_vector
from mxp_agents.adapters.testing.fakes._scripted_server import ScriptedFakeServer

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Callable, Sequence

OPENAI_KEY = "sk-test-embeddings-0123456789abcdef"
GEMINI_KEY = "AIzaSyTestEmbeddings0123456789abcdefgh"
OLLAMA_KEY = "ollama-test-key-0123456789abcdef"
FAST = RetryPolicy(max_attempts=3, initial_delay=0.0, jitter=0.0)


@dataclass(frozen=True)
class Provider:
    name: str
    fake: Callable[[Sequence[Reply], bool], ScriptedFakeServer]
    embedder: Callable[..., HostedEmbedder]
    unknown_model: str
    known_model: str
    dimension_field: str

    def texts_of(self, body: dict[str, Any]) -> list[str]:
        if self.name == "gemini":
            return [r["content"]["parts"][0]["text"] for r in body["requests"]]
        return list(body["input"])

    def requested_dimensions(self, body: dict[str, Any]) -> object:
        if self.name == "gemini":
            return body["requests"][0].get(self.dimension_field)
        return body.get(self.dimension_field)


def _openai_fake(replies: Sequence[Reply], cycle: bool) -> ScriptedFakeServer:
    return FakeOpenAI(replies, cycle=cycle, api_key=OPENAI_KEY)


def _openai(fake: ScriptedFakeServer, model: str, **options: Any) -> HostedEmbedder:
    assert isinstance(fake, FakeOpenAI)
    key = options.pop("api_key", OPENAI_KEY)
    return OpenAIEmbedder(model, api_key=key, base_url=fake.base_url, timeout=10, **options)


def _gemini_fake(replies: Sequence[Reply], cycle: bool) -> ScriptedFakeServer:
    return FakeGemini(replies, cycle=cycle, api_key=GEMINI_KEY)


def _gemini(fake: ScriptedFakeServer, model: str, **options: Any) -> HostedEmbedder:
    key = options.pop("api_key", GEMINI_KEY)
    return GeminiEmbedder(model, api_key=key, base_url=fake.url, timeout=10, **options)


def _ollama_fake(replies: Sequence[Reply], cycle: bool) -> ScriptedFakeServer:
    return FakeOllama(replies, cycle=cycle)


def _ollama(fake: ScriptedFakeServer, model: str, **options: Any) -> HostedEmbedder:
    key = options.pop("api_key", None)
    return OllamaEmbedder(model, host=fake.url, api_key=key, timeout=10, **options)


PROVIDERS = [
    Provider(
        "openai",
        _openai_fake,
        _openai,
        "my-compatible-model",
        "text-embedding-3-small",
        "dimensions",
    ),
    Provider(
        "gemini",
        _gemini_fake,
        _gemini,
        "my-embedding-model",
        "gemini-embedding-001",
        "outputDimensionality",
    ),
    Provider("ollama", _ollama_fake, _ollama, "my-embedder", "nomic-embed-text", "dimensions"),
]


@pytest.fixture(params=PROVIDERS, ids=[p.name for p in PROVIDERS])
def provider(request: pytest.FixtureRequest) -> Provider:
    return request.param


@asynccontextmanager
async def serving(
    provider: Provider, replies: Sequence[Reply] = (Reply(),), *, cycle: bool = True
) -> AsyncGenerator[ScriptedFakeServer]:
    async with provider.fake(replies, cycle).serving() as fake:
        yield fake


async def test_happy_path_vectors_in_order(provider: Provider) -> None:
    texts = ["How do I reset my password?", "naïve café 東京 🧠", "third"]
    async with (
        serving(provider) as fake,
        provider.embedder(fake, provider.unknown_model) as embedder,
    ):
        assert embedder.remote is True
        assert embedder.name == provider.unknown_model
        with pytest.raises(InvalidModelValue, match="not known yet"):
            _ = embedder.dimensions
        vectors = await embedder.embed(texts)
        assert embedder.dimensions == 8  # learned from the first answer
        assert await embedder.embed([]) == []
    assert vectors == [fake_vector(text, 8) for text in texts]
    assert len(fake.embed_requests) == 1
    assert provider.texts_of(fake.embed_requests[0]) == texts


async def test_batches_beyond_max_batch(provider: Provider) -> None:
    texts = [f"text {n}" for n in range(7)]
    async with (
        serving(provider) as fake,
        provider.embedder(fake, provider.unknown_model, max_batch=3) as embedder,
    ):
        vectors = await embedder.embed(texts)
    assert vectors == [fake_vector(text, 8) for text in texts]
    assert [provider.texts_of(body) for body in fake.embed_requests] == [
        texts[0:3],
        texts[3:6],
        texts[6:7],
    ]


async def test_requested_dimensions_are_sent(provider: Provider) -> None:
    async with (
        serving(provider) as fake,
        provider.embedder(fake, provider.known_model, dimensions=16) as embedder,
    ):
        assert embedder.dimensions == 16
        (vector,) = await embedder.embed(["hello"])
    assert vector == fake_vector("hello", 16)
    assert provider.requested_dimensions(fake.embed_requests[0]) == 16


async def test_bad_dimension_answer_is_malformed_and_not_retried(provider: Provider) -> None:
    async with (
        serving(provider) as fake,
        provider.embedder(fake, provider.known_model, retry=FAST) as embedder,
    ):
        known = embedder.dimensions
        assert known > 8
        with pytest.raises(MalformedResponseError, match=f"8 floats.*expected {known}") as caught:
            await embedder.embed(["hello"])
    assert caught.value.retryable is False
    assert caught.value.provider == provider.name
    assert len(fake.embed_requests) == 1


async def test_rate_limit_is_retried_after_retry_after(provider: Provider) -> None:
    wait = 0.2
    replies = [Reply(error=ErrorReply(kind="rate_limit", retry_after=wait)), Reply()]
    async with (
        serving(provider, replies, cycle=False) as fake,
        provider.embedder(fake, provider.unknown_model, retry=FAST) as embedder,
    ):
        start = trio.current_time()
        (vector,) = await embedder.embed(["hello"])
        elapsed = trio.current_time() - start
    assert vector == fake_vector("hello", 8)
    assert len(fake.embed_requests) == 2
    assert elapsed >= wait


async def test_rate_limit_without_retries_raises(provider: Provider) -> None:
    replies = [Reply(error=ErrorReply(kind="rate_limit", retry_after=3.0))]
    async with serving(provider, replies, cycle=False) as fake:
        retry = RetryPolicy(max_attempts=1)
        async with provider.embedder(fake, provider.unknown_model, retry=retry) as embedder:
            with pytest.raises(RateLimitedError) as caught:
                await embedder.embed(["hello"])
    assert caught.value.retry_after == pytest.approx(3.0)


async def test_auth_error_masks_the_key(provider: Provider) -> None:
    wrong = {
        "openai": "sk-wrong-key-that-must-not-leak-0123456789",
        "gemini": "AIzaSyWrongKeyThatMustNotLeak0123456789",
        "ollama": "ollama-wrong-key-that-must-not-leak-0123",
    }[provider.name]
    replies = [Reply(error=ErrorReply(kind="auth"))]
    async with (
        serving(provider, replies, cycle=False) as fake,
        provider.embedder(fake, provider.unknown_model, api_key=wrong) as embedder,
    ):
        with pytest.raises(AuthenticationError) as caught:
            await embedder.embed(["hello"])
    error = caught.value
    shown = " ".join([str(error), repr(error), *getattr(error, "__notes__", [])])
    assert wrong not in shown
    assert error.__cause__ is None
    assert error.retryable is False


async def test_bad_input_has_paths(provider: Provider) -> None:
    async with (
        serving(provider) as fake,
        provider.embedder(fake, provider.unknown_model) as embedder,
    ):
        with pytest.raises(InvalidModelValue, match="lone str"):
            await embedder.embed("hello")
        with pytest.raises(InvalidModelValue, match=r"expected str, got int - at \$\[1\]"):
            await embedder.embed(["ok", 3])  # pyright: ignore[reportArgumentType]
        with pytest.raises(InvalidModelValue, match=r"not valid Unicode.* - at \$\[0\]"):
            await embedder.embed(["\ud800"])
    assert fake.embed_requests == []


async def test_options_are_checked() -> None:
    with pytest.raises(InvalidModelValue, match=r"must be >= 1, got 0 - at \$.max_batch"):
        OpenAIEmbedder(api_key=OPENAI_KEY, max_batch=0)
    with pytest.raises(InvalidModelValue, match=r"expected int, got str - at \$.dimensions"):
        OllamaEmbedder(dimensions="8")  # pyright: ignore[reportArgumentType]
    with pytest.raises(AuthenticationError, match="no Gemini API key"):
        GeminiEmbedder(api_key="")
    assert OllamaEmbedder("nomic-embed-text:latest").dimensions == 768
    assert GeminiEmbedder("models/text-embedding-004", api_key=GEMINI_KEY).dimensions == 768
    assert (
        repr(OpenAIEmbedder(api_key=OPENAI_KEY)) == "OpenAIEmbedder(model='text-embedding-3-small')"
    )


async def test_openai_sdk_asks_for_base64_and_fake_also_speaks_float() -> None:
    async with (
        FakeOpenAI([Reply()], cycle=True, api_key=OPENAI_KEY).serving() as fake,
        OpenAIEmbedder("m", api_key=OPENAI_KEY, base_url=fake.base_url) as embedder,
    ):
        (vector,) = await embedder.embed(["hello"])
        assert fake.embed_requests[0]["encoding_format"] == "base64"
        client = openai.AsyncOpenAI(api_key=OPENAI_KEY, base_url=fake.base_url, max_retries=0)
        try:
            answer = await client.embeddings.create(
                model="m", input=["hello"], encoding_format="float"
            )
        finally:
            await client.close()
    assert answer.data[0].embedding == vector == fake_vector("hello", 8)
    assert answer.usage.prompt_tokens > 0


async def test_fake_gemini_embed_content_single_endpoint() -> None:
    async with (
        FakeGemini([Reply()], cycle=True).serving() as fake,
        httpx.AsyncClient(base_url=fake.url) as client,
    ):
        response = await client.post(
            "/v1beta/models/gemini-embedding-001:embedContent",
            json={"content": {"parts": [{"text": "hello"}]}, "outputDimensionality": 4},
        )
        empty = await client.post(
            "/v1beta/models/gemini-embedding-001:embedContent", json={"content": {}}
        )
    assert response.json() == {"embedding": {"values": fake_vector("hello", 4)}}
    assert empty.status_code == 400
    assert empty.json()["error"]["status"] == "INVALID_ARGUMENT"


async def test_server_error_is_retried_then_succeeds() -> None:
    replies = [Reply(error=ErrorReply(kind="server")), Reply()]
    async with (
        FakeOllama(replies).serving() as fake,
        OllamaEmbedder("x", host=fake.url, retry=FAST, dimensions=8) as embedder,
    ):
        assert await embedder.embed(["a"]) == [fake_vector("a", 8)]
    assert len(fake.embed_requests) == 2

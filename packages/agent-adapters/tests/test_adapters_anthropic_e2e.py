"""`AnthropicModel` end to end: the real ``anthropic`` SDK talking HTTP to `FakeAnthropic`."""

from __future__ import annotations

import socket
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

import anthropic
import httpx2
import pytest
import trio

from mxp_agents.adapters import (
    NO_RETRY,
    AuthenticationError,
    ContextLengthExceededError,
    Finish,
    FinishReason,
    InvalidModelValue,
    InvalidRequestError,
    ModelError,
    ModelRequest,
    PermissionDeniedError,
    RateLimitedError,
    ResponseAssembler,
    ResponseFormat,
    RetryPolicy,
    TextDelta,
    ToolCallDelta,
    TransientModelError,
    UsageUpdate,
    collect_response,
)
from mxp_agents.adapters.anthropic import AnthropicModel
from mxp_agents.adapters.testing.conformance import ErrorReply, Reply
from mxp_agents.adapters.testing.fakes._anthropic import FakeAnthropic
from mxp_agents.config import Secret
from mxp_agents.primitives import Message, ToolCall, ToolDefinition, Usage

MODEL = "claude-haiku-4-5"
KEY = "sk-ant-e2e-test-key-0123456789abcdef"
LONG = "The quick brown fox jumps over the lazy dog. " * 12
WEATHER = ToolDefinition(
    "weather",
    "The weather in a city.",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
CALLS = (
    ToolCall("toolu_01A", "weather", {"city": "Zürich", "days": [1, 2, 3]}),
    ToolCall("toolu_02B", "weather", {"city": "Genève"}),
)


def ask(text: str = "Hi", **options: Any) -> ModelRequest:
    return ModelRequest((Message.system("Be brief."), Message.user(text)), **options)


@asynccontextmanager
async def served(
    replies: list[Reply], **options: Any
) -> AsyncGenerator[tuple[FakeAnthropic, AnthropicModel]]:
    async with FakeAnthropic(replies, api_key=KEY).serving() as fake:
        options.setdefault("retry", NO_RETRY)
        options.setdefault("timeout", 5.0)
        async with AnthropicModel(MODEL, api_key=KEY, base_url=fake.url, **options) as model:
            yield fake, model


async def wait_until(condition: Any, limit: float = 5.0) -> None:
    with trio.fail_after(limit):
        while not condition():  # noqa: ASYNC110 - the condition lives in the server
            await trio.sleep(0.01)


# -- answers ----------------------------------------------------------------------------------


async def test_complete_sends_the_native_request_and_reads_the_message() -> None:
    usage = Usage(input_tokens=1200, cached_input_tokens=1000, output_tokens=30)
    async with served([Reply(text="Hello there!", usage=usage)], cache_system=True) as (
        fake,
        model,
    ):
        response = await model.complete(ask(max_output_tokens=64, stop=("END",)))
    assert response.text == "Hello there!"
    assert response.usage == usage
    assert response.finish_reason is FinishReason.STOP
    assert (response.model, response.provider) == (MODEL, "anthropic")
    assert response.cost is not None  # claude-haiku-4-5 is in the built-in price table
    (request,) = fake.requests
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["anthropic-version"] == "2026-10-21"
    body = request.json()
    assert body["system"] == [
        {"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}
    ]
    assert body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]
    assert (body["max_tokens"], body["stop_sequences"]) == (64, ["END"])
    assert "temperature" not in body
    assert body["stream"] is False


async def test_max_tokens_defaults_to_default_max_tokens() -> None:
    async with served([Reply(text="ok")], default_max_tokens=321) as (fake, model):
        await model.complete(ask())
    assert fake.requests[0].json()["max_tokens"] == 321


async def test_stream_yields_small_text_deltas_usage_and_one_finish() -> None:
    usage = Usage(input_tokens=50, cached_input_tokens=20, output_tokens=25)
    async with served([Reply(text=LONG, usage=usage)]) as (fake, model):
        events = [event async for event in model.stream(ask())]
    texts = [event for event in events if isinstance(event, TextDelta)]
    assert len(texts) > 10
    assert "".join(delta.text for delta in texts) == LONG
    assert events[-1] == Finish(FinishReason.STOP)
    updates = [event.usage for event in events if isinstance(event, UsageUpdate)]
    assert sum(updates, Usage()) == usage
    assert all(event.cost is not None for event in events if isinstance(event, UsageUpdate))
    assert fake.requests[0].json()["stream"] is True
    assert (fake.server.completed_streams, fake.disconnects) == (1, 0)


async def test_streamed_tool_calls_arrive_in_fragments_and_assemble() -> None:
    async with served([Reply(tool_calls=CALLS), Reply(tool_calls=CALLS)]) as (fake, model):
        request = ask("Weather?", tools=(WEATHER,), tool_choice="required")
        events = [event async for event in model.stream(request)]
        whole = await model.complete(request)
    deltas = [event for event in events if isinstance(event, ToolCallDelta)]
    first = [delta for delta in deltas if delta.index == 0]
    assert len(first) > 4  # input_json_delta fragments
    assert (first[0].id, first[0].name) == ("toolu_01A", "weather")
    assert all(delta.id is None for delta in first[1:])
    assembler = ResponseAssembler()
    for event in events:
        assembler.add(event)
    streamed = assembler.response()
    for response in (streamed, whole):
        assert [(c.id, c.name, c.arguments) for c in response.tool_calls] == [
            (c.id, c.name, c.arguments) for c in CALLS
        ]
        assert response.finish_reason is FinishReason.TOOL_CALLS
    sent = fake.requests[0].json()
    assert sent["tools"][0]["input_schema"] == WEATHER.parameters
    assert sent["tool_choice"] == {"type": "any"}


async def test_tool_results_go_back_in_one_user_turn() -> None:
    conversation = ModelRequest(
        (
            Message.user("Weather in both?"),
            Message.assistant("Looking.", tool_calls=CALLS),
            Message.tool("sunny", tool_call_id="toolu_01A"),
            Message.tool("rain", tool_call_id="toolu_02B"),
            Message.system("Answer in one line."),
        ),
        tools=(WEATHER,),
    )
    async with served([Reply(text="Sunny, then rain.")]) as (fake, model):
        response = await model.complete(conversation)
    assert response.text == "Sunny, then rain."
    (seen,) = fake.seen
    assert seen.roles == ("user", "assistant", "tool", "tool")
    assert seen.tool_call_ids == seen.tool_result_ids == ("toolu_01A", "toolu_02B")
    assert seen.system == "Answer in one line."  # a late system message, kept in place
    turns = fake.requests[0].json()["messages"]
    assert [turn["role"] for turn in turns] == ["user", "assistant", "user", "system"]


async def test_json_schema_uses_output_config_and_the_text_parses() -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "required": ["name"],
        "additionalProperties": False,
    }
    answer = '{"name": "Paris"}'
    async with served([Reply(text=answer), Reply(text=answer)]) as (fake, model):
        request = ask("A city?", response_format=ResponseFormat("city", schema))
        whole = await model.complete(request)
        streamed = await collect_response(model.stream(request))
    assert whole.parsed_json() == streamed.parsed_json() == {"name": "Paris"}
    for sent in fake.requests:
        assert sent.json()["output_config"] == {"format": {"type": "json_schema", "schema": schema}}


async def test_thinking_blocks_are_skipped_and_counted_as_reasoning() -> None:
    usage = Usage(input_tokens=10, output_tokens=40, reasoning_tokens=25)
    async with served([Reply(text="42.", usage=usage)] * 2) as (_fake, model):
        whole = await model.complete(ask())
        streamed = await collect_response(model.stream(ask()))
    for response in (whole, streamed):
        assert response.text == "42."
        assert response.usage == usage


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "expected", "status"),
    [
        ("auth", AuthenticationError, 401),
        ("permission", PermissionDeniedError, 403),
        ("rate_limit", RateLimitedError, 429),
        ("context_length", ContextLengthExceededError, 400),
        ("invalid", InvalidRequestError, 400),
        ("server", TransientModelError, 500),
        ("overloaded", TransientModelError, 529),
    ],
)
@pytest.mark.parametrize("streamed", [False, True])
async def test_error_responses_map_onto_the_hierarchy(
    kind: Any, expected: type[ModelError], status: int, streamed: bool
) -> None:
    reply = Reply(error=ErrorReply(kind=kind, retry_after=2.0 if kind == "rate_limit" else None))
    async with served([reply]) as (_fake, model):
        call = collect_response(model.stream(ask())) if streamed else model.complete(ask())
        with pytest.raises(expected) as caught:
            await call
    error = caught.value
    assert error.status_code == status
    assert (error.provider, error.model) == ("anthropic", MODEL)
    assert "req_fake" in error.message  # the request-id, for support tickets
    for text in (str(error), repr(error), error.message, str(error.args), str(error.__cause__)):
        assert KEY not in text
    if kind == "rate_limit":
        assert isinstance(error, RateLimitedError)
        assert error.retry_after == 2.0
    if kind == "auth":
        assert "invalid x-api-key: **********" in error.message  # the server echoed the key


async def test_a_refusal_is_a_content_filter_finish() -> None:
    reply = Reply(text="I can't help with that.", error=ErrorReply(kind="content_filter"))
    async with served([reply, reply]) as (_fake, model):
        whole = await model.complete(ask())
        streamed = await collect_response(model.stream(ask()))
    for response in (whole, streamed):
        assert response.finish_reason is FinishReason.CONTENT_FILTER
        assert response.text == "I can't help with that."


async def test_an_error_event_mid_stream_raises_after_the_text() -> None:
    reply = Reply(text="Partial answer", error=ErrorReply(kind="overloaded"))
    retry = RetryPolicy(max_attempts=3, initial_delay=0.01, jitter=0)
    async with served([reply, Reply(text="unused")], retry=retry) as (fake, model):
        seen: list[object] = []

        async def read() -> None:
            async for event in model.stream(ask()):
                seen.append(event)

        with pytest.raises(TransientModelError) as caught:
            await read()
    assert "".join(e.text for e in seen if isinstance(e, TextDelta)) == "Partial answer"
    assert caught.value.status_code == 529
    assert "overloaded_error" in caught.value.message
    assert len(fake.requests) == 1  # a stream is not retried once it has started


async def test_overloaded_is_retried_before_the_stream_starts() -> None:
    retry = RetryPolicy(max_attempts=2, initial_delay=0.01, jitter=0)
    replies = [Reply(error=ErrorReply(kind="overloaded")), Reply(text="ok")]
    async with served(replies, retry=retry) as (fake, model):
        response = await collect_response(model.stream(ask()))
    assert response.text == "ok"
    assert len(fake.requests) == 2


async def test_temperature_is_sent_and_api_version_2026_10_21_refuses_it() -> None:
    async with served([Reply(text="ok")]) as (fake, model):
        with pytest.raises(InvalidRequestError, match="temperature: Extra inputs"):
            await model.complete(ask(temperature=0.3))
    assert fake.seen[0].temperature == 0.3
    # A client pinned to an older API version (or a compatible server) accepts it.
    async with FakeAnthropic([Reply(text="ok")]).serving() as fake:
        client = anthropic.AsyncAnthropic(
            api_key=KEY,
            base_url=fake.url,
            max_retries=0,
            default_headers={"anthropic-version": "2023-06-01"},
        )
        async with AnthropicModel(MODEL, client=client, retry=NO_RETRY) as model:
            assert (await model.complete(ask(temperature=0.3))).text == "ok"
        await client.close()
    assert fake.seen[0].temperature == 0.3


async def test_connection_refused_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with AnthropicModel(
        MODEL, api_key=KEY, base_url=f"http://127.0.0.1:{port}", retry=NO_RETRY, timeout=5
    ) as model:
        with pytest.raises(TransientModelError, match="connection failed"):
            await model.complete(ask())


# -- cancellation -----------------------------------------------------------------------------


async def test_cancelling_mid_stream_closes_the_connection() -> None:
    async with served([Reply(text=LONG, chunk_delay=0.05)]) as (fake, model):
        got: list[object] = []
        with trio.CancelScope() as scope:
            async for event in model.stream(ask()):
                got.append(event)
                if isinstance(event, TextDelta):
                    scope.cancel()
        assert scope.cancelled_caught
        assert any(isinstance(event, TextDelta) for event in got)
        await wait_until(lambda: fake.disconnects == 1)
        assert fake.server.completed_streams == 0


async def test_closing_the_stream_closes_the_connection() -> None:
    async with served([Reply(text=LONG, chunk_delay=0.05)]) as (fake, model):
        stream = model.stream(ask())
        async for event in stream:
            if isinstance(event, TextDelta):
                break
        await stream.aclose()
        await wait_until(lambda: fake.disconnects == 1)


# -- construction -----------------------------------------------------------------------------


def test_a_missing_key_fails_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(AuthenticationError, match="ANTHROPIC_API_KEY"):
        AnthropicModel()


async def test_the_key_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    async with (
        FakeAnthropic([Reply(text="ok")], api_key=KEY).serving() as fake,
        AnthropicModel(base_url=fake.url, retry=NO_RETRY) as model,
    ):
        assert KEY not in repr(model)
        assert (await model.complete(ask())).text == "ok"
    assert fake.seen[0].api_key == KEY


async def test_a_wrong_secret_key_is_masked() -> None:
    wrong = Secret("sk-ant-wrong-key-9876543210")
    async with (
        FakeAnthropic([Reply(text="ok")], api_key=KEY).serving() as fake,
        AnthropicModel(api_key=wrong, base_url=fake.url, retry=NO_RETRY) as model,
    ):
        with pytest.raises(AuthenticationError) as caught:
            await model.complete(ask())
    assert wrong.reveal() not in str(caught.value)
    assert "invalid x-api-key" in str(caught.value)


def test_bad_options_are_refused() -> None:
    with pytest.raises(InvalidModelValue, match="default_max_tokens"):
        AnthropicModel(api_key=KEY, default_max_tokens=0)
    client = anthropic.AsyncAnthropic(api_key=KEY)
    with pytest.raises(InvalidModelValue, match="either client"):
        AnthropicModel(api_key=KEY, client=client)


async def test_clients_passed_in_stay_open() -> None:
    async with FakeAnthropic([Reply(text="a"), Reply(text="b")]).serving() as fake:
        http = httpx2.AsyncClient()
        async with AnthropicModel(api_key=KEY, base_url=fake.url, http_client=http) as model:
            assert (await model.complete(ask())).text == "a"
        assert not http.is_closed
        client = anthropic.AsyncAnthropic(api_key=KEY, base_url=fake.url)  # SDK retries on
        async with AnthropicModel(client=client) as model:
            assert model.client.max_retries == 0  # a copy: only the adapter retries
            assert (await model.complete(ask())).text == "b"
        assert not client.is_closed()
        await client.close()
        await http.aclose()
    owned = AnthropicModel(api_key=KEY)
    await owned.aclose()
    assert owned.client.is_closed()


# -- the fake refuses what the real API refuses -----------------------------------------------


async def test_the_fake_rejects_a_stray_tool_result() -> None:
    async with FakeAnthropic([Reply(text="unused")]).serving() as fake:
        client = anthropic.AsyncAnthropic(api_key=KEY, base_url=fake.url, max_retries=0)
        stray: Any = {"type": "tool_result", "tool_use_id": "toolu_x", "content": "?"}
        with pytest.raises(anthropic.BadRequestError, match="unexpected `tool_use_id`"):
            await client.messages.create(
                model=MODEL, max_tokens=8, messages=[{"role": "user", "content": [stray]}]
            )
        await client.close()

"""`OpenAIModel` end to end: the real ``openai`` SDK over HTTP to `FakeOpenAI` on 127.0.0.1."""

from __future__ import annotations

import socket
import traceback
from contextlib import asynccontextmanager

import httpx2
import openai
import pytest
import trio

from mxp_agents.adapters import (
    NO_RETRY,
    AuthenticationError,
    ContentFilteredError,
    ContextLengthExceededError,
    Finish,
    FinishReason,
    InvalidModelValue,
    InvalidRequestError,
    ModelAdapter,
    ModelError,
    ModelRequest,
    PermissionDeniedError,
    RateLimitedError,
    ResponseFormat,
    TextDelta,
    ToolCallDelta,
    TransientModelError,
    UsageUpdate,
    collect_response,
)
from mxp_agents.adapters.openai import OpenAIModel
from mxp_agents.adapters.testing.conformance import ErrorReply, Reply
from mxp_agents.adapters.testing.fakes._openai import FakeOpenAI
from mxp_agents.adapters.testing.http import (
    FakeHTTPServer,
    HTTPRequest,
    HTTPResponse,
    StreamingResponse,
    sse_event,
)
from mxp_agents.config import Secret
from mxp_agents.primitives import Message, ToolCall, ToolDefinition, Usage

KEY = "sk-test-e2e-0123456789abcdefghij"
WEATHER = ToolDefinition(
    name="weather",
    description="The weather in a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}},
)
CALLS = (ToolCall("call_a", "weather", {"city": "Zürich"}), ToolCall("call_b", "weather", {}))


def ask(text: str = "Say hello.", **options) -> ModelRequest:
    return ModelRequest((Message.user(text),), **options)


@asynccontextmanager
async def serve(replies, **model_options):
    """A `FakeOpenAI` playing ``replies`` and an `OpenAIModel` aimed at it (no retries)."""
    fake = FakeOpenAI(replies)
    async with fake.serving():
        options = {"api_key": KEY, "base_url": fake.base_url, "timeout": 5.0}
        options.update(model_options)
        options.setdefault("retry", NO_RETRY)
        async with OpenAIModel("gpt-4o-mini", **options) as model:
            yield fake, model


async def wait_until(condition, limit: float = 5.0) -> None:
    with trio.fail_after(limit):
        while not condition():  # noqa: ASYNC110 - the server is another component
            await trio.sleep(0.01)


async def test_complete_sends_a_chat_completion_request_and_maps_the_answer():
    usage = Usage(input_tokens=25, output_tokens=6, cached_input_tokens=5, reasoning_tokens=2)
    async with serve([Reply(text="Hello!", usage=usage)]) as (fake, model):
        assert isinstance(model, ModelAdapter)
        response = await model.complete(ask(max_output_tokens=50, temperature=0.5))
    assert (response.text, response.usage, response.finish_reason) == (
        "Hello!",
        usage,
        FinishReason.STOP,
    )
    assert (response.model, response.provider) == ("gpt-4o-mini", "openai")
    assert response.cost is not None  # gpt-4o-mini is in the default price table
    (request,) = fake.requests
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    assert request.headers["authorization"] == f"Bearer {KEY}"
    body = request.json()
    assert body["model"] == "gpt-4o-mini"
    assert body["messages"] == [{"role": "user", "content": "Say hello."}]
    assert (body["max_completion_tokens"], body["temperature"]) == (50, 0.5)
    assert "stream" not in body
    assert "tools" not in body
    assert "tool_choice" not in body


async def test_stream_yields_text_deltas_then_usage_then_one_finish():
    usage = Usage(input_tokens=12, output_tokens=30)
    text = "Streaming works: one small chunk after another."
    async with serve([Reply(text=text, usage=usage)]) as (fake, model):
        events = [event async for event in model.stream(ask())]
    deltas = [event.text for event in events if isinstance(event, TextDelta)]
    assert len(deltas) > 3
    assert "".join(deltas) == text
    assert isinstance(events[-2], UsageUpdate)
    assert events[-2].usage == usage
    assert events[-2].cost is not None
    assert events[-1] == Finish(FinishReason.STOP)
    body = fake.requests[0].json()
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert fake.server.completed_streams == 1


async def test_tool_calls_whole_and_streamed_and_results_sent_back():
    replies = [Reply(tool_calls=CALLS), Reply(tool_calls=CALLS), Reply(text="Sunny.")]
    request = ask("Weather?", tools=(WEATHER,), tool_choice="required")
    async with serve(replies) as (fake, model):
        whole = await model.complete(request)
        events = [event async for event in model.stream(request)]
        streamed = await collect_response(_replay(events))
        conversation = ModelRequest(
            (
                *request.messages,
                whole.message,
                Message.tool("sunny", tool_call_id="call_a"),
                Message.tool("no city", tool_call_id="call_b"),
            ),
            tools=(WEATHER,),
        )
        answer = await model.complete(conversation)
    for response in (whole, streamed):
        assert [(c.id, c.name, c.arguments) for c in response.tool_calls] == [
            ("call_a", "weather", {"city": "Zürich"}),
            ("call_b", "weather", {}),
        ]
        assert response.finish_reason is FinishReason.TOOL_CALLS
    fragments = [event for event in events if isinstance(event, ToolCallDelta)]
    assert len(fragments) >= 6  # a head and argument fragments per call
    assert answer.text == "Sunny."
    body = fake.requests[0].json()
    assert body["tool_choice"] == "required"
    assert body["tools"][0]["function"]["name"] == "weather"
    sent = fake.requests[2].json()["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool", "tool"]
    assert [c["id"] for c in sent[1]["tool_calls"]] == ["call_a", "call_b"]
    assert sent[1]["tool_calls"][0]["function"]["arguments"] == '{"city":"Zürich"}'
    assert [(m["tool_call_id"], m["content"]) for m in sent[2:]] == [
        ("call_a", "sunny"),
        ("call_b", "no city"),
    ]


async def _replay(events):
    for event in events:
        yield event


async def test_json_schema_response_format():
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "required": ["name"],
        "additionalProperties": False,
    }
    async with serve([Reply(text='{"name": "Paris"}')]) as (fake, model):
        response = await model.complete(ask(response_format=ResponseFormat("city", schema)))
    assert response.parsed_json() == {"name": "Paris"}
    assert fake.requests[0].json()["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "city", "schema": schema, "strict": True},
    }
    assert fake.seen[0].response_schema == schema


@pytest.mark.parametrize(
    ("kind", "expected", "status"),
    [
        ("auth", AuthenticationError, 401),
        ("permission", PermissionDeniedError, 403),
        ("rate_limit", RateLimitedError, 429),
        ("context_length", ContextLengthExceededError, 400),
        ("content_filter", ContentFilteredError, 400),
        ("invalid", InvalidRequestError, 400),
        ("server", TransientModelError, 500),
        ("overloaded", TransientModelError, 503),
    ],
)
@pytest.mark.parametrize("streamed", [False, True])
async def test_every_error_kind_maps_and_never_shows_the_key(kind, expected, status, streamed):
    reply = Reply(error=ErrorReply(kind=kind, retry_after=1.5 if kind == "rate_limit" else None))
    async with serve([reply]) as (fake, model):
        call = collect_response(model.stream(ask())) if streamed else model.complete(ask())
        with pytest.raises(ModelError) as caught:
            await call
    error = caught.value
    assert type(error) is expected
    assert (error.status_code, error.provider, error.model) == (status, "openai", "gpt-4o-mini")
    for text in (str(error), repr(error), error.message):
        assert KEY not in text
    if kind == "auth":
        assert fake.seen[0].api_key == KEY  # the server did echo it
        assert "Incorrect API key provided: **********" in error.message
    if kind == "rate_limit":
        assert isinstance(error, RateLimitedError)
        assert error.retry_after == 1.5
    assert len(fake.requests) == 1  # no SDK retries behind our back


async def test_a_wrong_key_is_rejected_and_masked(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    fake = FakeOpenAI([Reply(text="never")], api_key="sk-the-right-key-000000")
    wrong = "sk-the-wrong-key-99999999"
    async with fake.serving():
        model = OpenAIModel(api_key=Secret(wrong), base_url=fake.base_url, retry=NO_RETRY)
        async with model:
            with pytest.raises(AuthenticationError) as caught:
                await model.complete(ask())
    assert wrong not in str(caught.value)
    assert wrong not in repr(caught.value)
    assert wrong not in repr(model)
    # The SDK's exception is summarised in a redacted note instead of being chained: a logged
    # traceback must not show the key either.
    assert caught.value.__cause__ is None
    assert any("openai.AuthenticationError" in note for note in caught.value.__notes__)
    assert wrong not in "".join(traceback.format_exception(caught.value))
    assert len(fake.requests) == 1  # not retried: a bad key stays bad


async def test_a_compatible_server_needs_no_key(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    fake = FakeOpenAI([Reply(text="local answer")])
    async with fake.serving(), OpenAIModel("qwen2.5", base_url=fake.base_url) as model:
        response = await model.complete(ask())
    assert response.text == "local answer"
    assert response.model == "qwen2.5"
    assert fake.seen[0].api_key == "no-key"  # a harmless placeholder


async def test_the_key_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment-1234")
    fake = FakeOpenAI([Reply(text="ok")])
    async with fake.serving(), OpenAIModel(base_url=fake.base_url) as model:
        await model.complete(ask())
    assert fake.seen[0].api_key == "sk-from-the-environment-1234"


def test_no_key_and_no_base_url_is_an_authentication_error(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(AuthenticationError, match="OPENAI_API_KEY") as caught:
        OpenAIModel("gpt-4o")
    assert "api_key=" in str(caught.value)
    assert caught.value.provider == "openai"


async def test_closing_a_stream_mid_answer_closes_the_connection():
    long_text = "word " * 400
    async with serve([Reply(text=long_text, chunk_delay=0.01)]) as (fake, model):
        stream = model.stream(ask())
        async for event in stream:
            if isinstance(event, TextDelta):
                break
        await stream.aclose()
        await wait_until(lambda: fake.disconnects == 1)
        assert fake.server.completed_streams == 0


async def test_cancelling_the_reading_task_closes_the_connection():
    long_text = "word " * 400
    first = trio.Event()

    async def read(model: OpenAIModel) -> None:
        async for event in model.stream(ask()):
            if isinstance(event, TextDelta):
                first.set()

    async with serve([Reply(text=long_text, chunk_delay=0.01)]) as (fake, model):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(read, model)
            await first.wait()
            nursery.cancel_scope.cancel()
        await wait_until(lambda: fake.disconnects == 1)


async def test_an_error_event_inside_a_stream_is_transient():
    async def handler(request: HTTPRequest) -> StreamingResponse:
        chunk = {
            "id": "c1",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "m",
            "choices": [{"index": 0, "delta": {"content": "Hel"}, "finish_reason": None}],
        }
        error = {"message": "The server had an error", "type": "server_error", "code": None}
        return StreamingResponse([sse_event(chunk), sse_event({"error": error})])

    server = FakeHTTPServer(handler)
    async with server.serving():
        model = OpenAIModel("m", api_key=KEY, base_url=server.url + "/v1", retry=NO_RETRY)
        async with model:
            events = []

            async def read() -> None:
                async for event in model.stream(ask()):
                    events.append(event)

            with pytest.raises(TransientModelError, match="The server had an error"):
                await read()
    assert events == [TextDelta("Hel")]


async def test_a_refusal_through_the_sdk_is_a_content_filter_answer():
    async def handler(request: HTTPRequest) -> HTTPResponse:
        message = {"role": "assistant", "content": None, "refusal": "I can't help with that."}
        return HTTPResponse.json(
            {
                "id": "c1",
                "object": "chat.completion",
                "created": 0,
                "model": "gpt-4o",
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 9, "completion_tokens": 6, "total_tokens": 15},
            }
        )

    server = FakeHTTPServer(handler)
    async with server.serving():
        model = OpenAIModel("gpt-4o", api_key=KEY, base_url=server.url + "/v1")
        async with model:
            response = await model.complete(ask())
    assert response.text == "I can't help with that."
    assert response.finish_reason is FinishReason.CONTENT_FILTER


async def test_an_unknown_finish_reason_of_a_compatible_server_is_other():
    replies = [Reply(text="x", finish_reason=FinishReason.OTHER)] * 2
    async with serve(replies) as (_fake, model):
        whole = await model.complete(ask())
        streamed = await collect_response(model.stream(ask()))
    assert whole.finish_reason is streamed.finish_reason is FinishReason.OTHER


async def test_an_unreachable_server_is_transient():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    model = OpenAIModel(api_key=KEY, base_url=f"http://127.0.0.1:{port}/v1", retry=NO_RETRY)
    async with model:
        with pytest.raises(TransientModelError, match="could not reach the server"):
            await model.complete(ask())


async def test_a_client_of_yours_gets_no_sdk_retries_and_stays_open():
    fake = FakeOpenAI([Reply(error=ErrorReply(kind="server"))])
    async with fake.serving():
        client = openai.AsyncOpenAI(api_key=KEY, base_url=fake.base_url, max_retries=5)
        async with OpenAIModel(client=client, retry=NO_RETRY) as model:
            assert model.client.max_retries == 0
            with pytest.raises(TransientModelError):
                await model.complete(ask())
        assert len(fake.requests) == 1
        assert not client.is_closed()
        await client.close()
    with pytest.raises(InvalidModelValue, match="pass either client or api_key"):
        OpenAIModel(client=client, api_key=KEY)


async def test_an_http_client_of_yours_stays_open_and_extra_body_is_sent():
    fake = FakeOpenAI([Reply(text="ok")])
    async with fake.serving():
        http_client = httpx2.AsyncClient()
        model = OpenAIModel(
            api_key=KEY,
            base_url=fake.base_url,
            organization="org-test",
            http_client=http_client,
            extra_body={"top_k": 20},
        )
        async with model:
            await model.complete(ask())
        assert not http_client.is_closed
        await http_client.aclose()
    (request,) = fake.requests
    assert request.json()["top_k"] == 20
    assert request.headers["openai-organization"] == "org-test"


async def test_the_adapter_closes_the_client_it_built():
    async with serve([]) as (_fake, model):
        pass
    assert model.client.is_closed()

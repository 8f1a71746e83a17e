"""`OllamaModel` end to end: the real ``ollama`` SDK over HTTP against a loopback `FakeOllama`."""

import traceback
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from typing import Any

import ollama
import pytest
import trio

from mxp_agents.adapters import (
    AuthenticationError,
    ContentFilteredError,
    ContextLengthExceededError,
    Finish,
    FinishReason,
    InvalidRequestError,
    MalformedResponseError,
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
from mxp_agents.adapters._retry import NO_RETRY
from mxp_agents.adapters.ollama import OllamaModel
from mxp_agents.adapters.testing.conformance import ErrorReply, Reply
from mxp_agents.adapters.testing.fakes._ollama import FakeOllama
from mxp_agents.adapters.testing.fakes._ollama_wire import final_line
from mxp_agents.adapters.testing.http import (
    FakeHTTPServer,
    HTTPRequest,
    StreamingResponse,
    ndjson_line,
)
from mxp_agents.primitives import Message, ToolCall, ToolDefinition, Usage

KEY = "olk-live-5b1e9d3c7a"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "city": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "units": {"type": "object", "properties": {"temp": {"enum": ["C", "F"]}}},
    },
    "required": ["city"],
    "additionalProperties": False,
}
WEATHER = ToolDefinition("weather", "The weather in a city.", SCHEMA)
CLOCK = ToolDefinition("clock", "The current time.")
CALLS = (
    ToolCall("srv_1", "weather", {"city": "Oslo", "units": {"temp": "C"}}),
    ToolCall("srv_2", "clock"),
)
TEXT = "The sky is blue because of Rayleigh scattering of sunlight."


def ask(text: str = "Why is the sky blue?", **options: Any) -> ModelRequest:
    return ModelRequest((Message.system("Be brief."), Message.user(text)), **options)


@asynccontextmanager
async def served(
    replies: list[Reply], *, models: set[str] | None = None, **settings: Any
) -> AsyncGenerator[tuple[FakeOllama, OllamaModel]]:
    fake = FakeOllama(replies, models=models)
    async with fake.serving():
        settings.setdefault("retry", NO_RETRY)
        settings.setdefault("timeout", 10.0)
        async with OllamaModel("llama3.2", host=fake.url, api_key=KEY, **settings) as model:
            yield fake, model


async def wait_until(condition: Callable[[], bool], what: str) -> None:
    with trio.move_on_after(5):
        while not condition():  # noqa: ASYNC110 - the condition lives in the server's tasks
            await trio.sleep(0.01)
        return
    raise AssertionError(f"waited 5 s for {what}")


async def call(model: OllamaModel, request: ModelRequest, streamed: bool) -> object:
    if streamed:
        return await collect_response(model.stream(request))
    return await model.complete(request)


async def failure(model: OllamaModel, request: ModelRequest, streamed: bool) -> ModelError:
    with pytest.raises(ModelError) as raised:
        await call(model, request, streamed)
    return raised.value


async def read_into(events: list[Any], stream: AsyncGenerator[Any]) -> None:
    async for event in stream:
        events.append(event)


async def closed_port() -> int:
    with trio.socket.socket() as sock:
        await sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_complete_text_usage_and_wire_request() -> None:
    usage = Usage(input_tokens=26, output_tokens=12)
    async with served([Reply(text=TEXT, usage=usage)], options={"seed": 7}) as (fake, model):
        response = await model.complete(ask(temperature=0.1, max_output_tokens=40, stop=("\n\n",)))
    assert response.text == TEXT
    assert response.usage == usage
    assert response.finish_reason is FinishReason.STOP
    assert (response.model, response.provider) == ("llama3.2", "ollama")
    assert response.cost == 0.0  # local models are free in the default price table
    (http,) = fake.requests
    assert (http.method, http.path) == ("POST", "/api/chat")
    assert http.headers["user-agent"].startswith("ollama-python/")
    assert http.headers["authorization"] == f"Bearer {KEY}"
    body = http.json()
    assert body["stream"] is False
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert body["options"] == {"seed": 7, "temperature": 0.1, "num_predict": 40, "stop": ["\n\n"]}
    (seen,) = fake.seen
    assert seen.api_key == KEY


async def test_stream_text_in_pieces_then_usage_and_finish() -> None:
    usage = Usage(input_tokens=26, output_tokens=12)
    settings: dict[str, Any] = {"keep_alive": "10m", "think": False}
    async with served([Reply(text=TEXT, usage=usage)], **settings) as (fake, model):
        events = [event async for event in model.stream(ask())]
    deltas = [event for event in events if isinstance(event, TextDelta)]
    assert len(deltas) > 5
    assert "".join(delta.text for delta in deltas) == TEXT
    assert events[-2:] == [UsageUpdate(usage, cost=0.0), Finish(FinishReason.STOP)]
    body = fake.requests[0].json()
    assert body["stream"] is True
    assert (body["keep_alive"], body["think"]) == ("10m", False)
    assert fake.disconnects == 0


async def test_tool_calls_whole_and_streamed_with_fresh_unique_ids() -> None:
    replies = [Reply(tool_calls=CALLS), Reply(tool_calls=CALLS), Reply(text="Sunny, 12:00.")]
    async with served(replies) as (fake, model):
        request = ask("Weather and time?", tools=(WEATHER, CLOCK))
        whole = await model.complete(request)
        events = [event async for event in model.stream(request)]
        streamed = await collect_response(_replay(events))
        follow_up = ModelRequest(
            (
                *request.messages,
                whole.message,
                *(Message.tool(f"result {c.name}", tool_call_id=c.id) for c in whole.tool_calls),
                streamed.message,
                *(Message.tool(f"again {c.name}", tool_call_id=c.id) for c in streamed.tool_calls),
            ),
            tools=(WEATHER, CLOCK),
        )
        final = await model.complete(follow_up)
    for response in (whole, streamed):
        assert [(call.name, call.arguments) for call in response.tool_calls] == [
            ("weather", {"city": "Oslo", "units": {"temp": "C"}}),
            ("clock", {}),
        ]
        assert response.finish_reason is FinishReason.TOOL_CALLS
    ids = [call.id for call in (*whole.tool_calls, *streamed.tool_calls)]
    assert len(set(ids)) == 4  # the SDK drops the server's ids; ours never repeat
    assert [e.index for e in events if isinstance(e, ToolCallDelta)] == [0, 1]
    assert [c.raw_arguments for c in whole.tool_calls] == [
        c.raw_arguments for c in streamed.tool_calls
    ]
    assert final.text == "Sunny, 12:00."
    sent = fake.requests[2].json()
    assert sent["tools"][0]["function"]["parameters"] == SCHEMA  # the whole schema, unchanged
    results = [m for m in sent["messages"] if m["role"] == "tool"]
    assert [(m["tool_name"], m["tool_call_id"]) for m in results] == [
        ("weather", ids[0]),
        ("clock", ids[1]),
        ("weather", ids[2]),
        ("clock", ids[3]),
    ]
    assert fake.seen[2].tool_call_ids == tuple(ids)


async def _replay(events: list[Any]) -> AsyncGenerator[Any]:
    for event in events:
        yield event


async def test_json_schema_goes_out_as_format() -> None:
    city = ResponseFormat("city", {"type": "object", "properties": {"name": {"type": "string"}}})
    async with served([Reply(text='{"name": "Paris"}')]) as (fake, model):
        response = await model.complete(ask("A city?", response_format=city))
    assert response.parsed_json() == {"name": "Paris"}
    assert fake.seen[0].response_schema == city.schema


@pytest.mark.parametrize("streamed", [False, True])
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
async def test_each_error_kind(kind: Any, expected: type, status: int, streamed: bool) -> None:
    reply = Reply(error=ErrorReply(kind=kind, retry_after=2.0))
    async with served([reply]) as (_, model):
        error = await failure(model, ask(), streamed)
    assert type(error) is expected
    assert error.status_code == status
    assert KEY not in f"{error} {error!r} {error.message}"
    assert KEY not in "".join(traceback.format_exception(error))  # the SDK error chained too
    if isinstance(error, RateLimitedError):
        assert error.retry_after == 2.0


async def test_a_model_that_is_not_pulled_says_how_to_pull_it() -> None:
    async with served([Reply(text="hi")], models={"qwen3:8b"}) as (_, model):
        for streamed in (False, True):
            error = await failure(model, ask(), streamed)
            assert isinstance(error, InvalidRequestError)
            assert error.status_code == 404
            assert 'model "llama3.2" not found' in str(error)
            assert "`ollama pull llama3.2`" in str(error)


async def test_an_unreachable_server_says_where_and_how_to_start_it() -> None:
    port = await closed_port()
    async with OllamaModel(host=f"127.0.0.1:{port}", retry=NO_RETRY, timeout=5) as model:
        for streamed in (False, True):
            error = await failure(model, ask(), streamed)
            assert isinstance(error, TransientModelError)
            assert f"Ollama is not reachable at http://127.0.0.1:{port}" in str(error)
            assert "ollama serve" in str(error)


async def test_an_error_line_mid_stream_is_a_transient_error() -> None:
    async def handler(request: HTTPRequest) -> StreamingResponse:
        line = {"model": "llama3.2", "created_at": "2025-10-26T17:21:21.196249Z", "done": False}
        return StreamingResponse(
            [
                ndjson_line({**line, "message": {"role": "assistant", "content": "Yes"}}),
                ndjson_line({"error": "an error was encountered while running the model"}),
            ],
            content_type="application/x-ndjson",
        )

    async with FakeHTTPServer(handler).serving() as server, OllamaModel(host=server.url) as model:
        events: list[Any] = []
        with pytest.raises(TransientModelError, match="an error was encountered") as raised:
            await read_into(events, model.stream(ask()))
    assert events == [TextDelta("Yes")]
    assert raised.value.status_code is None
    assert len(server.requests) == 1  # started streams are not retried


async def test_a_stream_cut_before_its_final_line_is_malformed() -> None:
    async def handler(request: HTTPRequest) -> StreamingResponse:
        line = {"model": "llama3.2", "created_at": "2025-10-26T17:21:21.196249Z", "done": False}
        chunk = ndjson_line({**line, "message": {"role": "assistant", "content": "Yes"}})
        return StreamingResponse([chunk], content_type="application/x-ndjson")

    async with (
        FakeHTTPServer(handler).serving() as server,
        OllamaModel(host=server.url, retry=NO_RETRY) as model,
    ):
        with pytest.raises(MalformedResponseError, match="final chunk"):
            await collect_response(model.stream(ask()))
    assert final_line(Reply(), "m")["done"] is True


async def test_cancelling_a_stream_closes_the_connection() -> None:
    long = Reply(text=TEXT * 10, chunk_delay=0.02)
    async with served([long]) as (fake, model):
        got_first = trio.Event()

        async def consume(scope: trio.CancelScope) -> None:
            with scope:
                async for event in model.stream(ask()):
                    if isinstance(event, TextDelta):
                        got_first.set()

        async with trio.open_nursery() as nursery:
            scope = trio.CancelScope()
            nursery.start_soon(consume, scope)
            await got_first.wait()
            scope.cancel()
        await wait_until(lambda: fake.disconnects == 1, "the server to see the disconnect")
    assert fake.disconnects == 1


async def test_a_client_passed_in_is_used_and_left_open() -> None:
    fake = FakeOllama([Reply(text="one"), Reply(text="two")])
    async with fake.serving():
        client = ollama.AsyncClient(fake.url)
        async with OllamaModel("llama3.2", client=client, retry=NO_RETRY) as model:
            assert (await model.complete(ask())).text == "one"
        answer = await client.chat("llama3.2", messages=[{"role": "user", "content": "hi"}])
        assert answer.message.content == "two"
        await client.close()

"""`GeminiModel` end to end: the real ``google-genai`` SDK under trio, over real HTTP to
`FakeGemini` on 127.0.0.1."""

from __future__ import annotations

import base64
import traceback
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import trio

from mxp_agents.adapters import (
    AuthenticationError,
    ContentFilteredError,
    ContextLengthExceededError,
    FinishReason,
    InvalidRequestError,
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
from mxp_agents.adapters.gemini import GeminiModel
from mxp_agents.adapters.testing.conformance import ErrorReply, Reply
from mxp_agents.adapters.testing.fakes._gemini import FakeGemini
from mxp_agents.primitives import Message, ToolCall, ToolDefinition, Usage

KEY = "AIzaSyE2e-test-key-0123456789abcdefghijk"
WEATHER = ToolDefinition(
    name="weather",
    description="The weather in a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}},
)
CLOCK = ToolDefinition(name="clock", description="The time.")
CALLS = (ToolCall("a", "weather", {"city": "Bern"}), ToolCall("b", "clock", {}))
TEXT = "Bern is sunny today, with a light breeze from the west and no rain at all."


@asynccontextmanager
async def serving(
    replies: list[Reply], **fake: Any
) -> AsyncGenerator[tuple[FakeGemini, GeminiModel]]:
    async with FakeGemini(replies, api_key=KEY, **fake).serving() as server:
        model = GeminiModel(api_key=KEY, base_url=server.url, retry=NO_RETRY, timeout=10.0)
        async with model:
            yield server, model


async def answer(model: GeminiModel, streamed: bool) -> Any:
    """``model``'s answer to `ask`, streamed and assembled or whole."""
    if streamed:
        return await collect_response(model.stream(ask()))
    return await model.complete(ask())


def ask(text: str = "Weather in Bern?", **options: Any) -> ModelRequest:
    return ModelRequest((Message.system("Be brief."), Message.user(text)), **options)


async def test_complete_sends_the_request_gemini_expects() -> None:
    usage = Usage(input_tokens=40, output_tokens=30, cached_input_tokens=16, reasoning_tokens=20)
    async with serving([Reply(text=TEXT, usage=usage)]) as (server, model):
        response = await model.complete(ask(temperature=0.5, max_output_tokens=64, stop=("##",)))
    assert response.text == TEXT
    assert response.usage == usage
    assert (response.finish_reason, response.model) == (FinishReason.STOP, "gemini-2.5-flash")
    assert response.cost is not None  # gemini-2.5-flash is in the default price table
    (request,) = server.requests
    assert request.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert request.headers["x-goog-api-key"] == KEY
    body = request.json()
    assert body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert body["contents"] == [{"parts": [{"text": "Weather in Bern?"}], "role": "user"}]
    assert body["generationConfig"] == {
        "temperature": 0.5,
        "maxOutputTokens": 64,
        "stopSequences": ["##"],
    }


async def test_stream_yields_several_deltas_usage_and_one_finish() -> None:
    usage = Usage(input_tokens=12, output_tokens=9, reasoning_tokens=4)
    async with serving([Reply(text=TEXT, usage=usage)]) as (server, model):
        events = [event async for event in model.stream(ask())]
    deltas = [event.text for event in events if isinstance(event, TextDelta)]
    assert len(deltas) > 3
    assert "".join(deltas) == TEXT
    assert [event.usage for event in events if isinstance(event, UsageUpdate)] == [usage]
    assert events[-1].reason is FinishReason.STOP  # type: ignore[union-attr]
    (request,) = server.requests
    assert request.path.endswith(":streamGenerateContent")
    assert request.query == {"alt": "sse"}


@pytest.mark.parametrize("streamed", [False, True])
async def test_function_calls_get_ids_and_go_back_signed(streamed: bool) -> None:
    request = ask(tools=(WEATHER, CLOCK))
    replies = [Reply(tool_calls=CALLS), Reply(text="Sunny, 3 pm.")]
    async with serving(replies, require_signatures=True) as (server, model):
        if streamed:
            events = [event async for event in model.stream(request)]
            assert len([e for e in events if isinstance(e, ToolCallDelta)]) == 2
            first = await _collect(events)
        else:
            first = await model.complete(request)
        assert first.finish_reason is FinishReason.TOOL_CALLS
        assert [(c.name, c.arguments) for c in first.tool_calls] == [
            ("weather", {"city": "Bern"}),
            ("clock", {}),
        ]
        ids = [call.id for call in first.tool_calls]
        assert len(set(ids)) == 2
        assert all(call_id.startswith("call_") for call_id in ids)
        follow_up = ModelRequest(
            (
                *request.messages,
                first.message,
                Message.tool("sunny", tool_call_id=ids[0]),
                Message.tool('{"time": "15:00"}', tool_call_id=ids[1]),
            ),
            tools=request.tools,
        )
        second = await model.complete(follow_up)
    assert second.text == "Sunny, 3 pm."
    contents = server.requests[1].json()["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    calls = contents[1]["parts"]
    # The signature Gemini sent with the first call goes back with it.
    assert base64.urlsafe_b64decode(calls[0]["thoughtSignature"]).startswith(b"fake-thought")
    assert [p["functionCall"]["id"] for p in calls] == ids
    assert [p["functionResponse"] for p in contents[2]["parts"]] == [
        {"id": ids[0], "name": "weather", "response": {"result": "sunny"}},
        {"id": ids[1], "name": "clock", "response": {"time": "15:00"}},
    ]


async def _collect(events: list[Any]) -> Any:
    async def replay() -> AsyncGenerator[Any]:
        for event in events:
            yield event

    return await collect_response(replay())


async def test_history_from_elsewhere_is_accepted_by_signature_checking_models() -> None:
    history = ModelRequest(
        (
            Message.user("Time?"),
            Message.assistant(tool_calls=(ToolCall("toolu_01", "clock", {}),)),
            Message.tool("15:00", tool_call_id="toolu_01"),
        ),
        tools=(CLOCK,),
    )
    async with serving([Reply(text="3 pm.")], require_signatures=True) as (server, model):
        assert (await model.complete(history)).text == "3 pm."
    part = server.requests[0].json()["contents"][1]["parts"][0]
    assert part["thoughtSignature"] == "skip_thought_signature_validator"


async def test_provider_call_ids_are_passed_through() -> None:
    async with serving([Reply(tool_calls=CALLS)] * 2, call_ids=True) as (_, model):
        whole = await model.complete(ask(tools=(WEATHER, CLOCK)))
        streamed = await collect_response(model.stream(ask(tools=(WEATHER, CLOCK))))
    assert [c.id for c in whole.tool_calls] == [c.id for c in streamed.tool_calls] == ["a", "b"]


async def test_json_schema_response_format() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    answer = '{"name": "Bern"}'
    async with serving([Reply(text=answer)] * 2) as (server, model):
        fmt = ResponseFormat("city", schema)
        whole = await model.complete(ask(response_format=fmt))
        streamed = await collect_response(model.stream(ask(response_format=fmt)))
    assert whole.parsed_json() == streamed.parsed_json() == {"name": "Bern"}
    for request in server.requests:
        config = request.json()["generationConfig"]
        assert config == {"responseMimeType": "application/json", "responseJsonSchema": schema}


_ERRORS: list[tuple[str, type[ModelError], int]] = [
    ("permission", PermissionDeniedError, 403),
    ("rate_limit", RateLimitedError, 429),
    ("context_length", ContextLengthExceededError, 400),
    ("invalid", InvalidRequestError, 400),
    ("server", TransientModelError, 500),
    ("overloaded", TransientModelError, 503),
]


@pytest.mark.parametrize("streamed", [False, True])
@pytest.mark.parametrize(("kind", "expected", "status"), _ERRORS)
async def test_errors_map_onto_the_hierarchy(
    kind: Any, expected: type[ModelError], status: int, streamed: bool
) -> None:
    reply = Reply(error=ErrorReply(kind=kind, retry_after=1.5 if kind == "rate_limit" else None))
    async with serving([reply]) as (_, model):
        with pytest.raises(expected) as caught:
            await answer(model, streamed)
    error = caught.value
    assert (error.provider, error.model, error.status_code) == (
        "gemini",
        "gemini-2.5-flash",
        status,
    )
    if kind == "rate_limit":
        assert isinstance(error, RateLimitedError)
        assert error.retry_after == 1.5


@pytest.mark.parametrize("streamed", [False, True])
async def test_a_wrong_key_is_an_authentication_error_that_never_shows_the_key(
    streamed: bool,
) -> None:
    wrong = "AIzaSyWrong-key-for-the-test-0123456789ab"
    async with FakeGemini([Reply(text="never")], api_key=KEY).serving() as server:
        model = GeminiModel(api_key=wrong, base_url=server.url, retry=NO_RETRY)
        async with model:
            with pytest.raises(AuthenticationError) as caught:
                await answer(model, streamed)
    assert wrong in server.requests[0].headers["x-goog-api-key"]
    error = caught.value
    assert error.status_code == 400  # Gemini answers a bad key with INVALID_ARGUMENT
    assert "API key not valid" in error.message
    shown = "".join(traceback.format_exception(error))
    for text in (str(error), repr(error), error.message, shown, repr(model)):
        assert wrong not in text
        assert KEY not in text


@pytest.mark.parametrize("streamed", [False, True])
async def test_a_blocked_prompt_is_content_filtered(streamed: bool) -> None:
    reply = Reply(error=ErrorReply(kind="content_filter", message="Blocked for a test."))
    async with serving([reply]) as (_, model):
        with pytest.raises(ContentFilteredError, match=r"PROHIBITED_CONTENT.*Blocked for a test"):
            await answer(model, streamed)


async def test_a_safety_stop_is_a_content_filter_finish() -> None:
    reply = Reply(text="I can't", finish_reason=FinishReason.CONTENT_FILTER)
    async with serving([reply, reply]) as (_, model):
        whole = await model.complete(ask())
        streamed = await collect_response(model.stream(ask()))
    assert whole.finish_reason is streamed.finish_reason is FinishReason.CONTENT_FILTER


async def test_closing_a_stream_closes_the_connection() -> None:
    reply = Reply(text=TEXT * 10, chunk_delay=0.02)
    async with serving([reply]) as (server, model):
        stream = model.stream(ask())
        async for event in stream:
            if isinstance(event, TextDelta):
                break
        await stream.aclose()  # type: ignore[attr-defined]
        await _until(lambda: server.disconnects == 1)
    assert server.server.completed_streams == 0


async def test_cancelling_the_task_mid_stream_closes_the_connection() -> None:
    reply = Reply(text=TEXT * 10, chunk_delay=0.02)
    async with serving([reply]) as (server, model):
        seen = trio.Event()

        async def consume() -> None:
            async for event in model.stream(ask()):
                if isinstance(event, TextDelta):
                    seen.set()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(consume)
            await seen.wait()
            nursery.cancel_scope.cancel()
        await _until(lambda: server.disconnects == 1)


async def test_a_dropped_connection_is_transient() -> None:
    async with serving([]) as (server, model):
        url = server.url
    async with GeminiModel(api_key=KEY, base_url=url, retry=NO_RETRY) as model:
        with pytest.raises(TransientModelError, match="connection failed"):
            await model.complete(ask())


async def test_a_given_http_client_carries_every_request_and_stays_open() -> None:
    sent: list[str] = []

    async def record(request: httpx.Request) -> None:
        sent.append(request.url.path)

    fake = FakeGemini([Reply(text="a"), Reply(text="b")], api_key=KEY)
    client = httpx.AsyncClient(event_hooks={"request": [record]})
    async with fake.serving() as server, client:
        model = GeminiModel(api_key=KEY, base_url=server.url, http_client=client)
        await model.complete(ask())
        await collect_response(model.stream(ask()))
        await model.aclose()
        assert not client.is_closed
    assert sent == [
        "/v1beta/models/gemini-2.5-flash:generateContent",
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
    ]


async def test_the_sdk_does_not_retry_on_its_own() -> None:
    reply = Reply(error=ErrorReply(kind="overloaded"))
    async with serving([reply, Reply(text="ok")]) as (server, model):
        with pytest.raises(TransientModelError):
            await model.complete(ask())
    assert len(server.requests) == 1


async def _until(condition: Any, limit: float = 5.0) -> None:
    with trio.fail_after(limit):
        while not condition():  # noqa: ASYNC110 - the condition lives in the server task
            await trio.sleep(0.005)

"""Unit tests of the OpenAI mapping: requests out, answers, chunks and SDK errors back in.

Answers and chunks are real SDK objects (`ChatCompletion` / `ChatCompletionChunk`) built from
the JSON the fake server sends; errors are real SDK exceptions around real ``httpx2`` responses.
"""

from __future__ import annotations

import email.utils

import httpx2
import msgspec
import openai
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk

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
    ModelTimeoutError,
    PermissionDeniedError,
    RateLimitedError,
    ResponseAssembler,
    ResponseFormat,
    TextDelta,
    ToolCallDelta,
    ToolChoiceTool,
    TransientModelError,
    UsageUpdate,
)
from mxp_agents.adapters._openai._errors import map_openai_error
from mxp_agents.adapters._openai._request import chat_params, message_param
from mxp_agents.adapters._openai._response import finish_reason, response_of, usage_of_openai
from mxp_agents.adapters._openai._stream import ChunkMapper
from mxp_agents.adapters._retry_after import retry_after_seconds
from mxp_agents.adapters.testing.conformance import Reply
from mxp_agents.adapters.testing.fakes._openai_wire import chunk_events, completion_body
from mxp_agents.primitives import Message, ToolCall, ToolDefinition, Usage

SEARCH = ToolDefinition(
    name="search",
    description="Search the docs.",
    parameters={"type": "object", "properties": {"q": {"type": "string"}}},
    strict=True,
)
CLOCK = ToolDefinition(name="clock")


# -- requests -------------------------------------------------------------------------------


def test_system_messages_stay_in_place_and_every_role_maps():
    call = ToolCall.parse("call_1", "search", '{"q": "mxp"}')
    request = ModelRequest(
        (
            Message.system("Be brief."),
            Message.user("Find mxp", name="ada"),
            Message.assistant("Looking.", tool_calls=(call,)),
            Message.tool("found it", tool_call_id="call_1"),
            Message.system("Now answer in French."),
            Message.assistant("Trouvé."),
        ),
        tools=(SEARCH,),
    )
    params = chat_params(request, "gpt-4o-mini")
    assert params["model"] == "gpt-4o-mini"
    assert params["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Find mxp", "name": "ada"},
        {
            "role": "assistant",
            "content": "Looking.",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "search", "arguments": '{"q": "mxp"}'},
                }
            ],
        },
        {"role": "tool", "content": "found it", "tool_call_id": "call_1"},
        {"role": "system", "content": "Now answer in French."},
        {"role": "assistant", "content": "Trouvé."},
    ]


def test_tool_call_arguments_are_raw_when_known_else_encoded():
    encoded = message_param(Message.assistant(tool_calls=[ToolCall("c1", "clock", {"tz": "UTC"})]))
    assert encoded == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "clock", "arguments": '{"tz":"UTC"}'},
            }
        ],
    }
    blank = message_param(Message.assistant(tool_calls=[ToolCall.parse("c2", "clock", "")]))
    assert blank["tool_calls"][0]["function"]["arguments"] == "{}"  # type: ignore[typeddict-item]


def test_options_map_to_chat_completions_fields():
    request = ModelRequest(
        (Message.user("hi"),),
        tools=(SEARCH, CLOCK),
        tool_choice=ToolChoiceTool("clock"),
        temperature=0.25,
        max_output_tokens=64,
        stop=("END", "STOP"),
        response_format=ResponseFormat("city", {"type": "object"}, strict=False),
        metadata={"run": "r1"},
    )
    params = chat_params(request, "gpt-4o", {"top_k": 5})
    assert params.get("tools") == [
        {
            "type": "function",
            "function": {
                "name": "search",
                "parameters": SEARCH.parameters,
                "description": "Search the docs.",
                "strict": True,
            },
        },
        {
            "type": "function",
            "function": {"name": "clock", "parameters": CLOCK.parameters, "strict": False},
        },
    ]
    assert params.get("tool_choice") == {"type": "function", "function": {"name": "clock"}}
    assert params.get("temperature") == 0.25
    assert params.get("max_completion_tokens") == 64
    assert "max_tokens" not in params
    assert params.get("stop") == ["END", "STOP"]
    assert params.get("response_format") == {
        "type": "json_schema",
        "json_schema": {"name": "city", "schema": {"type": "object"}, "strict": False},
    }
    assert params.get("extra_body") == {"top_k": 5}
    assert "metadata" not in params


@pytest.mark.parametrize("choice", ["auto", "none", "required"])
def test_tool_choice_modes_are_sent_as_strings(choice):
    request = ModelRequest((Message.user("hi"),), tools=(CLOCK,), tool_choice=choice)
    assert chat_params(request, "m").get("tool_choice") == choice


def test_no_tools_means_no_tool_fields_and_defaults_are_left_out():
    params = chat_params(ModelRequest((Message.user("hi"),)), "m")
    assert set(params) == {"model", "messages"}


# -- whole answers --------------------------------------------------------------------------


def _completion(body: dict[str, object]) -> ChatCompletion:
    return ChatCompletion.model_validate(body)


def test_usage_reports_cached_and_reasoning_tokens():
    usage = Usage(input_tokens=100, output_tokens=40, cached_input_tokens=60, reasoning_tokens=25)
    body = completion_body(Reply(text="ok", usage=usage), model="o4-mini-2025", number=1)
    response = response_of(_completion(body), model="o4-mini", provider="openai")
    assert response.usage == usage
    assert response.model == "o4-mini-2025"  # as the provider reports it
    assert usage_of_openai(None) == Usage()


def test_usage_details_may_be_missing_or_null():
    body = completion_body(Reply(text="ok"), model="m", number=1)
    body["usage"] = {
        "prompt_tokens": 5,
        "completion_tokens": 2,
        "total_tokens": 7,
        "prompt_tokens_details": None,
    }
    response = response_of(_completion(body), model="m", provider="openai")
    assert response.usage == Usage(input_tokens=5, output_tokens=2)


def test_tool_calls_parse_and_finish_reason_maps():
    calls = (ToolCall("call_a", "search", {"q": "x"}), ToolCall("call_b", "clock", {}))
    body = completion_body(Reply(tool_calls=calls), model="m", number=1)
    response = response_of(_completion(body), model="m", provider="openai")
    assert [(c.id, c.name, c.arguments) for c in response.tool_calls] == [
        ("call_a", "search", {"q": "x"}),
        ("call_b", "clock", {}),
    ]
    assert response.finish_reason is FinishReason.TOOL_CALLS
    assert response.text == ""


def test_bad_tool_call_arguments_are_malformed():
    body = completion_body(Reply(tool_calls=(ToolCall("c1", "search"),)), model="m", number=1)
    body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] = '{"q": '  # type: ignore[index]
    with pytest.raises(MalformedResponseError, match="tool call 0 \\('search'\\): arguments"):
        response_of(_completion(body), model="m", provider="openai")


def test_custom_tool_calls_and_empty_choices_are_malformed():
    body = completion_body(Reply(text="x"), model="m", number=1)
    body["choices"][0]["message"]["tool_calls"] = [  # type: ignore[index]
        {"id": "c1", "type": "custom", "custom": {"name": "grep", "input": "x"}}
    ]
    with pytest.raises(MalformedResponseError, match="type 'custom'"):
        response_of(_completion(body), model="m", provider="openai")
    body["choices"] = []
    with pytest.raises(MalformedResponseError, match="no choices"):
        response_of(_completion(body), model="m", provider="openai")


def test_refusal_is_the_text_with_a_content_filter_finish():
    body = completion_body(Reply(text=""), model="m", number=1)
    body["choices"][0]["message"].update(content=None, refusal="I can't help with that.")  # type: ignore[index]
    response = response_of(_completion(body), model="m", provider="openai")
    assert response.text == "I can't help with that."
    assert response.finish_reason is FinishReason.CONTENT_FILTER


@pytest.mark.parametrize(
    ("wire", "ours"),
    [
        ("stop", FinishReason.STOP),
        ("length", FinishReason.LENGTH),
        ("tool_calls", FinishReason.TOOL_CALLS),
        ("function_call", FinishReason.TOOL_CALLS),
        ("content_filter", FinishReason.CONTENT_FILTER),
        ("abort", FinishReason.OTHER),
    ],
)
def test_finish_reasons(wire, ours):
    assert finish_reason(wire) is ours
    if ours is FinishReason.OTHER:
        return  # not in the SDK's Literal: see the end-to-end test with a compatible server
    body = completion_body(Reply(text="x"), model="m", number=1)
    body["choices"][0]["finish_reason"] = wire  # type: ignore[index]
    assert response_of(_completion(body), model="m", provider="p").finish_reason is ours


def test_missing_finish_reason_of_a_compatible_server():
    assert finish_reason(None) is FinishReason.STOP
    assert finish_reason(None, tool_calls=True) is FinishReason.TOOL_CALLS


# -- streamed answers -----------------------------------------------------------------------


def _chunks(reply: Reply, include_usage: bool = True) -> list[ChatCompletionChunk]:
    chunks: list[ChatCompletionChunk] = []
    for event in chunk_events(reply, model="m", number=1, include_usage=include_usage):
        data = event.decode().removeprefix("data: ").strip()
        if data != "[DONE]":
            chunks.append(ChatCompletionChunk.model_validate_json(data))
    return chunks


def _events(chunks: list[ChatCompletionChunk]) -> list[object]:
    mapper = ChunkMapper(model="m", provider="openai")
    events: list[object] = [event for chunk in chunks for event in mapper.events(chunk)]
    return [*events, mapper.finish()]


def test_text_stream_maps_to_deltas_usage_then_finish():
    usage = Usage(input_tokens=30, output_tokens=12, cached_input_tokens=10, reasoning_tokens=4)
    events = _events(_chunks(Reply(text="Hello there, streaming world!", usage=usage)))
    texts = [event.text for event in events if isinstance(event, TextDelta)]
    assert len(texts) > 2
    assert "".join(texts) == "Hello there, streaming world!"
    assert events[-2:] == [UsageUpdate(usage), Finish(FinishReason.STOP)]


def test_tool_call_fragments_carry_id_and_name_first_then_arguments():
    calls = (
        ToolCall("call_a", "search", {"q": "a fairly long query"}),
        ToolCall("call_b", "clock", {}),
    )
    events = _events(_chunks(Reply(tool_calls=calls)))
    deltas = [event for event in events if isinstance(event, ToolCallDelta)]
    first_a = deltas[0]
    assert (first_a.index, first_a.id, first_a.name, first_a.arguments) == (
        0,
        "call_a",
        "search",
        "",
    )
    fragments_a = [d for d in deltas if d.index == 0 and d.id is None]
    assert len(fragments_a) == 3
    assert all(d.name is None for d in fragments_a)
    assert events[-1] == Finish(FinishReason.TOOL_CALLS)
    assembler = ResponseAssembler()
    for event in events:
        assembler.add(event)  # type: ignore[arg-type]
    response = assembler.response()
    assert [(c.id, c.name, c.arguments) for c in response.tool_calls] == [
        ("call_a", "search", {"q": "a fairly long query"}),
        ("call_b", "clock", {}),
    ]


def test_interleaved_fragments_of_parallel_calls_assemble_by_index():
    def chunk(
        tool_calls: list[dict[str, object]], finish: str | None = None
    ) -> ChatCompletionChunk:
        return ChatCompletionChunk.model_validate(
            {
                "id": "c",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": "m",
                "choices": [
                    {"index": 0, "delta": {"tool_calls": tool_calls}, "finish_reason": finish}
                ],
            }
        )

    def head(index: int, call_id: str, name: str) -> dict[str, object]:
        return {"index": index, "id": call_id, "type": "function", "function": {"name": name}}

    def part(index: int, text: str) -> dict[str, object]:
        return {"index": index, "function": {"arguments": text}}

    chunks = [
        chunk([head(0, "call_a", "search"), head(1, "call_b", "clock")]),
        chunk([part(1, '{"tz": ')]),
        chunk([part(0, '{"q": ')]),
        chunk([part(1, '"UTC"}'), part(0, '"x"}')], "tool_calls"),
    ]
    assembler = ResponseAssembler()
    for event in _events(chunks):
        assembler.add(event)  # type: ignore[arg-type]
    calls = assembler.response().tool_calls
    assert [(c.id, c.arguments) for c in calls] == [
        ("call_a", {"q": "x"}),
        ("call_b", {"tz": "UTC"}),
    ]


def test_running_usage_totals_are_reported_once():
    # vLLM with continuous usage stats repeats running totals on every chunk.
    def chunk(prompt: int, completion: int) -> ChatCompletionChunk:
        return ChatCompletionChunk.model_validate(
            {
                "id": "c",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": "m",
                "choices": [{"index": 0, "delta": {"content": "x"}, "finish_reason": None}],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                },
            }
        )

    mapper = ChunkMapper(model="m", provider="p")
    updates = [
        event
        for chunk in (chunk(10, 1), chunk(10, 2), chunk(10, 2), chunk(10, 5))
        for event in mapper.events(chunk)
        if isinstance(event, UsageUpdate)
    ]
    assert sum((u.usage for u in updates), Usage()) == Usage(input_tokens=10, output_tokens=5)
    assert len(updates) == 3  # the repeated totals add nothing


def test_a_streamed_refusal_is_text_with_a_content_filter_finish():
    chunk = ChatCompletionChunk.model_validate(
        {
            "id": "c",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "m",
            "choices": [{"index": 0, "delta": {"refusal": "No."}, "finish_reason": "stop"}],
        }
    )
    assert _events([chunk]) == [TextDelta("No."), Finish(FinishReason.CONTENT_FILTER)]


def test_a_stream_without_finish_reason_is_malformed():
    chunks = _chunks(Reply(text="Hello"), include_usage=False)[:-1]  # drop the finish chunk
    with pytest.raises(MalformedResponseError, match="without a finish_reason"):
        _events(chunks)


def test_without_include_usage_there_is_no_usage_update():
    events = _events(_chunks(Reply(text="Hi"), include_usage=False))
    assert not [event for event in events if isinstance(event, UsageUpdate)]


# -- errors ---------------------------------------------------------------------------------

_REQUEST = httpx2.Request("POST", "https://api.openai.com/v1/chat/completions")


def _status_error(
    error_type: type[openai.APIStatusError],
    status: int,
    body: object,
    headers: dict[str, str] | None = None,
) -> openai.APIStatusError:
    response = httpx2.Response(status, headers=headers, request=_REQUEST, content=b"")
    return error_type(f"Error code: {status}", response=response, body=body)


def _map(error: Exception, secret: str | None = None) -> ModelError:
    mapped = map_openai_error(error, provider="openai", model="gpt-4o", secret=secret)
    assert mapped is not None
    return mapped


def _body(message: str, code: str | None = None, kind: str = "invalid_request_error"):
    return {"message": message, "type": kind, "param": None, "code": code}


@pytest.mark.parametrize(
    ("error_type", "status", "body", "ours"),
    [
        (openai.AuthenticationError, 401, _body("bad key", "invalid_api_key"), AuthenticationError),
        (openai.PermissionDeniedError, 403, _body("no access"), PermissionDeniedError),
        (
            openai.BadRequestError,
            400,
            _body("too long", "context_length_exceeded"),
            ContextLengthExceededError,
        ),
        (
            openai.BadRequestError,
            400,
            _body("blocked", "content_policy_violation"),
            ContentFilteredError,
        ),
        (openai.BadRequestError, 400, _body("filtered", "content_filter"), ContentFilteredError),
        (openai.BadRequestError, 400, _body("Unrecognized argument"), InvalidRequestError),
        (openai.NotFoundError, 404, _body("no such model", "model_not_found"), InvalidRequestError),
        (openai.UnprocessableEntityError, 422, _body("bad"), InvalidRequestError),
        (openai.InternalServerError, 500, _body("oops", None, "server_error"), TransientModelError),
        (openai.InternalServerError, 503, _body("overloaded"), TransientModelError),
        (openai.APIStatusError, 408, _body("timeout"), TransientModelError),
    ],
)
def test_status_errors_map_by_status_and_code(error_type, status, body, ours):
    mapped = _map(_status_error(error_type, status, body))
    assert type(mapped) is ours
    assert mapped.status_code == status
    assert mapped.message == body["message"]
    assert (mapped.provider, mapped.model) == ("openai", "gpt-4o")


@pytest.mark.parametrize(
    "message",
    [
        # vLLM
        "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens.",
        # llama.cpp server
        "the request exceeds the available context size, try increasing it",
    ],
)
def test_compatible_servers_context_errors_are_recognised_by_words(message):
    error = _status_error(openai.BadRequestError, 400, {"message": message, "type": "BadRequest"})
    assert isinstance(_map(error), ContextLengthExceededError)


def test_rate_limit_reads_retry_after_ms_first_then_seconds():
    body = _body("slow down", "rate_limit_exceeded", "requests")
    headers = {"retry-after-ms": "1500", "retry-after": "2"}
    mapped = _map(_status_error(openai.RateLimitError, 429, body, headers))
    assert isinstance(mapped, RateLimitedError)
    assert (mapped.retry_after, mapped.retryable) == (1.5, True)
    mapped = _map(_status_error(openai.RateLimitError, 429, body, {"retry-after": "7"}))
    assert isinstance(mapped, RateLimitedError)
    assert mapped.retry_after == 7.0
    mapped = _map(_status_error(openai.RateLimitError, 429, body))
    assert isinstance(mapped, RateLimitedError)
    assert mapped.retry_after is None


def test_an_exhausted_quota_is_not_retryable():
    body = _body("You exceeded your current quota", "insufficient_quota", "insufficient_quota")
    mapped = _map(_status_error(openai.RateLimitError, 429, body))
    assert isinstance(mapped, RateLimitedError)
    assert mapped.retryable is False


def test_retry_after_as_an_http_date():
    date = email.utils.formatdate(1_000_030.0, usegmt=True)
    assert retry_after_seconds({"retry-after": date}, now=1_000_000.0) == 30.0
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None


def test_timeouts_connections_and_stream_errors():
    assert isinstance(_map(openai.APITimeoutError(request=_REQUEST)), ModelTimeoutError)
    connection = _map(openai.APIConnectionError(request=_REQUEST))
    assert isinstance(connection, TransientModelError)
    assert "could not reach the server" in connection.message
    in_stream = openai.APIError(
        "overloaded", _REQUEST, body=_body("overloaded", None, "server_error")
    )
    assert isinstance(_map(in_stream), TransientModelError)
    too_long = openai.APIError("x", _REQUEST, body=_body("too long", "context_length_exceeded"))
    assert isinstance(_map(too_long), ContextLengthExceededError)
    assert map_openai_error(ValueError("not the SDK's"), provider="openai", model="m") is None


def test_an_echoed_key_is_masked_whatever_its_form():
    key = "local-key-0123456789"  # not "sk-..." shaped: only the adapter knows it is a key
    body = _body(f"Incorrect API key provided: {key}.", "invalid_api_key")
    mapped = _map(_status_error(openai.AuthenticationError, 401, body), secret=key)
    assert key not in str(mapped)
    assert key not in repr(mapped)
    assert "Incorrect API key provided: **********." in mapped.message


def test_a_plain_text_error_body_is_the_message():
    error = _status_error(openai.InternalServerError, 502, "upstream connect error")
    assert _map(error).message == "upstream connect error"
    assert msgspec.json.encode(_body("x"))  # bodies are plain JSON values

"""Pure mappings of the Ollama adapter: request bodies, answers, stream chunks, errors, config."""

import re

import httpx
import ollama
import pydantic
import pytest
from ollama import ChatResponse
from ollama import Message as OllamaMessage

from mxp_agents.adapters import (
    AuthenticationError,
    ContentFilteredError,
    ContextLengthExceededError,
    Finish,
    FinishReason,
    InvalidModelValue,
    InvalidRequestError,
    MalformedResponseError,
    ModelRequest,
    ModelTimeoutError,
    PermissionDeniedError,
    RateLimitedError,
    ResponseFormat,
    TextDelta,
    ToolCallDelta,
    ToolChoiceTool,
    TransientModelError,
    UsageUpdate,
)
from mxp_agents.adapters._ollama._errors import ErrorContext, map_error
from mxp_agents.adapters._ollama._request import chat_body, message_body, offered_tools
from mxp_agents.adapters._ollama._response import (
    StreamMapper,
    finish_reason,
    new_call_id,
    response_of,
)
from mxp_agents.adapters._retry_after import retry_after_seconds
from mxp_agents.adapters.ollama import DEFAULT_HOST, OllamaModel
from mxp_agents.config import Secret
from mxp_agents.primitives import Message, ToolCall, ToolDefinition, Usage

NESTED_SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "units": {"type": "object", "properties": {"temp": {"enum": ["C", "F"]}}},
        "where": {"$ref": "#/$defs/Place"},
    },
    "required": ["city"],
    "additionalProperties": False,
    "$defs": {"Place": {"type": "string", "minLength": 2}},
}
WEATHER = ToolDefinition("weather", "The weather in a city.", NESTED_SCHEMA)
CLOCK = ToolDefinition("clock", "The current time.")
CALL = ToolCall("call_1", "weather", {"city": "Zürich"})
WHERE = ErrorContext("ollama", "llama3.2", "http://127.0.0.1:11434", "olk-secret-123456")


def ask(*messages: Message, **options: object) -> ModelRequest:
    return ModelRequest(messages or (Message.user("Hi"),), **options)  # type: ignore[arg-type]


def chat(content: str = "", *, done: bool = False, reason: str | None = None, **extra: object):
    tool_calls = extra.pop("tool_calls", None)
    message = OllamaMessage(role="assistant", content=content, tool_calls=tool_calls)  # type: ignore[arg-type]
    return ChatResponse(message=message, done=done, done_reason=reason, **extra)  # type: ignore[arg-type]


def ollama_call(name: str, arguments: dict[str, object]) -> OllamaMessage.ToolCall:
    return OllamaMessage.ToolCall(
        function=OllamaMessage.ToolCall.Function(name=name, arguments=arguments)
    )


# -- requests -----------------------------------------------------------------------------------


def test_body_keeps_system_messages_in_place_and_maps_every_role() -> None:
    request = ask(
        Message.system("Be brief."),
        Message.user("Weather?", name="ada"),
        Message.assistant("Looking.", tool_calls=(CALL,)),
        Message.tool("sunny", tool_call_id="call_1"),
        Message.system("Answer in French."),
        tools=(WEATHER,),
    )
    body = chat_body(request, "llama3.2", stream=True)
    assert body["model"] == "llama3.2"
    assert body["stream"] is True
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather?"},
        {
            "role": "assistant",
            "content": "Looking.",
            "tool_calls": [
                {"id": "call_1", "function": {"name": "weather", "arguments": {"city": "Zürich"}}}
            ],
        },
        {"role": "tool", "content": "sunny", "tool_name": "weather", "tool_call_id": "call_1"},
        {"role": "system", "content": "Answer in French."},
    ]


def test_tool_message_prefers_its_own_name() -> None:
    message = Message.tool("12:00", tool_call_id="c9", name="clock")
    assert message_body(message, {"c9": "other"}).get("tool_name") == "clock"
    assert "tool_name" not in message_body(Message.tool("x", tool_call_id="c9"))


def test_tools_keep_their_whole_json_schema() -> None:
    tools = chat_body(ask(tools=(WEATHER, CLOCK)), "m", stream=False).get("tools", [])
    assert tools[0] == {
        "type": "function",
        "function": {
            "name": "weather",
            "description": "The weather in a city.",
            "parameters": NESTED_SCHEMA,
        },
    }
    assert [tool["function"]["name"] for tool in tools] == ["weather", "clock"]


@pytest.mark.parametrize(
    ("choice", "sent"),
    [
        ("auto", ["weather", "clock"]),
        ("required", ["weather", "clock"]),
        ("none", None),
        (ToolChoiceTool("clock"), ["clock"]),
    ],
)
def test_tool_choice_is_approximated_by_the_tools_sent(choice: object, sent: object) -> None:
    body = chat_body(ask(tools=(WEATHER, CLOCK), tool_choice=choice), "m", stream=False)
    tools = body.get("tools")
    names = None if tools is None else [tool["function"]["name"] for tool in tools]
    assert names == sent
    assert len(offered_tools((WEATHER, CLOCK), "none")) == 0


def test_options_format_and_keep_alive() -> None:
    request = ask(
        temperature=0.2,
        max_output_tokens=64,
        stop=("END", "STOP"),
        response_format=ResponseFormat("city", {"type": "object"}),
        metadata={"run": "1"},
    )
    body = chat_body(
        request,
        "m",
        stream=False,
        options={"num_ctx": 8192, "temperature": 1.0},
        keep_alive="5m",
        think="low",
    )
    assert body.get("options") == {
        "num_ctx": 8192,
        "temperature": 0.2,
        "num_predict": 64,
        "stop": ["END", "STOP"],
    }
    assert body.get("format") == {"type": "object"}
    assert body.get("keep_alive") == "5m"
    assert body.get("think") == "low"
    assert "metadata" not in body
    plain = chat_body(ask(), "m", stream=False)
    assert set(plain) == {"model", "messages", "stream"}


# -- answers ------------------------------------------------------------------------------------


def test_whole_answer_with_text_and_usage() -> None:
    answer = chat(
        "Paris.",
        done=True,
        reason="stop",
        model="llama3.2:latest",
        prompt_eval_count=26,
        eval_count=3,
    )
    response = response_of(answer, model="llama3.2", provider="ollama")
    assert response.text == "Paris."
    assert response.usage == Usage(input_tokens=26, output_tokens=3)
    assert response.finish_reason is FinishReason.STOP
    assert response.model == "llama3.2:latest"
    assert response.provider == "ollama"


def test_whole_answer_with_tool_calls_gets_fresh_ids() -> None:
    calls = [ollama_call("weather", {"city": "Tokyo"}), ollama_call("clock", {})]
    answer = chat(done=True, reason="stop", tool_calls=calls)
    ids = iter(["call_x", "call_y"])
    response = response_of(answer, model="m", provider="ollama", new_id=lambda: next(ids))
    assert response.tool_calls == (
        ToolCall("call_x", "weather", {"city": "Tokyo"}, '{"city":"Tokyo"}'),
        ToolCall("call_y", "clock", {}, "{}"),
    )
    assert response.finish_reason is FinishReason.TOOL_CALLS
    assert response.usage == Usage()
    assert response.model == "m"


def test_call_ids_are_random_and_unique() -> None:
    ids = {new_call_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"call_[0-9a-f]{16}", call_id) for call_id in ids)


@pytest.mark.parametrize(
    ("reason", "calls", "expected"),
    [
        ("stop", False, FinishReason.STOP),
        ("stop", True, FinishReason.TOOL_CALLS),
        (None, False, FinishReason.STOP),
        (None, True, FinishReason.TOOL_CALLS),
        ("length", False, FinishReason.LENGTH),
        ("length", True, FinishReason.LENGTH),
        ("unload", False, FinishReason.OTHER),
        ("load", False, FinishReason.OTHER),
    ],
)
def test_finish_reasons(reason: str | None, calls: bool, expected: FinishReason) -> None:
    assert finish_reason(reason, calls) is expected


def test_stream_mapper_turns_chunks_into_events() -> None:
    ids = iter(["call_a", "call_b"])
    mapper = StreamMapper(new_id=lambda: next(ids))
    events = [
        *mapper.events(chat("Let me ")),
        *mapper.events(chat("check.")),
        *mapper.events(chat(tool_calls=[ollama_call("weather", {"city": "Oslo"})])),
        *mapper.events(chat(tool_calls=[ollama_call("clock", {})])),
    ]
    assert not mapper.finished
    events += mapper.events(chat(done=True, reason="stop", prompt_eval_count=9, eval_count=4))
    assert mapper.finished
    assert events == [
        TextDelta("Let me "),
        TextDelta("check."),
        ToolCallDelta(0, "call_a", "weather", '{"city":"Oslo"}'),
        ToolCallDelta(1, "call_b", "clock", "{}"),
        UsageUpdate(Usage(input_tokens=9, output_tokens=4)),
        Finish(FinishReason.TOOL_CALLS),
    ]


def test_stream_mapper_ignores_thinking_and_empty_chunks() -> None:
    mapper = StreamMapper()
    thinking = ChatResponse(message=OllamaMessage(role="assistant", content="", thinking="hmm"))
    assert mapper.events(thinking) == []
    assert mapper.events(chat(done=True, reason="length"))[-1] == Finish(FinishReason.LENGTH)


# -- errors -------------------------------------------------------------------------------------


def response_error(message: str, status: int) -> ollama.ResponseError:
    return ollama.ResponseError(f'{{"error": "{message}"}}', status)


@pytest.mark.parametrize(
    ("status", "message", "kind", "retryable"),
    [
        (400, "the input length exceeds the context length", ContextLengthExceededError, False),
        (400, '\\"llama3.2\\" does not support tools', InvalidRequestError, False),
        (400, "blocked by the content filter", ContentFilteredError, False),
        (401, "unauthorized", AuthenticationError, False),
        (403, "forbidden", PermissionDeniedError, False),
        (404, 'model \\"llama3.2\\" not found, try pulling it first', InvalidRequestError, False),
        (422, "unprocessable", InvalidRequestError, False),
        (429, "too many requests", RateLimitedError, True),
        (500, "llama runner process has terminated", TransientModelError, True),
        (502, "bad gateway", TransientModelError, True),
        (503, "server busy, please try again.", TransientModelError, True),
    ],
)
def test_status_errors(status: int, message: str, kind: type, retryable: bool) -> None:
    error = map_error(response_error(message, status), WHERE)
    assert type(error) is kind
    assert error is not None
    assert error.retryable is retryable
    assert error.status_code == status
    assert error.provider == "ollama"
    assert error.model == "llama3.2"


def test_not_found_says_how_to_pull_the_model() -> None:
    error = map_error(response_error('model \\"llama3.2\\" not found', 404), WHERE)
    assert error is not None
    assert "`ollama pull llama3.2`" in str(error)
    assert "http://127.0.0.1:11434" in str(error)
    other = map_error(ollama.ResponseError("<html>" + "x" * 2000, 404), WHERE)
    assert other is not None
    assert "is http://127.0.0.1:11434 an Ollama server?" in str(other)
    assert len(str(other)) < 700


def test_error_line_inside_a_stream_is_transient() -> None:
    error = map_error(
        ollama.ResponseError("an error was encountered while running the model"), WHERE
    )
    assert isinstance(error, TransientModelError)
    assert error.status_code is None
    assert "broke off" in str(error)
    late = map_error(ollama.ResponseError("input exceeds maximum context length"), WHERE)
    assert isinstance(late, ContextLengthExceededError)


def test_the_api_key_is_masked_in_error_messages() -> None:
    error = map_error(response_error("invalid API key olk-secret-123456", 401), WHERE)
    assert error is not None
    assert "olk-secret-123456" not in str(error)
    assert "**********" in str(error)


def test_rate_limit_reads_retry_after_from_the_http_error() -> None:
    request = httpx.Request("POST", "http://127.0.0.1:11434/api/chat")
    response = httpx.Response(429, headers={"retry-after": "3"}, request=request)
    raised = _sdk_status_error(response)
    assert isinstance(raised.__context__, httpx.HTTPStatusError)
    error = map_error(raised, WHERE)
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 3.0


def test_retry_after_forms() -> None:
    assert retry_after_seconds({"retry-after": "2"}) == 2.0
    assert retry_after_seconds({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert (
        retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:10 GMT"}, now=1445412480.0)
        == 10.0
    )
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({"retry-after": "-1"}) is None
    assert retry_after_seconds({}) is None


def test_connection_failures() -> None:
    request = httpx.Request("POST", "http://127.0.0.1:11434/api/chat")
    refused = httpx.ConnectError("[Errno 111] Connection refused", request=request)
    for raised in (refused, _sdk_connection_error(refused)):
        error = map_error(raised, WHERE)
        assert isinstance(error, TransientModelError)
        assert "Ollama is not reachable at http://127.0.0.1:11434" in str(error)
        assert "ollama serve" in str(error)
        assert "Connection refused" in str(error)
    dropped = map_error(httpx.RemoteProtocolError("peer closed connection"), WHERE)
    assert isinstance(dropped, TransientModelError)
    assert isinstance(map_error(httpx.UnsupportedProtocol("ftp"), WHERE), InvalidRequestError)


def _sdk_status_error(response: httpx.Response) -> ollama.ResponseError:
    # What ollama.AsyncClient._request_raw raises: ResponseError(...) from None.
    try:
        try:
            response.raise_for_status()
        except httpx.HTTPStatusError:
            raise ollama.ResponseError(response.text, response.status_code) from None
    except ollama.ResponseError as error:
        return error
    raise AssertionError("no error raised")


def _sdk_connection_error(cause: Exception) -> ConnectionError:
    # What ollama.AsyncClient._request_raw raises: ConnectionError(...) from None.
    try:
        try:
            raise cause
        except httpx.ConnectError:
            raise ConnectionError("Failed to connect to Ollama.") from None
    except ConnectionError as error:
        return error


def test_timeouts_and_malformed_answers() -> None:
    read = map_error(httpx.ReadTimeout("timed out"), WHERE)
    assert isinstance(read, ModelTimeoutError)
    assert "did not answer in time" in str(read)
    connect = map_error(httpx.ConnectTimeout("timed out"), WHERE)
    assert isinstance(connect, ModelTimeoutError)
    assert "connecting to Ollama" in str(connect)
    with pytest.raises(pydantic.ValidationError) as invalid:
        ChatResponse.model_validate({"message": "not a message"})
    assert isinstance(map_error(invalid.value, WHERE), MalformedResponseError)
    assert map_error(KeyError("x"), WHERE) is None
    assert map_error(ValueError("ours"), WHERE) is None


# -- configuration ------------------------------------------------------------------------------


def test_host_defaults_to_env_then_local(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    assert OllamaModel().host == DEFAULT_HOST
    monkeypatch.setenv("OLLAMA_HOST", "gpu-box:11500")
    assert OllamaModel().host == "http://gpu-box:11500"
    assert OllamaModel(host="https://ollama.com").host == "https://ollama.com"


def test_key_never_in_repr_and_bad_settings_are_refused() -> None:
    model = OllamaModel("qwen3", api_key=Secret("olk-secret-123456"))
    assert "olk-secret" not in repr(model)
    assert repr(model).startswith("OllamaModel(model='qwen3'")
    assert model.provider == "ollama"
    assert model.model_name == "qwen3"
    with pytest.raises(InvalidModelValue, match=r"\$\.options"):
        OllamaModel(options=["num_ctx"])  # type: ignore[arg-type]
    with pytest.raises(InvalidModelValue, match=r"\$\.keep_alive"):
        OllamaModel(keep_alive=True)
    with pytest.raises(InvalidModelValue, match=r"\$\.think"):
        OllamaModel(think="extreme")  # type: ignore[arg-type]
    with pytest.raises(InvalidModelValue, match=r"\$\.api_key"):
        OllamaModel(api_key=123)  # type: ignore[arg-type]
    with pytest.raises(InvalidModelValue, match=r"\$\.client"):
        OllamaModel(client=ollama.AsyncClient(), host="http://x:1")
    with pytest.raises(InvalidModelValue, match=r"\$\.host"):
        OllamaModel(host="  ")
    with pytest.raises(InvalidModelValue, match=r"\$\.model"):
        OllamaModel("")


def test_a_given_client_is_used_as_is() -> None:
    client = ollama.AsyncClient("http://10.0.0.5:11434")
    model = OllamaModel("llama3.2", client=client)
    assert model.host == "http://10.0.0.5:11434"

"""Unit tests of the Gemini adapter's mapping: requests to SDK types, SDK responses and stream
chunks to our responses and events, SDK and httpx errors to the ModelError hierarchy."""

from __future__ import annotations

import json
import traceback
from typing import Any

import httpx
import pytest
from google.genai import errors as genai_errors
from google.genai import types

from mxp_agents.adapters import (
    AuthenticationError,
    ContentFilteredError,
    ContextLengthExceededError,
    Finish,
    FinishReason,
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
from mxp_agents.adapters._gemini._errors import map_error
from mxp_agents.adapters._gemini._request import SKIP_SIGNATURE, to_config, to_contents
from mxp_agents.adapters._gemini._response import (
    Label,
    StreamMapper,
    finish_reason,
    to_response,
    usage_of,
)
from mxp_agents.adapters.gemini import GeminiModel
from mxp_agents.config import Secret
from mxp_agents.primitives import Message, ToolCall, ToolDefinition, Usage

KEY = "AIzaSyUnit-test-key-0123456789abcdefghij"
LABEL = Label("gemini", "gemini-2.5-flash")
WEATHER = ToolDefinition(
    name="weather",
    description="The weather in a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}},
)
CLOCK = ToolDefinition(name="clock")


def _ignore(call_id: str, signature: bytes) -> None:
    pass


def _response(*parts: types.Part, finish: str | None = "STOP", **fields: Any) -> Any:
    candidate = types.Candidate(
        content=types.Content(role="model", parts=list(parts)),
        finish_reason=None if finish is None else types.FinishReason(finish),
    )
    return types.GenerateContentResponse(candidates=[candidate], **fields)


def _call_part(name: str, args: dict[str, Any], **fields: Any) -> types.Part:
    call = types.FunctionCall(name=name, args=args, id=fields.pop("id", None))
    return types.Part(function_call=call, **fields)


# -- requests ---------------------------------------------------------------------------------


def test_system_messages_are_all_kept_as_the_system_instruction() -> None:
    request = ModelRequest(
        (
            Message.system("Be brief."),
            Message.user("Hi"),
            Message.assistant("Hello."),
            Message.system("Answer in French."),
            Message.user("Bye"),
        )
    )
    system, contents = to_contents(request.messages, {})
    assert [part.text for part in system] == ["Be brief.", "Answer in French."]
    assert [(c.role, c.parts[0].text) for c in contents if c.parts] == [
        ("user", "Hi"),
        ("model", "Hello."),
        ("user", "Bye"),
    ]
    config = to_config(request, system)
    assert config.system_instruction is not None
    assert config.automatic_function_calling is not None
    assert config.automatic_function_calling.disable is True
    assert config.automatic_continuation is False


def test_tool_calls_and_results_become_function_parts() -> None:
    first = ToolCall("c1", "weather", {"city": "Bern"})
    second = ToolCall("c2", "clock", {})
    request = ModelRequest(
        (
            Message.user("Weather and time?"),
            Message.assistant("Looking.", tool_calls=(first, second)),
            Message.tool("sunny", tool_call_id="c1"),
            Message.tool('{"time": "noon"}', tool_call_id="c2", name="clock"),
            Message.user("Thanks"),
        ),
        tools=(WEATHER, CLOCK),
    )
    _, contents = to_contents(request.messages, {"c1": b"signed"})
    assert [c.role for c in contents] == ["user", "model", "user", "user"]
    model_parts = contents[1].parts or []
    assert model_parts[0].text == "Looking."
    calls = [p.function_call for p in model_parts[1:]]
    assert [(c.id, c.name, c.args) for c in calls if c] == [
        ("c1", "weather", {"city": "Bern"}),
        ("c2", "clock", {}),
    ]
    assert [p.thought_signature for p in model_parts[1:]] == [b"signed", None]
    results = [p.function_response for p in contents[2].parts or []]
    assert [(r.id, r.name, r.response) for r in results if r] == [
        ("c1", "weather", {"result": "sunny"}),  # the name comes from the call
        ("c2", "clock", {"time": "noon"}),  # a JSON object is sent as itself
    ]


def test_a_call_without_a_known_signature_gets_the_documented_placeholder() -> None:
    calls = (ToolCall("x1", "clock", {}), ToolCall("x2", "clock", {}))
    _, contents = to_contents((Message.user("t?"), Message.assistant(tool_calls=calls)), {})
    parts = contents[1].parts or []
    assert [p.thought_signature for p in parts] == [SKIP_SIGNATURE, None]
    assert types.Part(thought_signature=SKIP_SIGNATURE).model_dump(mode="json")[
        "thought_signature"
    ] == ("skip_thought_signature_validator")


def test_empty_messages_are_left_out_but_empty_tool_results_are_sent() -> None:
    request = ModelRequest(
        (
            Message.user(""),
            Message.user("Time?"),
            Message.assistant(tool_calls=(ToolCall("c", "clock"),)),
            Message.tool("", tool_call_id="c"),
            Message.assistant(""),
        )
    )
    _, contents = to_contents(request.messages, {})
    assert [(c.role, len(c.parts or [])) for c in contents] == [
        ("user", 1),
        ("model", 1),  # no empty text part before the call
        ("user", 1),
    ]
    result = (contents[2].parts or [])[0].function_response
    assert result is not None
    assert result.response == {"result": ""}


def test_tool_output_that_is_not_a_json_object_goes_under_result() -> None:
    for content in ("[1, 2]", "{not json", "  ", "42"):
        request = ModelRequest(
            (
                Message.user("?"),
                Message.assistant(tool_calls=(ToolCall("c", "clock"),)),
                Message.tool(content, tool_call_id="c"),
            )
        )
        _, contents = to_contents(request.messages, {})
        result = (contents[-1].parts or [])[0].function_response
        assert result is not None
        assert result.response == {"result": content}


def test_tools_and_options_map_onto_the_generation_config() -> None:
    request = ModelRequest(
        (Message.user("Hi"),),
        tools=(WEATHER, CLOCK),
        tool_choice=ToolChoiceTool("clock"),
        temperature=0.4,
        max_output_tokens=99,
        stop=("END", "STOP"),
        response_format=ResponseFormat("city", {"type": "object"}),
    )
    config = to_config(request, [])
    assert config.tools is not None
    tool = config.tools[0]
    assert isinstance(tool, types.Tool)
    declarations = tool.function_declarations or []
    assert [(d.name, d.description) for d in declarations] == [
        ("weather", "The weather in a city."),
        ("clock", None),
    ]
    assert declarations[0].parameters_json_schema == WEATHER.parameters
    assert config.tool_config is not None
    calling = config.tool_config.function_calling_config
    assert calling is not None
    assert calling.mode == types.FunctionCallingConfigMode.ANY
    assert calling.allowed_function_names == ["clock"]
    assert (config.temperature, config.max_output_tokens) == (0.4, 99)
    assert config.stop_sequences == ["END", "STOP"]
    assert config.response_mime_type == "application/json"
    assert config.response_json_schema == {"type": "object"}
    assert config.system_instruction is None


@pytest.mark.parametrize(
    ("choice", "mode"),
    [
        ("auto", None),
        ("none", types.FunctionCallingConfigMode.NONE),
        ("required", types.FunctionCallingConfigMode.ANY),
    ],
)
def test_tool_choice_modes(choice: Any, mode: types.FunctionCallingConfigMode | None) -> None:
    config = to_config(ModelRequest((Message.user("Hi"),), tools=(CLOCK,), tool_choice=choice), [])
    calling = None if config.tool_config is None else config.tool_config.function_calling_config
    assert (None if calling is None else calling.mode) == mode
    if calling is not None:
        assert calling.allowed_function_names is None


# -- responses --------------------------------------------------------------------------------


def test_a_whole_response_keeps_text_and_drops_thoughts() -> None:
    meta = types.GenerateContentResponseUsageMetadata(
        prompt_token_count=30,
        cached_content_token_count=10,
        candidates_token_count=5,
        thoughts_token_count=12,
        total_token_count=47,
    )
    response = _response(
        types.Part(text="thinking about it", thought=True),
        types.Part(text="Hel"),
        types.Part(text="lo."),
        usage_metadata=meta,
        model_version="gemini-2.5-flash-002",
    )
    result = to_response(response, LABEL, _ignore)
    assert result.text == "Hello."
    assert result.usage == Usage(
        input_tokens=30, output_tokens=17, cached_input_tokens=10, reasoning_tokens=12
    )
    assert (result.model, result.provider) == ("gemini-2.5-flash-002", "gemini")
    assert result.finish_reason is FinishReason.STOP


def test_function_calls_get_unique_ids_and_their_signatures_are_remembered() -> None:
    remembered: dict[str, bytes] = {}
    response = _response(
        _call_part("weather", {"city": "Bern"}, thought_signature=b"sig"),
        _call_part("clock", {}),
        response_id="resp-1",
    )
    result = to_response(response, LABEL, remembered.__setitem__)
    assert [(c.id, c.name, c.arguments) for c in result.tool_calls] == [
        ("call_resp-1_0", "weather", {"city": "Bern"}),
        ("call_resp-1_1", "clock", {}),
    ]
    assert result.tool_calls[0].raw_arguments == '{"city":"Bern"}'
    assert result.finish_reason is FinishReason.TOOL_CALLS
    assert remembered == {"call_resp-1_0": b"sig"}
    # Without a response id the ids are random, so two answers never share one.
    anonymous = _response(_call_part("clock", {}))
    ids = {to_response(anonymous, LABEL, _ignore).tool_calls[0].id for _ in range(5)}
    assert len(ids) == 5


def test_provider_ids_are_kept() -> None:
    response = _response(_call_part("clock", {}, id="fc-7"))
    assert to_response(response, LABEL, _ignore).tool_calls[0].id == "fc-7"


def test_a_function_call_without_name_is_malformed() -> None:
    with pytest.raises(MalformedResponseError, match="function call 0 has no name"):
        to_response(_response(_call_part("", {})), LABEL, _ignore)


@pytest.mark.parametrize(
    ("reason", "calls", "expected"),
    [
        ("STOP", False, FinishReason.STOP),
        ("STOP", True, FinishReason.TOOL_CALLS),
        (None, True, FinishReason.TOOL_CALLS),
        ("MAX_TOKENS", True, FinishReason.LENGTH),
        ("SAFETY", False, FinishReason.CONTENT_FILTER),
        ("RECITATION", False, FinishReason.CONTENT_FILTER),
        ("BLOCKLIST", False, FinishReason.CONTENT_FILTER),
        ("PROHIBITED_CONTENT", False, FinishReason.CONTENT_FILTER),
        ("SPII", False, FinishReason.CONTENT_FILTER),
        ("MALFORMED_FUNCTION_CALL", False, FinishReason.OTHER),
        ("OTHER", False, FinishReason.OTHER),
    ],
)
def test_finish_reasons(reason: str | None, calls: bool, expected: FinishReason) -> None:
    gemini = None if reason is None else types.FinishReason(reason)
    assert finish_reason(gemini, calls) is expected


def test_usage_counts_tool_use_prompts_as_input() -> None:
    meta = types.GenerateContentResponseUsageMetadata(
        prompt_token_count=8, tool_use_prompt_token_count=4, candidates_token_count=2
    )
    assert usage_of(meta) == Usage(input_tokens=12, output_tokens=2)
    assert usage_of(None) == Usage()


def test_a_blocked_prompt_is_a_content_filter_error() -> None:
    feedback = types.GenerateContentResponsePromptFeedback(
        block_reason=types.BlockedReason.PROHIBITED_CONTENT, block_reason_message="not allowed"
    )
    blocked = types.GenerateContentResponse(prompt_feedback=feedback)
    with pytest.raises(ContentFilteredError, match=r"PROHIBITED_CONTENT.*not allowed") as caught:
        to_response(blocked, LABEL, _ignore)
    assert caught.value.provider == "gemini"
    with pytest.raises(ContentFilteredError):
        StreamMapper(LABEL, _ignore).events(blocked)


def test_stream_chunks_become_deltas_then_usage_and_finish() -> None:
    mapper = StreamMapper(LABEL, _ignore)
    early = types.GenerateContentResponseUsageMetadata(prompt_token_count=9)
    late = types.GenerateContentResponseUsageMetadata(
        prompt_token_count=9, candidates_token_count=4
    )
    chunks = [
        _response(types.Part(text="Hi "), finish=None, usage_metadata=early, response_id="r"),
        _response(types.Part(text="", thought=True), types.Part(text="there"), finish=None),
        _response(
            _call_part("weather", {"city": "Bern"}),
            _call_part("clock", {}),
            finish="STOP",
            usage_metadata=late,
            response_id="r",
        ),
    ]
    events = [event for chunk in chunks for event in mapper.events(chunk)]
    events += mapper.finish()
    assert events == [
        TextDelta("Hi "),
        TextDelta("there"),
        ToolCallDelta(0, "call_r_0", "weather", '{"city":"Bern"}'),
        ToolCallDelta(1, "call_r_1", "clock", "{}"),
        UsageUpdate(Usage(input_tokens=9, output_tokens=4)),
        Finish(FinishReason.TOOL_CALLS),
    ]


# -- errors -----------------------------------------------------------------------------------


def _api_error(code: int, status: str, message: str, *details: dict[str, Any]) -> Exception:
    body: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        body["details"] = list(details)
    kind = genai_errors.ClientError if code < 500 else genai_errors.ServerError
    return kind(code, {"error": body}, None)


def _map(error: Exception) -> Any:
    return map_error(error, provider="gemini", model="gemini-2.5-flash", key=KEY)


KEY_INVALID = {
    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
    "reason": "API_KEY_INVALID",
    "domain": "googleapis.com",
}


_TOO_LONG = (
    "The input token count (1300000) exceeds the maximum number of tokens allowed (1048576)."
)
_EXPIRED = {**KEY_INVALID, "reason": "API_KEY_EXPIRED"}
_CASES: list[tuple[Exception, type, bool]] = [
    (_api_error(400, "INVALID_ARGUMENT", "Bad key.", KEY_INVALID), AuthenticationError, False),
    (_api_error(401, "UNAUTHENTICATED", "Invalid credentials."), AuthenticationError, False),
    (_api_error(403, "PERMISSION_DENIED", "Expired.", _EXPIRED), AuthenticationError, False),
    (_api_error(403, "PERMISSION_DENIED", "No permission"), PermissionDeniedError, False),
    (_api_error(400, "INVALID_ARGUMENT", _TOO_LONG), ContextLengthExceededError, False),
    (_api_error(400, "INVALID_ARGUMENT", "Unknown name 'x'"), InvalidRequestError, False),
    (_api_error(404, "NOT_FOUND", "models/nope is not found"), InvalidRequestError, False),
    (_api_error(500, "INTERNAL", "An internal error has occurred."), TransientModelError, True),
    (_api_error(503, "UNAVAILABLE", "The model is overloaded."), TransientModelError, True),
    (_api_error(504, "DEADLINE_EXCEEDED", "Deadline expired."), ModelTimeoutError, True),
    (httpx.ReadTimeout("timed out"), ModelTimeoutError, True),
    (httpx.ConnectError("connection refused"), TransientModelError, True),
    (httpx.RemoteProtocolError("peer closed connection"), TransientModelError, True),
    (genai_errors.UnknownApiResponseError("Failed to parse"), MalformedResponseError, True),
    (json.JSONDecodeError("Expecting value", "<html>", 0), MalformedResponseError, True),
]  # fmt: skip


@pytest.mark.parametrize(("error", "expected", "retryable"), _CASES)
def test_errors_map_by_status_and_reason(error: Exception, expected: type, retryable: bool) -> None:
    mapped = _map(error)
    assert type(mapped) is expected
    assert mapped.retryable is retryable
    assert (mapped.provider, mapped.model) == ("gemini", "gemini-2.5-flash")


def test_rate_limits_read_the_retry_info_delay() -> None:
    retry_info = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1.5s"}
    mapped = _map(_api_error(429, "RESOURCE_EXHAUSTED", "quota", {"@type": "x.Help"}, retry_info))
    assert isinstance(mapped, RateLimitedError)
    assert (mapped.retry_after, mapped.status_code) == (1.5, 429)
    assert _map(_api_error(429, "RESOURCE_EXHAUSTED", "quota")).retry_after is None


def test_rate_limits_fall_back_to_a_retry_after_header() -> None:
    response = httpx.Response(429, headers={"retry-after": "7"})
    error = genai_errors.ClientError(429, {"error": {"code": 429}}, response)
    assert _map(error).retry_after == 7.0


def test_unrelated_exceptions_are_not_mapped() -> None:
    assert _map(ValueError("boom")) is None


def test_the_key_is_masked_in_the_error_and_in_the_sdk_error_it_chains() -> None:
    error = _api_error(400, "INVALID_ARGUMENT", f"bad key {KEY}; key={KEY}", KEY_INVALID)
    assert KEY in str(error)  # the SDK's own error echoes the body
    mapped = _map(error)
    try:
        raise mapped from error  # as ProviderModel raises it
    except AuthenticationError as raised:
        rendered = "".join(traceback.format_exception(raised))
    for text in (str(mapped), repr(mapped), mapped.message, rendered, str(error), repr(error)):
        assert KEY not in text
    assert "**********" in str(error)
    assert isinstance(error, genai_errors.ClientError)
    assert (error.code, error.status) == (400, "INVALID_ARGUMENT")


# -- construction -----------------------------------------------------------------------------


def test_the_key_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    with pytest.raises(AuthenticationError, match="GEMINI_API_KEY") as caught:
        GeminiModel()
    assert caught.value.provider == "gemini"
    monkeypatch.setenv("GOOGLE_API_KEY", "AIza-google-key-0000000000000000")
    assert GeminiModel()._key.reveal() == "AIza-google-key-0000000000000000"
    monkeypatch.setenv("GEMINI_API_KEY", "AIza-gemini-key-0000000000000000")
    model = GeminiModel()
    assert model._key.reveal() == "AIza-gemini-key-0000000000000000"
    assert "AIza" not in repr(model)
    assert isinstance(GeminiModel(api_key=Secret(KEY))._key, Secret)
    with pytest.raises(AuthenticationError):
        GeminiModel(api_key="  ")

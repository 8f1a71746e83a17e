import msgspec
import pytest

from mxp_agents.adapters import (
    InvalidModelValue,
    ModelRequest,
    ResponseFormat,
    ToolChoiceTool,
)
from mxp_agents.primitives import (
    InvalidValue,
    Message,
    MxpAgentsError,
    ToolCall,
    ToolDefinition,
    from_json,
    to_json,
)

USER = Message.user("hi")
SEARCH = ToolDefinition(name="search", description="Search the web.")
CLOCK = ToolDefinition(name="clock")


def call(id: str = "call_1", name: str = "search") -> ToolCall:
    return ToolCall(id, name, {"q": "mxp"})


def test_minimal_request_has_defaults():
    request = ModelRequest((USER,))
    assert request.messages == (USER,)
    assert request.tools == ()
    assert request.tool_choice == "auto"
    assert request.temperature is None
    assert request.max_output_tokens is None
    assert request.stop == ()
    assert request.response_format is None
    assert request.metadata == {}


def test_lists_become_tuples_and_int_temperature_a_float():
    request = ModelRequest(
        [USER],  # type: ignore[arg-type]
        tools=[SEARCH],  # type: ignore[arg-type]
        stop=["\n\n"],  # type: ignore[arg-type]
        temperature=1,
    )
    assert request.messages == (USER,)
    assert request.tools == (SEARCH,)
    assert request.stop == ("\n\n",)
    assert request.temperature == 1.0
    assert type(request.temperature) is float


def test_full_conversation_with_tool_round_trip_is_valid():
    first, second = call("c1"), call("c2", "clock")
    request = ModelRequest(
        (
            Message.system("Be brief."),
            USER,
            Message.assistant(tool_calls=[first, second]),
            Message.tool("3 hits", tool_call_id="c1", name="search"),
            Message.tool("noon", tool_call_id="c2", name="clock"),
            Message.assistant("Found 3 hits at noon."),
            Message.user("thanks"),
        ),
        tools=(SEARCH, CLOCK),
        tool_choice=ToolChoiceTool("clock"),
        temperature=0.0,
        max_output_tokens=100,
        stop=("END",),
        response_format=ResponseFormat("answer", {"type": "object"}),
        metadata={"user": "ada"},
    )
    assert from_json(to_json(request), ModelRequest) == request


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: ModelRequest(()), "a request needs at least one message - at $.messages"),
        (
            lambda: ModelRequest("hi"),  # type: ignore[arg-type]
            "expected array, got str - at $.messages",
        ),
        (
            lambda: ModelRequest((USER, "hello")),  # type: ignore[arg-type]
            "expected Message, got str - at $.messages[1]",
        ),
        (
            lambda: ModelRequest((USER, Message.tool("x", tool_call_id="c9"))),
            "tool message answers tool call 'c9', but no earlier assistant message asked for it"
            " - at $.messages[1].tool_call_id",
        ),
        (
            lambda: ModelRequest(
                (
                    USER,
                    Message.assistant(tool_calls=[call("c1")]),
                    Message.tool("a", tool_call_id="c1"),
                    Message.tool("b", tool_call_id="c1"),
                )
            ),
            "tool call 'c1' is answered twice - at $.messages[3].tool_call_id",
        ),
        (
            lambda: ModelRequest(
                (
                    USER,
                    Message.assistant(tool_calls=[call("c1")]),
                    Message.tool("a", tool_call_id="c1"),
                    Message.assistant(tool_calls=[call("c1")]),
                )
            ),
            "tool call id 'c1' was already used in $.messages[1]"
            " - at $.messages[3].tool_calls[0].id",
        ),
        (
            lambda: ModelRequest((USER,), tools=(SEARCH, CLOCK, SEARCH)),
            "tool name 'search' is offered twice (also $.tools[0]) - at $.tools[2].name",
        ),
        (
            lambda: ModelRequest((USER,), tools=({"name": "x"},)),  # type: ignore[arg-type]
            "expected ToolDefinition, got object - at $.tools[0]",
        ),
        (
            lambda: ModelRequest((USER,), tools=(SEARCH,), tool_choice=ToolChoiceTool("clock")),
            "tool_choice names tool 'clock', which is not offered (tools: search)"
            " - at $.tool_choice.name",
        ),
        (
            lambda: ModelRequest((USER,), tool_choice="required"),
            "tool_choice 'required' needs at least one tool - at $.tool_choice",
        ),
        (
            lambda: ModelRequest((USER,), tool_choice="always"),  # type: ignore[arg-type]
            "unknown tool_choice 'always'; use 'auto', 'none', 'required' or ToolChoiceTool"
            " - at $.tool_choice",
        ),
        (
            lambda: ModelRequest((USER,), temperature=2.5),
            "temperature must be between 0 and 2, got 2.5 - at $.temperature",
        ),
        (
            lambda: ModelRequest((USER,), temperature=-0.1),
            "temperature must be between 0 and 2, got -0.1 - at $.temperature",
        ),
        (
            lambda: ModelRequest((USER,), temperature=float("nan")),
            "expected a finite number, got nan - at $.temperature",
        ),
        (
            lambda: ModelRequest((USER,), temperature=True),
            "expected float, got bool - at $.temperature",
        ),
        (
            lambda: ModelRequest((USER,), max_output_tokens=0),
            "max_output_tokens must be > 0, got 0 - at $.max_output_tokens",
        ),
        (
            lambda: ModelRequest((USER,), max_output_tokens=1.5),  # type: ignore[arg-type]
            "expected int, got float - at $.max_output_tokens",
        ),
        (
            lambda: ModelRequest((USER,), stop=("ok", "")),
            "a stop sequence cannot be empty - at $.stop[1]",
        ),
        (
            lambda: ModelRequest((USER,), stop="END"),  # type: ignore[arg-type]
            "expected array, got str - at $.stop",
        ),
        (
            lambda: ModelRequest((USER,), response_format={"type": "object"}),  # type: ignore[arg-type]
            "expected ResponseFormat, got object - at $.response_format",
        ),
        (
            lambda: ModelRequest((USER,), metadata={"user": 7}),  # type: ignore[dict-item]
            "expected str, got int - at $.metadata.user",
        ),
        (
            lambda: ModelRequest((USER,), metadata=[]),  # type: ignore[arg-type]
            "expected object, got array - at $.metadata",
        ),
    ],
)
def test_invalid_requests_name_the_rule_and_the_path(build, message):
    with pytest.raises(InvalidModelValue) as caught:
        build()
    assert str(caught.value) == message
    assert isinstance(caught.value, InvalidValue)
    assert isinstance(caught.value, MxpAgentsError)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"messages": []}', "a request needs at least one message - at $.messages"),
        (
            b'{"messages": [{"role": "user", "content": "hi"}], "temperature": 3}',
            "temperature must be between 0 and 2, got 3 - at $.temperature",
        ),
        (
            b'{"messages": [{"role": "user", "content": "hi"}], "tool_choice": {"name": "x"}}',
            "tool_choice names tool 'x', which is not offered (tools: none)"
            " - at $.tool_choice.name",
        ),
        (
            b'{"messages": [{"role": "user", "content": 5}]}',
            "expected str, got int - at $.messages[0].content",
        ),
        (
            b'{"messages": [{"role": "user", "content": "hi"}], '
            b'"response_format": {"name": "bad name", "schema": {}}}',
            "response format name must be 1-64 characters of [A-Za-z0-9_-], got 'bad name'"
            " - at $.response_format.name",
        ),
    ],
)
def test_decoding_reports_errors_at_their_full_path(data, message):
    with pytest.raises(InvalidValue) as caught:
        from_json(data, ModelRequest)
    assert str(caught.value) == message


def test_tool_choice_decodes_as_literal_or_tool():
    base = b'{"messages": [{"role": "user", "content": "hi"}], "tools": [{"name": "search"}], '
    assert from_json(base + b'"tool_choice": "none"}', ModelRequest).tool_choice == "none"
    named = from_json(base + b'"tool_choice": {"name": "search"}}', ModelRequest)
    assert named.tool_choice == ToolChoiceTool("search")


def test_json_form_leaves_out_defaults():
    assert to_json(ModelRequest((USER,))) == b'{"messages":[{"role":"user","content":"hi"}]}'


def test_response_format_for_a_msgspec_type():
    class City(msgspec.Struct):
        name: str
        population: int

    response_format = ResponseFormat.for_type(City)
    assert response_format.name == "City"
    assert response_format.strict is True
    assert response_format.schema["$ref"] == "#/$defs/City"
    named = ResponseFormat.for_type(list[int], name="numbers", strict=False)
    assert (named.name, named.strict) == ("numbers", False)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: ResponseFormat("", {}),
            "response format name must be 1-64 characters of [A-Za-z0-9_-], got '' - at $.name",
        ),
        (
            lambda: ResponseFormat("x", []),  # type: ignore[arg-type]
            "the schema must be a JSON Schema object, got array - at $.schema",
        ),
        (
            lambda: ResponseFormat("x", {}, strict="yes"),  # type: ignore[arg-type]
            "expected bool, got str - at $.strict",
        ),
        (lambda: ToolChoiceTool(" "), "cannot be empty - at $.name"),
    ],
)
def test_invalid_parts(build, message):
    with pytest.raises(InvalidModelValue) as caught:
        build()
    assert str(caught.value) == message


def test_requests_are_frozen():
    request = ModelRequest((USER,))
    with pytest.raises(AttributeError):
        request.temperature = 1.0  # type: ignore[misc]

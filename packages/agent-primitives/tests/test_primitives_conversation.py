import msgspec
import pytest

from mxp_agents.primitives import (
    DecodeError,
    InvalidMessage,
    Message,
    Role,
    ToolCall,
    ToolResult,
    Usage,
    from_json,
    to_json,
)
from mxp_agents.primitives.testing import assert_json_round_trip, make_tool_call


def test_roles_are_strings():
    assert [role.value for role in Role] == ["system", "user", "assistant", "tool"]
    assert Role.USER == "user"


def test_constructors_build_consistent_messages():
    call = make_tool_call("clock")
    assert Message.system("be brief").role is Role.SYSTEM
    assert Message.user("hi", name="ada") == Message(Role.USER, "hi", "ada")
    assistant = Message.assistant(tool_calls=[call])
    assert assistant.tool_calls == (call,)
    assert assistant.content == ""
    tool = Message.tool("12:00", tool_call_id=call.id, name="clock")
    assert (tool.role, tool.tool_call_id, tool.name) == (Role.TOOL, "call_1", "clock")


def test_role_given_as_text_is_normalised():
    assert Message("user", "hi").role is Role.USER  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: Message(Role.TOOL, "42"),
            "a tool message needs a tool_call_id naming the call it answers - at $.tool_call_id",
        ),
        (
            lambda: Message(Role.TOOL, "42", tool_call_id=" "),
            "tool_call_id cannot be empty - at $.tool_call_id",
        ),
        (
            lambda: Message(Role.USER, "hi", tool_call_id="c1"),
            "only tool messages carry a tool_call_id, got a user message - at $.tool_call_id",
        ),
        (
            lambda: Message(Role.USER, "hi", tool_calls=(make_tool_call(),)),
            "only assistant messages carry tool_calls, got a user message - at $.tool_calls",
        ),
        (
            lambda: Message(Role.TOOL, "x", tool_calls=(make_tool_call(),), tool_call_id="c"),
            "only assistant messages carry tool_calls, got a tool message - at $.tool_calls",
        ),
        (
            lambda: Message.assistant(tool_calls=[make_tool_call(id="a"), make_tool_call(id="a")]),
            "tool call id 'a' appears more than once - at $.tool_calls[1].id",
        ),
        (
            lambda: Message(Role.ASSISTANT, tool_calls=({"id": "a"},)),  # type: ignore[arg-type]
            "expected ToolCall, got object - at $.tool_calls[0]",
        ),
        (
            lambda: Message("boss", "x"),  # type: ignore[arg-type]
            "unknown role 'boss'; use one of system, user, assistant, tool - at $.role",
        ),
        (lambda: Message(3, "x"), "expected Role, got int - at $.role"),  # type: ignore[arg-type]
        (lambda: Message(Role.USER, 5), "expected str, got int - at $.content"),  # type: ignore[arg-type]
        (lambda: Message(Role.USER, "x", " "), "name cannot be empty - at $.name"),
    ],
)
def test_inconsistent_messages_are_rejected(build, message):
    with pytest.raises(InvalidMessage) as caught:
        build()
    assert str(caught.value) == message


def test_messages_round_trip_and_leave_empty_fields_out():
    user = Message.user("hi")
    assert to_json(user) == b'{"role":"user","content":"hi"}'
    call = ToolCall.parse("c1", "search", '{"query": "mxp", "limit": 3}')
    assistant = Message.assistant("looking", tool_calls=[call])
    for message in (user, assistant, Message.tool("3 hits", tool_call_id="c1", name="search")):
        assert_json_round_trip(message)


def test_decoding_checks_message_rules_with_paths():
    with pytest.raises(
        InvalidMessage, match=r"needs a tool_call_id .* - at \$\[1\]\.tool_call_id$"
    ):
        from_json(b'[{"role":"user","content":"x"},{"role":"tool","content":"y"}]', list[Message])
    with pytest.raises(DecodeError, match=r"^invalid enum value 'robot' - at \$\.role$"):
        from_json(b'{"role":"robot"}', Message)
    data = b'{"role":"assistant","tool_calls":[{"id":"c","name":" "}]}'
    with pytest.raises(
        InvalidMessage, match=r"^tool name cannot be empty - at \$\.tool_calls\[0\]\.name$"
    ):
        from_json(data, Message)


def test_tool_call_parse_keeps_raw_text_and_parses_arguments():
    call = ToolCall.parse("c1", "search", ' {"query": "mxp"} ')
    assert call.arguments == {"query": "mxp"}
    assert call.raw_arguments == ' {"query": "mxp"} '
    assert ToolCall.parse("c2", "clock", "  ").arguments == {}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("[1, 2]", "tool call arguments for 'search' must be a JSON object, got array"),
        ('"x"', "tool call arguments for 'search' must be a JSON object, got str"),
        ("{", "tool call arguments for 'search' are not valid JSON (Input data was truncated)"),
    ],
)
def test_tool_call_parse_rejects_bad_arguments(raw, message):
    with pytest.raises(InvalidMessage) as caught:
        ToolCall.parse("c1", "search", raw)
    assert str(caught.value) == f"{message} - at $.raw_arguments"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"id": "", "name": "x"}, "tool call id cannot be empty - at $.id"),
        ({"id": "c", "name": ""}, "tool name cannot be empty - at $.name"),
        (
            {"id": "c", "name": "x", "arguments": [1]},
            "tool call arguments must be an object, got array - at $.arguments",
        ),
        (
            {"id": "c", "name": "x", "raw_arguments": 1},
            "expected str, got int - at $.raw_arguments",
        ),
    ],
)
def test_tool_call_rules(fields, message):
    with pytest.raises(InvalidMessage) as caught:
        ToolCall(**fields)
    assert str(caught.value) == message


def test_tool_call_json_round_trip():
    call = make_tool_call("search", {"query": "mxp", "filters": {"lang": ["py"]}})
    assert to_json(call) == (
        b'{"id":"call_1","name":"search","arguments":{"query":"mxp","filters":{"lang":["py"]}},'
        b'"raw_arguments":null}'
    )
    assert_json_round_trip(call)
    with pytest.raises(DecodeError, match=r"expected object, got array - at \$\.arguments"):
        from_json(b'{"id":"c","name":"x","arguments":[]}', ToolCall)


def test_tool_result_round_trip_and_message():
    result = ToolResult(tool_call_id="c1", name="search", content="boom", is_error=True)
    assert_json_round_trip(result)
    assert result.to_message() == Message.tool("boom", tool_call_id="c1", name="search")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"tool_call_id": "", "name": "x", "content": ""},
            "tool_call_id cannot be empty - at $.tool_call_id",
        ),
        (
            {"tool_call_id": "c", "name": " ", "content": ""},
            "tool name cannot be empty - at $.name",
        ),
        (
            {"tool_call_id": "c", "name": "x", "content": None},
            "expected str, got null - at $.content",
        ),
        (
            {"tool_call_id": "c", "name": "x", "content": "", "is_error": 1},
            "expected bool, got int - at $.is_error",
        ),
    ],
)
def test_tool_result_rules(fields, message):
    with pytest.raises(InvalidMessage) as caught:
        ToolResult(**fields)
    assert str(caught.value) == message


def test_usage_adds_up_and_totals():
    first = Usage(input_tokens=10, output_tokens=5, cached_input_tokens=4, reasoning_tokens=2)
    second = Usage(input_tokens=1, output_tokens=1)
    assert first + second == Usage(
        input_tokens=11, output_tokens=6, cached_input_tokens=4, reasoning_tokens=2
    )
    assert sum([first, second]) == first + second
    assert sum([first, second], Usage()) == first + second
    assert (first + second).total == 17
    assert Usage().total == 0


def test_usage_refuses_to_add_other_things():
    with pytest.raises(TypeError):
        Usage() + 1  # type: ignore[operator]
    with pytest.raises(TypeError):
        1 + Usage()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"input_tokens": -1}, "token count cannot be negative (got -1) - at $.input_tokens"),
        (
            {"reasoning_tokens": -3},
            "token count cannot be negative (got -3) - at $.reasoning_tokens",
        ),
        ({"output_tokens": 1.5}, "expected int, got float - at $.output_tokens"),
        ({"cached_input_tokens": True}, "expected int, got bool - at $.cached_input_tokens"),
    ],
)
def test_usage_rules(fields, message):
    with pytest.raises(InvalidMessage) as caught:
        Usage(**fields)
    assert str(caught.value) == message


def test_usage_json_round_trip_and_decoding_rules():
    assert_json_round_trip(Usage(input_tokens=3, output_tokens=4, reasoning_tokens=1))
    assert from_json(b"{}", Usage) == Usage()
    with pytest.raises(
        InvalidMessage, match=r"cannot be negative \(got -2\) - at \$\.output_tokens"
    ):
        from_json(b'{"output_tokens": -2}', Usage)


def test_conversation_types_are_frozen():
    with pytest.raises(AttributeError):
        Message.user("x").content = "y"  # type: ignore[misc]
    assert hash(Message.user("x")) == hash(Message.user("x"))
    assert msgspec.structs.replace(Message.user("x"), content="y").content == "y"

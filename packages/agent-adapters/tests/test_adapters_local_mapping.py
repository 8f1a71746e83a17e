"""The local adapter's pure parts: prompt mapping, envelope schemas, envelope parsing, paths.

These run without llama-cpp-python; `test_adapters_local_model.py` runs the real model.
"""

import importlib.util
from typing import Any

import pytest

from mxp_agents.adapters import (
    FinishReason,
    MalformedResponseError,
    ModelRequest,
    ResponseFormat,
    TextDelta,
    ToolCallDelta,
    ToolChoiceTool,
)
from mxp_agents.adapters._local._parse import envelope_events, next_call_id
from mxp_agents.adapters._local._prompt import Mode, envelope_text, plan_request
from mxp_agents.adapters._local._schema import envelope_schema, tool_alternative
from mxp_agents.adapters.local import (
    LocalModel,
    LocalModelUnavailable,
    bundled_model_path,
    local_model_available,
)
from mxp_agents.primitives import Message, ToolCall, ToolDefinition

WEATHER = ToolDefinition(
    "weather",
    "The weather in a city.",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
CLOCK = ToolDefinition("clock", "The current time.")


def _always(schema: dict[str, Any]) -> bool:
    return True


def test_plain_request_maps_roles_and_merges_system_text() -> None:
    plan = plan_request(
        ModelRequest(
            (
                Message.system("Be brief."),
                Message.user("Hi"),
                Message.assistant("Hello."),
                Message.system("Answer in French."),
                Message.user("Again"),
            )
        )
    )
    assert plan.mode is Mode.TEXT
    assert plan.messages == [
        {"role": "system", "content": "Be brief.\n\nAnswer in French."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello."},
        {"role": "user", "content": "Again"},
    ]


def test_tool_calls_and_results_become_envelopes_and_user_text() -> None:
    call = ToolCall("call_7", "weather", {"city": "Paris"})
    plan = plan_request(
        ModelRequest(
            (
                Message.user("Weather?"),
                Message.assistant("Let me look.", tool_calls=(call,)),
                Message.tool("sunny", tool_call_id="call_7"),
            ),
            tools=(WEATHER,),
        )
    )
    assert plan.mode is Mode.TOOLS
    assert plan.messages[2] == {
        "role": "assistant",
        "content": 'Let me look.\n{"tool":"weather","arguments":{"city":"Paris"}}',
    }
    assert plan.messages[3] == {
        "role": "user",
        "content": "Result of tool 'weather' (call call_7):\nsunny",
    }
    note = plan.messages[0]["content"]
    assert plan.messages[0]["role"] == "system"
    assert "weather: The weather in a city." in note
    assert '{"answer": "<your answer>"}' in note


def test_tool_choice_decides_the_tools_and_the_answer() -> None:
    ask = (Message.user("Weather?"),)
    required = plan_request(ModelRequest(ask, tools=(WEATHER, CLOCK), tool_choice="required"))
    assert [t.name for t in required.tools] == ["weather", "clock"]
    assert required.answer is None
    named = plan_request(
        ModelRequest(ask, tools=(WEATHER, CLOCK), tool_choice=ToolChoiceTool("clock"))
    )
    assert [t.name for t in named.tools] == ["clock"]
    assert "Now call the tool 'clock'." in named.messages[0]["content"]
    auto = plan_request(ModelRequest(ask, tools=(WEATHER,)))
    assert auto.answer == {"type": "string"}
    none = plan_request(ModelRequest(ask, tools=(WEATHER,), tool_choice="none"))
    assert none.mode is Mode.TEXT
    assert none.messages == [{"role": "user", "content": "Weather?"}]


def test_response_format_asks_for_json_with_its_schema() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    plan = plan_request(
        ModelRequest((Message.user("A number?"),), response_format=ResponseFormat("n", schema))
    )
    assert plan.mode is Mode.JSON
    assert plan.schema == schema
    assert '"required":["n"]' in plan.messages[0]["content"]
    with_tools = plan_request(
        ModelRequest(
            (Message.user("A number?"),),
            tools=(CLOCK,),
            response_format=ResponseFormat("n", schema),
        )
    )
    assert with_tools.mode is Mode.TOOLS
    assert with_tools.answer == schema


def test_envelope_schema_chooses_between_tools_and_an_answer() -> None:
    schema = envelope_schema([WEATHER, CLOCK], answer={"type": "string"}, convertible=_always)
    alternatives = schema["oneOf"]
    assert [a["properties"].get("tool") for a in alternatives] == [
        {"const": "weather"},
        {"const": "clock"},
        None,
    ]
    assert alternatives[0]["properties"]["arguments"] == WEATHER.parameters
    assert alternatives[2]["properties"] == {"answer": {"type": "string"}}
    assert all(a["required"][0] in ("tool", "answer") for a in alternatives)


def test_definitions_are_hoisted_to_the_root_and_renamed() -> None:
    parameters = {
        "type": "object",
        "properties": {"to": {"$ref": "#/$defs/Place"}},
        "required": ["to"],
        "$defs": {
            "Place": {"type": "object", "properties": {"near": {"$ref": "#/definitions/City"}}},
            "City": {"type": "string"},
        },
    }
    tool = ToolDefinition("go", "Go somewhere.", parameters)
    alternative = tool_alternative(tool, "t0_")
    assert set(alternative["$defs"]) == {"t0_Place", "t0_City"}
    schema = envelope_schema([CLOCK, tool], answer=None, convertible=_always)
    assert "$defs" not in schema["oneOf"][1]
    assert schema["$defs"]["t1_Place"]["properties"]["near"] == {"$ref": "#/$defs/t1_City"}
    arguments = schema["oneOf"][1]["properties"]["arguments"]
    assert arguments["properties"]["to"] == {"$ref": "#/$defs/t1_Place"}
    assert "$defs" in tool.parameters  # the tool's own schema is left alone


def test_unconvertible_parameters_fall_back_to_any_object() -> None:
    schema = envelope_schema([WEATHER], answer=None, convertible=lambda s: "city" not in str(s))
    assert schema["oneOf"][0]["properties"]["arguments"] == {"type": "object"}


def test_envelope_text_is_compact_json() -> None:
    assert envelope_text(ToolCall("c", "clock")) == '{"tool":"clock","arguments":{}}'


def test_a_tool_envelope_becomes_one_tool_call_delta() -> None:
    events, finish = envelope_events(
        '{ "tool": "weather", "arguments": {"city": "Paris"} }',
        tools=frozenset({"weather"}),
        finish=FinishReason.STOP,
        model="m",
    )
    assert finish is FinishReason.TOOL_CALLS
    [delta] = events
    assert isinstance(delta, ToolCallDelta)
    assert (delta.index, delta.name, delta.arguments) == (0, "weather", '{"city":"Paris"}')
    assert delta.id is not None
    assert delta.id.startswith("call_")


def test_an_answer_envelope_becomes_text() -> None:
    events, finish = envelope_events(
        '{"answer": "Sunny."}', tools=frozenset({"weather"}), finish=FinishReason.STOP, model="m"
    )
    assert (events, finish) == ([TextDelta("Sunny.")], FinishReason.STOP)
    events, _ = envelope_events(
        '{"answer": {"n": 3}}', tools=frozenset(), finish=FinishReason.STOP, model="m"
    )
    assert events == [TextDelta('{"n":3}')]


@pytest.mark.parametrize(
    ("text", "partial"),
    [
        ('{"answer": "It is sunny', "It is sunny"),
        ('{ "answer": "Tab\\tand \\u00e9 and \\u00', "Tab\tand \u00e9 and "),
        ('{"answer": "done" ', "done"),
        ('{"answer": "', ""),
    ],
)
def test_a_text_answer_cut_at_the_limit_keeps_its_text(text: str, partial: str) -> None:
    events, finish = envelope_events(
        text, tools=frozenset({"weather"}), finish=FinishReason.LENGTH, model="m"
    )
    assert finish is FinishReason.LENGTH
    assert events == ([TextDelta(partial)] if partial else [])


@pytest.mark.parametrize(
    ("text", "finish", "message"),
    [
        ('{"tool": "weath', FinishReason.LENGTH, "max_output_tokens"),
        ('{"tool": "weath', FinishReason.STOP, "not JSON"),
        ('{"tool": "rm", "arguments": {}}', FinishReason.STOP, "unknown tool 'rm'"),
        ('{"tool": "weather", "arguments": 3}', FinishReason.STOP, "not a JSON object"),
        ("[1]", FinishReason.STOP, "expected a JSON object"),
        ('{"other": 1}', FinishReason.STOP, "a tool call or an answer"),
    ],
)
def test_bad_envelopes_are_malformed(text: str, finish: FinishReason, message: str) -> None:
    with pytest.raises(MalformedResponseError, match=message) as caught:
        envelope_events(text, tools=frozenset({"weather"}), finish=finish, model="m")
    assert caught.value.provider == "local"
    assert caught.value.retryable is (finish is not FinishReason.LENGTH)


def test_call_ids_are_unique() -> None:
    assert len({next_call_id() for _ in range(100)}) == 100


def test_availability_is_checked_without_importing() -> None:
    path = bundled_model_path()
    installed = importlib.util.find_spec("llama_cpp") is not None
    assert local_model_available() is (installed and path is not None)
    if path is not None:
        assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
        assert path.stat().st_size > 50_000_000


def test_a_missing_model_file_names_the_path(tmp_path: Any) -> None:
    missing = tmp_path / "nope.gguf"
    with pytest.raises(LocalModelUnavailable, match="no model file at") as caught:
        LocalModel(missing)
    assert caught.value.retryable is False
    assert str(missing) in str(caught.value)


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"n_ctx": 8}, "$.n_ctx"),
        ({"n_threads": 0}, "$.n_threads"),
        ({"seed": -1}, "$.seed"),
        ({"chat_format": ""}, "$.chat_format"),
    ],
)
def test_bad_options_are_rejected(options: dict[str, Any], path: str) -> None:
    if not local_model_available():
        pytest.skip("llama-cpp-python or the bundled SmolLM2 model is not installed")
    with pytest.raises(ValueError, match=path.replace("$", r"\$")):
        LocalModel(**options)

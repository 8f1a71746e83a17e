"""The requests, tools and answers the conformance checks use."""

from __future__ import annotations

from typing import Any, Final

from mxp_agents.adapters._request import ModelRequest, ResponseFormat
from mxp_agents.primitives import Message, ToolCall, ToolDefinition

WEATHER: Final = ToolDefinition(
    name="weather",
    description="The weather in a city.",
    parameters={
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "units": {"type": "object", "properties": {"temp": {"type": "string"}}},
        },
        "required": ["city"],
    },
)
CLOCK: Final = ToolDefinition(
    name="clock",
    description="The current time.",
    parameters={"type": "object", "properties": {}},
)
CITY_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "population": {"type": "integer"}},
    "required": ["name", "population"],
    "additionalProperties": False,
}
CITY: Final = ResponseFormat(name="city", schema=CITY_SCHEMA)

TEXT: Final = "Hello from the fake server: héllo wörld ✓, and a second sentence to stream."
CALL_A: Final = ToolCall("call_a1", "weather", {"city": "Zürich", "units": {"temp": "C"}})
CALL_B: Final = ToolCall("call_b2", "clock", {})


def ask(text: str = "Say hello.", **options: Any) -> ModelRequest:
    """A one-turn request with ``options`` (tools, temperature, ...)."""
    return ModelRequest((Message.user(text),), **options)


def tool_conversation() -> ModelRequest:
    """A user turn, an assistant tool call, its result: the model must now answer."""
    return ModelRequest(
        (
            Message.user("Weather in Zürich?"),
            Message.assistant(tool_calls=(CALL_A,)),
            Message.tool("sunny, 21 C", tool_call_id=CALL_A.id, name=CALL_A.name),
        ),
        tools=(WEATHER, CLOCK),
    )

"""Structured output: the schema sent to the model, validation, corrections, retries."""

from __future__ import annotations

from typing import Annotated

import msgspec

from mxp_agents.adapters.testing import ScriptedModel, Step, TestModel
from mxp_agents.kernel import Agent, RunLimits, StopReason
from mxp_agents.primitives import Role, ToolCall
from mxp_agents.tools import tool


class City(msgspec.Struct):
    name: str
    population: Annotated[int, msgspec.Meta(ge=0)]


async def test_valid_structured_output() -> None:
    model = ScriptedModel([Step.json({"name": "Paris", "population": 2_100_000})])
    agent = Agent("geo", model=model, output_type=City)
    result = await agent.run("Describe Paris.")
    assert result.ok
    assert result.output == City("Paris", 2_100_000)
    assert agent.output_type is City
    response_format = model.requests[0].response_format
    assert response_format is not None
    assert response_format.name == "City"
    assert response_format.schema == msgspec.json.schema(City)


async def test_invalid_then_fixed() -> None:
    model = ScriptedModel(
        [
            Step.json({"name": "Paris", "population": "many"}),
            Step.json({"name": "Paris", "population": -1}),
            Step.json({"name": "Paris", "population": 2}),
        ]
    )
    result = await Agent("geo", model=model, output_type=City).run("Describe Paris.")
    assert result.ok
    assert result.output == City("Paris", 2)
    assert result.steps == 3
    corrections = [m.content for m in result.messages if m.role is Role.USER][1:]
    assert corrections == [
        "Your answer does not match the required JSON schema: expected int, got str - at "
        "$.population. Reply with only the corrected JSON value.",
        "Your answer does not match the required JSON schema: expected int >= 0 - at "
        "$.population. Reply with only the corrected JSON value.",
    ]
    assert model.requests[2].messages[-1].content == corrections[1]


async def test_invalid_beyond_retries() -> None:
    model = ScriptedModel([Step.text("Paris is big."), Step.text("{not json"), Step.json([1])])
    agent = Agent("geo", model=model, output_type=City, limits=RunLimits(max_output_retries=2))
    result = await agent.run("Describe Paris.")
    assert result.stop_reason is StopReason.INVALID_OUTPUT
    assert result.output is None
    assert result.text == "[1]"
    assert result.error == (
        "the answer does not fit the output type after 2 corrections: expected object, "
        "got array - at $"
    )
    model.assert_complete()


async def test_no_retries_and_not_json() -> None:
    model = ScriptedModel([Step.text("Paris")])
    limits = RunLimits(max_output_retries=0)
    result = await Agent("geo", model=model, output_type=City, limits=limits).run("x")
    assert result.stop_reason is StopReason.INVALID_OUTPUT
    assert result.error is not None
    assert "the answer is not valid JSON" in result.error


async def test_invalid_output_with_no_step_left() -> None:
    model = ScriptedModel([Step.text("")])
    limits = RunLimits(max_steps=1)
    result = await Agent("geo", model=model, output_type=City, limits=limits).run("x")
    assert result.stop_reason is StopReason.INVALID_OUTPUT
    assert result.error == (
        "the answer does not fit the output type after 0 corrections: the answer is empty; "
        "a JSON value was expected"
    )


async def test_fenced_json_and_builtin_types() -> None:
    model = ScriptedModel([Step.text("```json\n[1, 2, 3]\n```")])
    agent = Agent("n", model=model, output_type=list[int])
    result = await agent.run("numbers")
    assert result.output == [1, 2, 3]
    response_format = model.requests[0].response_format
    assert response_format is not None
    assert response_format.name == "list"


async def test_structured_output_after_tools_with_test_model() -> None:
    @tool
    async def population(city: str) -> int:
        """Look up a population."""
        return 2_100_000

    agent = Agent("geo", model=TestModel(), tools=[population], output_type=City)
    result = await agent.run("Describe Paris.")
    assert result.ok
    assert isinstance(result.output, City)
    assert result.tool_calls[0].call.name == "population"


async def test_tool_calls_before_a_structured_answer() -> None:
    @tool
    async def lookup() -> str:
        """Look up."""
        return "2 people"

    model = ScriptedModel(
        [Step.tool_calls(ToolCall("c1", "lookup")), Step.json({"name": "X", "population": 2})]
    )
    result = await Agent("geo", model=model, tools=[lookup], output_type=City).run("x")
    assert result.output == City("X", 2)

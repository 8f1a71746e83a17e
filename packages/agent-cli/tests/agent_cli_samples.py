"""Entry points for ``mxp-agents run`` in the tests (importable through PYTHONPATH)."""

from __future__ import annotations

import re

from mxp_agents.adapters import ModelRequest, ModelResponse
from mxp_agents.adapters.testing import FunctionModel
from mxp_agents.cli.tools import calculator
from mxp_agents.kernel import Agent
from mxp_agents.primitives import Role, ToolCall


def _answer(request: ModelRequest) -> ModelResponse:
    last = request.messages[-1]
    if last.role is Role.TOOL:
        return ModelResponse(text=f"The result is {last.content}.")
    match = re.search(r"[\d(][\d\s+\-*/().]*[\d)]", last.content)
    if match is None:
        return ModelResponse(text="Give me something to compute.")
    return ModelResponse(tool_calls=(ToolCall("c1", "calculator", {"expression": match.group()}),))


def calc_agent() -> Agent[str]:
    """A calculator agent whose model picks the arithmetic out of the task."""
    return Agent(
        "sample-calc",
        model=FunctionModel(_answer, model_name="scripted"),
        instructions="Compute.",
        tools=[calculator],
        capabilities=["math.calculate"],
    )


agent = calc_agent()
not_an_agent = 42


def broken() -> Agent[str]:
    raise RuntimeError("no model configured")

"""Test models for code that talks to a model (shipped, like ``trio.testing``).

- `ScriptedModel`: plays a script of `Step`s (text, tool calls, JSON, errors, functions of the
  request), records requests, and tells when the script ran out or was not used up.
- `TestModel`: calls every offered tool with arguments generated from its JSON Schema, then
  answers with a summary of the results (or JSON of the requested response format).
- `FunctionModel`: answers with any function of the request.

All three implement `mxp_agents.adapters.ModelAdapter`, stream and complete, and report a
non-zero token usage (estimated at about 4 characters per token unless scripted).

Example:
    >>> import trio
    >>> from mxp_agents.primitives import Message, ToolCall
    >>> from mxp_agents.adapters import ModelRequest
    >>> from mxp_agents.adapters.testing import ScriptedModel, Step
    >>> model = ScriptedModel([Step.tool_calls(ToolCall("call_1", "clock")), Step.text("Noon.")])
    >>> request = ModelRequest((Message.user("What time is it?"),))
    >>> trio.run(model.complete, request).tool_calls[0].name
    'clock'
"""

from mxp_agents.adapters.testing._function import FunctionModel, ModelFunction
from mxp_agents.adapters.testing._schema_values import example_for_schema
from mxp_agents.adapters.testing._scripted import ScriptedModel, ScriptExhausted
from mxp_agents.adapters.testing._steps import Responder, Step, StepKind
from mxp_agents.adapters.testing._test_model import TestModel

__all__ = [
    "FunctionModel",
    "ModelFunction",
    "Responder",
    "ScriptExhausted",
    "ScriptedModel",
    "Step",
    "StepKind",
    "TestModel",
    "example_for_schema",
]

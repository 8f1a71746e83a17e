"""The model of a spec: ``"scripted"`` steps replayed each run, ``"test"``, or an entry point."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from mxp_agents.adapters import InvalidRequestError, ModelAdapter, ModelResponse
from mxp_agents.adapters.testing import FunctionModel, TestModel
from mxp_agents.cli._entry_points import resolve_entry_point
from mxp_agents.cli._errors import SpecError
from mxp_agents.cli._spec_file import MODEL_SCRIPTED, MODEL_TEST, ScriptedStep
from mxp_agents.primitives import Role, ToolCall

if TYPE_CHECKING:
    from pathlib import Path

    from mxp_agents.adapters import ModelRequest

__all__ = ["build_model", "describe_model", "replayed_script"]

_TEST_PROVIDERS: Final = frozenset({"scripted", "test", "function"})


def describe_model(model: ModelAdapter) -> str:
    """How the CLI names a model; the test models say that no LLM is configured.

    Example:
        >>> describe_model(TestModel())
        'test (no LLM configured)'
    """
    if model.provider in _TEST_PROVIDERS or model.model_name in (MODEL_SCRIPTED, MODEL_TEST):
        return f"{model.model_name} (no LLM configured)"
    return f"{model.provider}/{model.model_name}"


def build_model(
    model: str, steps: list[ScriptedStep], *, where: str, search: tuple[Path, ...] = ()
) -> ModelAdapter:
    """The `ModelAdapter` that ``model`` names (``where`` locates it for error messages).

    Example:
        >>> build_model("test", [], where="agent.toml").provider
        'test'
    """
    if model == MODEL_SCRIPTED:
        return replayed_script(steps)
    if model == MODEL_TEST:
        return TestModel()
    found = resolve_entry_point(model, where=f"{where}: model", search=search)
    if isinstance(found, type) or (not isinstance(found, ModelAdapter) and callable(found)):
        try:
            found = found()
        except Exception as error:
            raise SpecError(
                f"{where}: model: calling {model!r} failed: {type(error).__name__}: {error}"
            ) from error
    if not isinstance(found, ModelAdapter):
        raise SpecError(
            f"{where}: model: {model!r} is a {type(found).__name__}, not a model adapter "
            "(an object with provider, model_name, stream and complete) or a function "
            'returning one; or use model = "scripted" or "test"'
        )
    return found


def replayed_script(steps: list[ScriptedStep]) -> FunctionModel:
    """A model answering each run with ``steps`` from the first: the answer to a request is the
    step numbered by the assistant messages since the last user message.

    Example:
        >>> model = replayed_script([ScriptedStep(text="Hello.")])
        >>> model.model_name
        'scripted'
    """
    script = tuple(steps)

    def answer(request: ModelRequest) -> ModelResponse:
        index = 0
        for message in reversed(request.messages):
            if message.role is Role.USER:
                break
            if message.role is Role.ASSISTANT:
                index += 1
        if index >= len(script):
            raise InvalidRequestError(
                f"the scripted model has {len(script)} step(s) but the run asked for step "
                f"{index + 1}; add [[agent.steps]] to the spec",
                provider="scripted",
                model="scripted",
            )
        step = script[index]
        calls = tuple(
            ToolCall(f"call_{index + 1}_{number}", call.name, dict(call.arguments))
            for number, call in enumerate(step.tool_calls, start=1)
        )
        return ModelResponse(
            text=step.text, tool_calls=calls, model="scripted", provider="scripted"
        )

    return FunctionModel(answer, model_name="scripted")

"""The ``[agent]`` table of a TOML agent spec, loaded through ``mxp_agents.config``.

Loading it with `load_section` gives the file layer, ``MXP_AGENTS_AGENT__*`` environment
variables and errors naming the file, line and path (``- at $.agent.tools[1]``).
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

__all__ = ["MODEL_SCRIPTED", "MODEL_TEST", "AgentSection", "ScriptedCall", "ScriptedStep"]

MODEL_SCRIPTED: Final = "scripted"
"""``model = "scripted"``: play the ``[[agent.steps]]`` of the file, from the first, each run."""
MODEL_TEST: Final = "test"
"""``model = "test"``: `TestModel` (calls every tool with generated arguments, then sums up)."""


class ScriptedCall(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One tool call of a scripted step: ``{ name = "calculator", arguments = {...} }``.

    Example:
        >>> ScriptedCall("calculator", {"expression": "6 * 7"}).name
        'calculator'
    """

    name: str
    arguments: dict[str, Any] = msgspec.field(default_factory=dict[str, Any])


class ScriptedStep(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One answer of the scripted model: text, tool calls, or both.

    Example:
        >>> ScriptedStep(text="The answer is 42.").tool_calls
        []
    """

    text: str = ""
    tool_calls: list[ScriptedCall] = msgspec.field(default_factory=list[ScriptedCall])

    def __post_init__(self) -> None:
        if not self.text and not self.tool_calls:
            raise ValueError("a scripted step needs text, tool_calls or both")


class AgentSection(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The ``[agent]`` table: who the agent is, its tools and its model.

    ``tools`` are entry points naming a tool, a list of tools, or a function returning either.
    ``model`` is ``"scripted"`` (needs ``[[agent.steps]]``), ``"test"``, or an entry point
    naming a model adapter (or a function returning one).

    Example:
        >>> AgentSection(name="calc", tools=["mxp_agents.cli.tools:calculator"]).model
        'test'
    """

    name: str
    instructions: str = "You are a helpful agent. Use your tools when they help."
    description: str | None = None
    capabilities: list[str] = msgspec.field(default_factory=list[str])
    tools: list[str] = msgspec.field(default_factory=list[str])
    model: str = MODEL_TEST
    steps: list[ScriptedStep] = msgspec.field(default_factory=list[ScriptedStep])

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("the agent's name must not be empty")
        if self.model == MODEL_SCRIPTED and not self.steps:
            raise ValueError(
                'model = "scripted" needs the answers in [[agent.steps]] tables '
                '(text = "..." and/or tool_calls = [{ name = "...", arguments = {...} }])'
            )
        if self.steps and self.model != MODEL_SCRIPTED:
            raise ValueError(
                f'[[agent.steps]] are only used with model = "scripted", not {self.model!r}'
            )

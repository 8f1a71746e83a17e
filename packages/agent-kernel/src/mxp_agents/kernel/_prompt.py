"""Prompt assembly: the first messages of a run, built the same way for the same inputs.

Order: the system message (the agent's instructions), the history, then the task as user
message(s). Inbound task text goes through the agent's guardrails first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final, TypeAlias

from mxp_agents.kernel._errors import AgentConfigError, RunInputError
from mxp_agents.kernel._messages import user_message
from mxp_agents.primitives import Message, Role
from mxp_agents.prompts import PromptStack, PromptTemplate

if TYPE_CHECKING:
    from mxp_agents.prompts import GuardrailHit, Guardrails

__all__ = ["Instructions", "InstructionsLike", "Task", "assemble"]

InstructionsLike: TypeAlias = str | PromptTemplate | PromptStack | None
"""What an agent's ``instructions`` may be: plain text, a template or a system → role → task
stack (templates are rendered with the run's ``variables``)."""

Task: TypeAlias = str | Sequence[Message]
"""What a run works on: the task text (one user message) or ready-made messages."""

TASK_VARIABLE: Final = "task"
_NO_VARIABLES: Final[Mapping[str, object]] = {}


class Instructions:
    """An agent's instructions, prepared once: a plain text becomes its system message at
    construction; a template without variables is rendered once; the rest per run.

    Example:
        >>> Instructions("Be brief.").system_message(None).content
        'Be brief.'
    """

    __slots__ = ("_stack", "_static", "_template")

    def __init__(self, instructions: InstructionsLike) -> None:
        self._static: Message | None = None
        self._template: PromptTemplate | None = None
        self._stack: PromptStack | None = None
        if instructions is None:
            return
        if isinstance(instructions, str):
            if instructions.strip():
                self._static = Message.system(instructions)
        elif isinstance(instructions, PromptTemplate):
            if instructions.variables:
                self._template = instructions
            else:
                text = instructions.render()
                self._static = Message.system(text) if text.strip() else None
        elif isinstance(instructions, PromptStack):  # pyright: ignore[reportUnnecessaryIsInstance]
            task = instructions.task
            if task is not None and TASK_VARIABLE not in task.variables:
                raise AgentConfigError(
                    f"the task layer of the instructions ({task.name!r}) does not use "
                    "'{{ task }}'; the run's task text reaches it as that variable"
                )
            self._stack = instructions
        else:
            raise AgentConfigError(
                "instructions must be a str, a PromptTemplate, a PromptStack or None, "
                f"got {type(instructions).__name__}"
            )

    @property
    def has_task_layer(self) -> bool:
        """True for a `PromptStack` with a task layer (the task must then be a str).

        Example:
            >>> Instructions(PromptStack(task="Do {{ task }}.")).has_task_layer
            True
        """
        return self._stack is not None and self._stack.task is not None

    def system_message(self, variables: Mapping[str, object] | None) -> Message | None:
        """The system message for a run with ``variables`` (None when there is none).

        Example:
            >>> Instructions(PromptTemplate("Be {{ tone }}.")).system_message({"tone": "kind"})
            Message(role=<Role.SYSTEM: 'system'>, content='Be kind.', ...)
        """
        if self._template is not None:
            text = self._template.render(variables if variables is not None else _NO_VARIABLES)
            return Message.system(text) if text.strip() else None
        if self._stack is not None:
            # Only for a stack without a task layer (`stack_messages` serves the others).
            built = self._stack.build(variables)
            return built[0] if built else None
        if variables:
            raise RunInputError(
                "variables were given, but the agent's instructions are not a template; "
                "use a PromptTemplate or PromptStack with {{ placeholders }}"
            )
        return self._static

    def stack_messages(
        self, text: str, variables: Mapping[str, object] | None, history: Sequence[Message]
    ) -> tuple[Message, ...]:
        """The messages of a stack with a task layer: system, history, rendered task.

        Example:
            >>> stack = PromptStack(system="Be brief.", task="Review {{ task }}.")
            >>> [m.content for m in Instructions(stack).stack_messages("a.py", None, ())]
            ['Be brief.', 'Review a.py.']
        """
        assert self._stack is not None
        given = dict(variables) if variables is not None else {}
        if TASK_VARIABLE in given:
            raise RunInputError(
                "'task' is reserved: the run's task text is passed to the instructions as "
                "the 'task' variable; rename the variable"
            )
        given[TASK_VARIABLE] = text
        return self._stack.build(given, history=history)


def assemble(
    instructions: Instructions,
    task: Task,
    variables: Mapping[str, object] | None,
    history: Sequence[Message] | None,
    guardrails: Guardrails | None,
) -> tuple[list[Message], tuple[GuardrailHit, ...]]:
    """The first messages of a run, and what the guardrails found in the task.

    Raises:
        RunInputError: an empty task, or a task or history item that is not a `Message`.
        GuardrailViolation: the task holds something the guardrails block.

    Example:
        >>> messages, hits = assemble(Instructions("Be brief."), "Hi", None, None, None)
        >>> [(m.role.value, m.content) for m in messages]
        [('system', 'Be brief.'), ('user', 'Hi')]
    """
    past = _checked_messages(history, "history") if history else ()
    hits: list[GuardrailHit] = []
    if isinstance(task, str):
        if not task.strip():
            raise RunInputError("the task is empty; pass the text to work on")
        if guardrails is not None:
            redaction = guardrails.redact(task)
            task, hits = redaction.text, list(redaction.hits)
        if instructions.has_task_layer:
            return list(instructions.stack_messages(task, variables, past)), tuple(hits)
        given: tuple[Message, ...] = (user_message(task),)
    else:
        if instructions.has_task_layer:
            raise RunInputError(
                "the agent's instructions have a task layer; pass the task as a str"
            )
        given = _checked_messages(task, "task")
        if not given:
            raise RunInputError("the task has no messages; pass the text or messages to work on")
        if guardrails is not None:
            given = tuple(_guarded(message, guardrails, hits) for message in given)
    messages: list[Message] = []
    system = instructions.system_message(variables)
    if system is not None:
        messages.append(system)
    messages.extend(past)
    messages.extend(given)
    return messages, tuple(hits)


def _checked_messages(value: object, label: str) -> tuple[Message, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise RunInputError(f"{label} must be a sequence of Messages, got {type(value).__name__}")
    items: Sequence[object] = value  # pyright: ignore[reportUnknownVariableType]
    for index, item in enumerate(items):
        if not isinstance(item, Message):
            raise RunInputError(f"{label}[{index}] is not a Message, got {type(item).__name__}")
    return tuple(items)  # pyright: ignore[reportReturnType]


def _guarded(message: Message, guardrails: Guardrails, hits: list[GuardrailHit]) -> Message:
    if message.role is not Role.USER:
        return message
    redaction = guardrails.redact(message.content)
    hits.extend(redaction.hits)
    if not redaction.changed:
        return message
    return Message.user(redaction.text, name=message.name)

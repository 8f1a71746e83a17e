"""`PromptStack`: system → role → task layers assembled into the messages of one run."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from mxp_agents.primitives import Message
from mxp_agents.prompts._errors import InvalidArgument, UnknownVariableError
from mxp_agents.prompts._template import PromptTemplate
from mxp_agents.prompts._template_parse import normalise_newlines

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["PromptStack"]

_LEADING_BLANK_LINES: Final = re.compile(r"\A(?:[ \t]*\n)+")
_EMPTY: Final[Mapping[str, object]] = {}


def _layer(value: PromptTemplate | str | None, name: str) -> PromptTemplate | None:
    if value is None or isinstance(value, PromptTemplate):
        return value
    if isinstance(value, str):  # pyright: ignore[reportUnnecessaryIsInstance]
        return PromptTemplate(value, name=name)
    raise InvalidArgument(f"the {name} layer is a PromptTemplate, a str or None, got {value!r}")


def _trim(text: str) -> str:
    return _LEADING_BLANK_LINES.sub("", text).rstrip()


class PromptStack:
    """The layers of a prompt: ``system`` → ``role`` → ``task``, rendered into messages.

    `build` returns, in this order: one system message holding the rendered system and role
    layers joined by ``separator`` (left out when both are empty), the ``history`` messages
    unchanged, and the task as a user message (left out when empty). Each rendered layer loses
    its leading blank lines and trailing whitespace. A ``str`` layer is a template source
    (named after its layer). All layers share one set of variables: each layer takes the ones
    it uses; a variable no layer uses is an `UnknownVariableError` unless ``allow_extra=True``.

    The output depends only on the inputs: same layers, variables and history give the same
    messages, byte for byte once encoded (no set or hash order is involved).

    Example:
        >>> stack = PromptStack(
        ...     system="You are careful.",
        ...     role="Act as {{ role }}.",
        ...     task="Review {{ file }}.",
        ... )
        >>> messages = stack.build({"role": "a reviewer", "file": "a.py"})
        >>> [(message.role.value, message.content) for message in messages]
        [('system', 'You are careful.\\n\\nAct as a reviewer.'), ('user', 'Review a.py.')]
    """

    __slots__ = ("_allow_extra", "_known", "_layers", "_role", "_separator", "_system", "_task")

    def __init__(
        self,
        system: PromptTemplate | str | None = None,
        role: PromptTemplate | str | None = None,
        task: PromptTemplate | str | None = None,
        *,
        separator: str = "\n\n",
        allow_extra: bool = False,
    ) -> None:
        self._system = _layer(system, "system")
        self._role = _layer(role, "role")
        self._task = _layer(task, "task")
        self._separator = normalise_newlines(separator)
        self._allow_extra = allow_extra
        self._layers = tuple(
            layer for layer in (self._system, self._role, self._task) if layer is not None
        )
        self._known = tuple(
            dict.fromkeys(variable for layer in self._layers for variable in layer.variables)
        )

    @property
    def system(self) -> PromptTemplate | None:
        """The system layer, or None.

        Example:
            >>> PromptStack(system="Be brief.").system
            PromptTemplate(name='system', variables=())
        """
        return self._system

    @property
    def role(self) -> PromptTemplate | None:
        """The role layer, or None.

        Example:
            >>> PromptStack(role="Act as {{ who }}.").role
            PromptTemplate(name='role', variables=('who',))
        """
        return self._role

    @property
    def task(self) -> PromptTemplate | None:
        """The task layer, or None.

        Example:
            >>> PromptStack().task is None
            True
        """
        return self._task

    @property
    def variables(self) -> tuple[str, ...]:
        """Every variable the layers use, in layer order then order of first use.

        Example:
            >>> PromptStack(system="{{ a }}", task="{{ b }} {{ a }}").variables
            ('a', 'b')
        """
        return self._known

    def build(
        self, variables: Mapping[str, object] | None = None, *, history: Iterable[Message] = ()
    ) -> tuple[Message, ...]:
        """The messages of a run: system (system + role layers), then history, then the task.

        Raises:
            MissingVariableError: a layer's required variable is missing (names the layer).
            UnknownVariableError: a variable no layer uses (unless ``allow_extra``).
            InvalidArgument: a history item that is not a `Message`.

        Example:
            >>> history = [Message.user("hi"), Message.assistant("hello")]
            >>> [m.role.value for m in PromptStack("Be kind.", task="Go.").build(history=history)]
            ['system', 'user', 'assistant', 'user']
        """
        given = variables if variables is not None else _EMPTY
        if not self._allow_extra:
            extras = [str(key) for key in given if key not in self._known]
            if extras:
                names = ", ".join(layer.name for layer in self._layers)
                raise UnknownVariableError(
                    extras, template="stack", known=self._known, where=f"prompt stack ({names})"
                )
        messages: list[Message] = []
        layers = (self._system, self._role)
        texts = [_trim(layer.fill(given)) for layer in layers if layer is not None]
        system_text = self._separator.join(text for text in texts if text)
        if system_text:
            messages.append(Message.system(system_text))
        for index, message in enumerate(history):
            if not isinstance(message, Message):  # pyright: ignore[reportUnnecessaryIsInstance]
                raise InvalidArgument(
                    f"history[{index}] is not a Message, got {type(message).__name__}"
                )
            messages.append(message)
        if self._task is not None:
            task_text = _trim(self._task.fill(given))
            if task_text:
                messages.append(Message.user(task_text))
        return tuple(messages)

    def __repr__(self) -> str:
        names = ", ".join(layer.name for layer in self._layers)
        return f"PromptStack(layers=({names}), variables={self._known!r})"

"""Errors of ``mxp_agents.prompts``: each says what was wrong, where, and how to fix it."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

from mxp_agents.primitives import MxpAgentsError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from mxp_agents.prompts._hits import GuardrailHit

__all__ = [
    "ContextBudgetError",
    "GuardrailViolation",
    "InvalidArgument",
    "MissingVariableError",
    "PromptsError",
    "TemplateSyntaxError",
    "UnknownVariableError",
]


class PromptsError(MxpAgentsError):
    """Base class of every error raised by ``mxp_agents.prompts``.

    ``reason`` says what was wrong; ``str(error)`` adds where and how to fix it.

    Example:
        >>> issubclass(TemplateSyntaxError, PromptsError)
        True
    """

    def __init__(self, reason: str, message: str | None = None) -> None:
        self.reason = reason
        super().__init__(reason if message is None else message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), str(self), self.__dict__))


class InvalidArgument(PromptsError, ValueError):
    """An argument out of range or of the wrong kind (a negative budget, an unknown policy key).

    Example:
        >>> str(InvalidArgument("max_tokens must be > 0, got 0"))
        'max_tokens must be > 0, got 0'
    """


def _where(template: str, line: int | None, column: int | None) -> str:
    text = f"template {template!r}"
    if line is not None and column is not None:
        text += f" line {line}, column {column}"
    return text


class TemplateSyntaxError(PromptsError):
    """A template source that does not parse, or whose declarations disagree with it.

    ``template`` names the template; ``line`` and ``column`` (1-based, or None for a problem
    with the declarations) point at the offending ``{{``.

    Example:
        >>> PromptTemplate("Hi {{ name", name="greeting")
        Traceback (most recent call last):
        ...
        mxp_agents.prompts._errors.TemplateSyntaxError: unclosed '{{' - at template 'greeting' \
line 1, column 4; close it with '}}' or write a literal '{{' as '{{{{'
    """

    def __init__(
        self,
        reason: str,
        *,
        template: str,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.template = template
        self.line = line
        self.column = column
        self.hint = hint
        message = f"{reason} - at {_where(template, line, column)}"
        super().__init__(reason, message if hint is None else f"{message}; {hint}")


def _rebuild(cls: type[PromptsError], message: str, state: dict[str, Any]) -> PromptsError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


def _names(names: Iterable[str]) -> str:
    return ", ".join(repr(name) for name in names)


class MissingVariableError(PromptsError):
    """A required template variable (or a dotted key inside one) was not given to ``render``.

    ``names`` lists every missing variable in order of first use; ``name``, ``line`` and
    ``column`` point at the first one.

    Example:
        >>> PromptTemplate("Hello {{ name }}", name="greeting").render()
        Traceback (most recent call last):
        ...
        mxp_agents.prompts._errors.MissingVariableError: missing required variable 'name' - at \
template 'greeting' line 1, column 7; pass it to render() or declare a default in optional=
    """

    def __init__(
        self,
        names: Sequence[str],
        *,
        template: str,
        line: int | None = None,
        column: int | None = None,
        detail: str | None = None,
    ) -> None:
        self.names = tuple(names)
        self.name = self.names[0]
        self.template = template
        self.line = line
        self.column = column
        plural = "s" if len(self.names) > 1 else ""
        reason = f"missing required variable{plural} {_names(self.names)}"
        if detail is not None:
            reason += f" ({detail})"
        first = f" (first: {self.name!r})" if plural else ""
        pronoun = "them" if plural else "it"
        message = (
            f"{reason} - at {_where(template, line, column)}{first}; "
            f"pass {pronoun} to render() or declare a default in optional="
        )
        super().__init__(reason, message)


class UnknownVariableError(PromptsError):
    """``render`` was given variables the template does not use (input is never dropped).

    Example:
        >>> PromptTemplate("Hi {{ name }}", name="greeting").render(name="Ada", nmae="Ada")
        Traceback (most recent call last):
        ...
        mxp_agents.prompts._errors.UnknownVariableError: unknown variable 'nmae' for template \
'greeting' (did you mean 'name'?); known: 'name'; remove it or pass allow_extra=True
    """

    def __init__(
        self,
        names: Sequence[str],
        *,
        template: str,
        known: Sequence[str],
        where: str | None = None,
    ) -> None:
        self.names = tuple(names)
        self.template = template
        self.known = tuple(known)
        plural = "s" if len(self.names) > 1 else ""
        place = where if where is not None else f"template {template!r}"
        reason = f"unknown variable{plural} {_names(self.names)} for {place}"
        guesses = [
            guess
            for name in self.names
            for guess in difflib.get_close_matches(name, self.known, n=1)
        ]
        if guesses:
            reason += f" (did you mean {_names(guesses)}?)"
        known_text = _names(self.known) if self.known else "none"
        super().__init__(
            reason, f"{reason}; known: {known_text}; remove it or pass allow_extra=True"
        )


class ContextBudgetError(PromptsError):
    """The messages a `ContextWindow` must keep do not fit its token budget.

    ``needed`` is what the kept messages (plus the smallest summary, when one is needed) take;
    ``budget`` is ``max_tokens``.

    Example:
        >>> error = ContextBudgetError("system messages need 900 tokens", needed=900, budget=512)
        >>> (error.needed, error.budget)
        (900, 512)
    """

    def __init__(self, reason: str, *, needed: int, budget: int) -> None:
        self.needed = needed
        self.budget = budget
        super().__init__(reason)


class GuardrailViolation(PromptsError):
    """Text or tool arguments with hits whose policy is ``block``; lists them, values masked.

    Example:
        >>> Guardrails(policies={"secret": "block"}).redact("key AKIA" + "IOSFODNN7EXAMPLE")
        Traceback (most recent call last):
        ...
        mxp_agents.prompts._errors.GuardrailViolation: blocked by guardrails: aws_access_key \
'AKIA…MPLE' at line 1, column 5
    """

    def __init__(self, hits: Sequence[GuardrailHit]) -> None:
        self.hits = tuple(hits)
        described = "; ".join(hit.describe() for hit in self.hits)
        super().__init__(f"blocked by guardrails: {described}")

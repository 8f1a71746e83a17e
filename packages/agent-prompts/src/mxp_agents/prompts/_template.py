"""`PromptTemplate`: a ``{{ name }}`` template parsed once and rendered strictly."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Final, NoReturn

from mxp_agents.prompts._errors import (
    InvalidArgument,
    MissingVariableError,
    TemplateSyntaxError,
    UnknownVariableError,
)
from mxp_agents.prompts._template_parse import Placeholder, Source, normalise_newlines, parse

__all__ = ["PromptTemplate"]

_ROOT: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NO_DEFAULTS: Final[Mapping[str, object]] = MappingProxyType({})


class PromptTemplate:
    """A prompt template with ``{{ name }}`` placeholders, parsed once at construction.

    * Placeholders: ``{{ name }}`` or ``{{ user.name }}`` (spaces inside the braces are fine);
      a dotted segment reads a mapping key, a sequence index (``items.0``) or a public
      attribute. Values are rendered with ``str()``.
    * Escaping: ``{{{{`` renders a literal ``{{`` (see `escape`); ``}}`` and single braces are
      always literal. ``\\r\\n`` and ``\\r`` in the source become ``\\n``; values are used as is.
    * Variables: with ``required=None`` every placeholder's root name is required unless it has
      a default in ``optional``. Given ``required=...``, every placeholder must be declared in
      ``required`` or ``optional`` (a typo in the template is then an error). Declaring a name no
      placeholder uses is an error too.
    * Strict: a missing variable raises `MissingVariableError` (name, template, line, column);
      a variable the template does not use raises `UnknownVariableError` unless
      ``allow_extra=True``.

    Raises:
        TemplateSyntaxError: the source does not parse or disagrees with the declarations.

    Example:
        >>> template = PromptTemplate(
        ...     "Hello {{ user.name }}, answer in {{ language }}.",
        ...     name="greeting",
        ...     optional={"language": "English"},
        ... )
        >>> template.render(user={"name": "Ada"})
        'Hello Ada, answer in English.'
    """

    __slots__ = (
        "_allow_extra",
        "_name",
        "_optional",
        "_parts",
        "_placeholders",
        "_required",
        "_source",
        "_static",
        "_variable_set",
        "_variables",
    )

    def __init__(
        self,
        source: str,
        *,
        name: str = "template",
        required: Iterable[str] | None = None,
        optional: Mapping[str, object] | None = None,
        allow_extra: bool = False,
    ) -> None:
        if not isinstance(source, str):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidArgument(f"a template source is a str, got {type(source).__name__}")
        self._name = name
        self._source = normalise_newlines(source)
        self._parts: Source = parse(self._source, name)
        self._placeholders = tuple(part for part in self._parts if isinstance(part, Placeholder))
        self._allow_extra = allow_extra
        defaults = dict(optional) if optional is not None else {}
        self._optional = MappingProxyType(defaults) if defaults else _NO_DEFAULTS
        roots = tuple(dict.fromkeys(placeholder.root for placeholder in self._placeholders))
        self._required = self._declare(roots, required, defaults)
        self._variables = roots
        self._variable_set = frozenset(roots)
        static = all(isinstance(part, str) for part in self._parts)
        self._static = (
            "".join(part for part in self._parts if isinstance(part, str)) if static else None
        )

    def _declare(
        self, roots: tuple[str, ...], required: Iterable[str] | None, defaults: Mapping[str, object]
    ) -> tuple[str, ...]:
        declared = tuple(required) if required is not None else None
        for variable in (*(declared or ()), *defaults):
            if not isinstance(variable, str) or _ROOT.fullmatch(variable) is None:  # pyright: ignore[reportUnnecessaryIsInstance]
                self._fail(
                    f"declared variable {variable!r} is not a valid name",
                    "use [A-Za-z_][A-Za-z0-9_]*",
                )
        both = [variable for variable in declared or () if variable in defaults]
        if both:
            self._fail(f"variable {both[0]!r} is declared both required and optional", None)
        unused = [name for name in (*(declared or ()), *defaults) if name not in roots]
        if unused:
            self._fail(f"declared variable {unused[0]!r} is not used by any placeholder", None)
        if declared is None:
            return tuple(root for root in roots if root not in defaults)
        for placeholder in self._placeholders:
            if placeholder.root not in declared and placeholder.root not in defaults:
                raise TemplateSyntaxError(
                    f"placeholder {placeholder.name!r} is not declared",
                    template=self._name,
                    line=placeholder.line,
                    column=placeholder.column,
                    hint="add it to required= or optional=, or fix its spelling",
                )
        return tuple(root for root in roots if root in declared)

    def _fail(self, reason: str, hint: str | None) -> NoReturn:
        raise TemplateSyntaxError(reason, template=self._name, hint=hint)

    @property
    def name(self) -> str:
        """The template's name, used in error messages.

        Example:
            >>> PromptTemplate("x", name="task").name
            'task'
        """
        return self._name

    @property
    def source(self) -> str:
        """The template source, with line endings normalised to ``\\n``.

        Example:
            >>> PromptTemplate("a\\r\\nb").source
            'a\\nb'
        """
        return self._source

    @property
    def variables(self) -> tuple[str, ...]:
        """Every variable (root name) the template uses, in order of first use.

        Example:
            >>> PromptTemplate("{{ b }} {{ a.x }} {{ b }}").variables
            ('b', 'a')
        """
        return self._variables

    @property
    def required(self) -> tuple[str, ...]:
        """The variables ``render`` must be given, in order of first use.

        Example:
            >>> PromptTemplate("{{ a }} {{ b }}", optional={"b": 1}).required
            ('a',)
        """
        return self._required

    @property
    def optional(self) -> Mapping[str, object]:
        """The optional variables and their defaults (read-only).

        Example:
            >>> dict(PromptTemplate("{{ b }}", optional={"b": 1}).optional)
            {'b': 1}
        """
        return self._optional

    @property
    def placeholders(self) -> tuple[Placeholder, ...]:
        """Every placeholder in source order, with its line and column.

        Example:
            >>> PromptTemplate("a\\n  {{ x }}").placeholders[0][3:]
            (2, 3)
        """
        return self._placeholders

    @property
    def allow_extra(self) -> bool:
        """Whether ``render`` ignores variables the template does not use.

        Example:
            >>> PromptTemplate("x", allow_extra=True).allow_extra
            True
        """
        return self._allow_extra

    def render(self, values: Mapping[str, object] | None = None, /, **kwargs: object) -> str:
        """The template filled with ``values`` and/or keyword arguments.

        Raises:
            MissingVariableError: a required variable or a dotted key is missing.
            UnknownVariableError: a variable the template does not use (strict mode).
            InvalidArgument: a variable given both in ``values`` and as a keyword.

        Example:
            >>> PromptTemplate("{{ a }}+{{ b }}").render({"a": 1}, b=2)
            '1+2'
        """
        given: Mapping[str, object]
        if values is None:
            given = kwargs
        elif kwargs:
            merged = dict(values)
            for key in kwargs:
                if key in merged:
                    raise InvalidArgument(f"variable {key!r} is given twice (mapping and keyword)")
            merged.update(kwargs)
            given = merged
        else:
            given = values
        if not self._allow_extra:
            variables = self._variable_set
            for key in given:
                if key not in variables:
                    extras = [str(name) for name in given if name not in variables]
                    raise UnknownVariableError(extras, template=self._name, known=self._variables)
        return self.fill(given)

    def fill(self, given: Mapping[str, object]) -> str:
        """Render with ``given``, ignoring keys the template does not use (no extras check).

        Used by `PromptStack`, which checks extras across all its layers.

        Example:
            >>> PromptTemplate("{{ a }}").fill({"a": 1, "zzz": 2})
            '1'
        """
        for root in self._required:
            if root not in given:
                self._missing(given)
        if self._static is not None:
            return self._static
        optional = self._optional
        out: list[str] = []
        for part in self._parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = given[part.root] if part.root in given else optional[part.root]
            if part.path:
                value = self._resolve(value, part)
            out.append(value if type(value) is str else str(value))
        return "".join(out)

    def _missing(self, given: Mapping[str, object]) -> NoReturn:
        missing = [root for root in self._required if root not in given]
        first = next(p for p in self._placeholders if p.root == missing[0])
        raise MissingVariableError(
            missing, template=self._name, line=first.line, column=first.column
        )

    def _resolve(self, value: object, placeholder: Placeholder) -> object:
        current = value
        for index, segment in enumerate(placeholder.path):
            found, current = _step(current, segment)
            if not found:
                parent = ".".join((placeholder.root, *placeholder.path[:index]))
                dotted = f"{parent}.{segment}"
                raise MissingVariableError(
                    (dotted,),
                    template=self._name,
                    line=placeholder.line,
                    column=placeholder.column,
                    detail=f"{parent!r} has no key, index or attribute {segment!r}",
                )
        return current

    def __repr__(self) -> str:
        return f"PromptTemplate(name={self._name!r}, variables={self._variables!r})"


def _step(value: object, segment: str) -> tuple[bool, object]:
    if isinstance(value, Mapping):
        mapping: Mapping[object, object] = value  # pyright: ignore[reportUnknownVariableType]
        if segment in mapping:
            return True, mapping[segment]
        return False, None
    if segment.isdigit() and isinstance(value, Sequence) and not isinstance(value, str | bytes):
        items: Sequence[object] = value  # pyright: ignore[reportUnknownVariableType]
        position = int(segment)
        return (True, items[position]) if position < len(items) else (False, None)
    if segment.startswith("_"):
        return False, None
    try:
        return True, getattr(value, segment)
    except AttributeError:
        return False, None

"""Parsing template sources into literal text and placeholders, once, with positions.

Syntax: ``{{ name }}`` (spaces or tabs inside the braces allowed) where ``name`` is
``[A-Za-z_][A-Za-z0-9_]*`` optionally followed by dotted segments ``.[A-Za-z0-9_]+``.
``{{{{`` is a literal ``{{``; every other character (single braces, ``}}``) is literal.
Line endings are normalised to ``\\n`` before parsing.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from mxp_agents.prompts._errors import TemplateSyntaxError

__all__ = ["Placeholder", "Source", "escape", "normalise_newlines", "parse"]

_NAME: Final = re.compile(r"[ \t]*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)[ \t]*")
_NEWLINES: Final = re.compile(r"\r\n?")
_ESCAPE_HINT: Final = "write a literal '{{' as '{{{{'"


class Placeholder(NamedTuple):
    """One ``{{ name }}`` of a template: its dotted name, root variable and 1-based position.

    Example:
        >>> parse("Hi {{ user.name }}", "t")[1]
        Placeholder(name='user.name', root='user', path=('name',), line=1, column=4)
    """

    name: str
    root: str
    path: tuple[str, ...]
    line: int
    column: int


Source = tuple[str | Placeholder, ...]
"""A parsed template: literal strings and placeholders, in order."""


def normalise_newlines(text: str) -> str:
    """``text`` with ``\\r\\n`` and lone ``\\r`` turned into ``\\n``.

    Example:
        >>> normalise_newlines("a\\r\\nb\\rc")
        'a\\nb\\nc'
    """
    return _NEWLINES.sub("\n", text) if "\r" in text else text


def _position(source: str, offset: int) -> tuple[int, int]:
    line = source.count("\n", 0, offset) + 1
    column = offset - (source.rfind("\n", 0, offset) + 1) + 1
    return line, column


def _error(source: str, offset: int, template: str, reason: str, hint: str) -> TemplateSyntaxError:
    line, column = _position(source, offset)
    return TemplateSyntaxError(reason, template=template, line=line, column=column, hint=hint)


def parse(source: str, template: str) -> Source:
    """Split a (newline-normalised) ``source`` into literal strings and `Placeholder`s.

    Adjacent literals are merged and empty ones left out.

    Raises:
        TemplateSyntaxError: an unclosed ``{{``, an empty placeholder or an invalid name,
            with the line and column of the ``{{``.

    Example:
        >>> parse("{{{{ {{ x }} }}", "t")
        ('{{ ', Placeholder(name='x', root='x', path=(), line=1, column=6), ' }}')
    """
    parts: list[str | Placeholder] = []
    literal: list[str] = []
    position = 0
    while True:
        start = source.find("{{", position)
        if start < 0:
            literal.append(source[position:])
            break
        literal.append(source[position:start])
        if source.startswith("{{{{", start):
            literal.append("{{")
            position = start + 4
            continue
        end = source.find("}}", start + 2)
        inner = source[start + 2 : end] if end >= 0 else ""
        if end < 0 or "\n" in inner or "{{" in inner:
            raise _error(
                source, start, template, "unclosed '{{'", f"close it with '}}}}' or {_ESCAPE_HINT}"
            )
        match = _NAME.fullmatch(inner)
        if match is None:
            stripped = inner.strip()
            reason = "empty placeholder" if not stripped else f"invalid placeholder {stripped!r}"
            hint = f"names look like 'name' or 'user.name'; {_ESCAPE_HINT}"
            raise _error(source, start, template, reason, hint)
        text = "".join(literal)
        if text:
            parts.append(text)
        literal.clear()
        name = match.group(1)
        root, *path = name.split(".")
        line, column = _position(source, start)
        parts.append(Placeholder(name, root, tuple(path), line, column))
        position = end + 2
    text = "".join(literal)
    if text:
        parts.append(text)
    return tuple(parts)


def escape(text: str) -> str:
    """``text`` as a template source that renders to exactly ``text`` (``{{`` → ``{{{{``).

    Example:
        >>> escape("use {{ x }} here")
        'use {{{{ x }} here'
    """
    return text.replace("{{", "{{{{")

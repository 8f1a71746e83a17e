"""Google-style docstrings: the description, the ``Args:`` entries and the ``Returns:`` text."""

from __future__ import annotations

import inspect
import re
from typing import Final, NamedTuple

__all__ = ["ParsedDocstring", "parse_docstring"]

_ARG_SECTIONS: Final = frozenset(
    {"args", "arguments", "parameters", "params", "keyword args", "keyword arguments"}
)
_RETURN_SECTIONS: Final = frozenset({"returns", "return"})
_OTHER_SECTIONS: Final = frozenset(
    {
        "raises", "yields", "yield", "example", "examples", "note", "notes", "attributes",
        "see also", "warning", "warnings", "references", "todo", "methods",
    }
)  # fmt: skip
_HEADER: Final = re.compile(r"(?P<title>[A-Za-z][A-Za-z ]*):\s*")
_ENTRY: Final = re.compile(r"(?P<name>\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:(?P<text>.*)")


class ParsedDocstring(NamedTuple):
    """What a docstring says: ``description`` (text before the first section), ``arguments``
    (name → description, from ``Args:``) and ``returns`` (the ``Returns:`` text, or None).

    Example:
        >>> parse_docstring("Add.\\n\\nArgs:\\n    a: First.\\n").arguments
        {'a': 'First.'}
    """

    description: str
    arguments: dict[str, str]
    returns: str | None


def parse_docstring(doc: str | None) -> ParsedDocstring:
    """Parse a Google-style docstring; unknown sections are skipped, free text is description.

    Example:
        >>> parsed = parse_docstring('''Add two numbers.
        ...
        ... Args:
        ...     a (int): The first,
        ...         a whole number.
        ...     b: The second.
        ...
        ... Returns:
        ...     The sum.
        ... ''')
        >>> parsed.description, parsed.arguments["a"], parsed.returns
        ('Add two numbers.', 'The first, a whole number.', 'The sum.')
    """
    if not doc or not doc.strip():
        return ParsedDocstring("", {}, None)
    lines = inspect.cleandoc(doc).splitlines()
    description: list[str] = []
    arguments: dict[str, str] = {}
    returns: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        title = _section_title(line)
        if title is None:
            description.append(line)
            index += 1
            continue
        body, index = _section_body(lines, index + 1)
        if title in _ARG_SECTIONS:
            arguments.update(_entries(body))
        elif title in _RETURN_SECTIONS:
            returns.extend(part.strip() for part in body if part.strip())
    return ParsedDocstring(
        "\n".join(description).strip(), arguments, " ".join(returns) if returns else None
    )


def _section_title(line: str) -> str | None:
    if line[:1].isspace():
        return None
    match = _HEADER.fullmatch(line)
    if match is None:
        return None
    title = match["title"].strip().lower()
    known = title in _ARG_SECTIONS or title in _RETURN_SECTIONS or title in _OTHER_SECTIONS
    return title if known else None


def _section_body(lines: list[str], start: int) -> tuple[list[str], int]:
    """The indented lines after a header, and the index of the first line past them."""
    index = start
    while index < len(lines) and (not lines[index].strip() or lines[index][:1].isspace()):
        index += 1
    return lines[start:index], index


def _entries(body: list[str]) -> dict[str, str]:
    entries: dict[str, list[str]] = {}
    base_indent: int | None = None
    current: list[str] | None = None
    for line in body:
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if base_indent is None:
            base_indent = indent
        match = _ENTRY.fullmatch(line.strip()) if indent <= base_indent else None
        if match is not None:
            current = entries.setdefault(match["name"].lstrip("*"), [])
            if match["text"].strip():
                current.append(match["text"].strip())
        elif current is not None:
            current.append(line.strip())
    return {name: " ".join(parts) for name, parts in entries.items()}

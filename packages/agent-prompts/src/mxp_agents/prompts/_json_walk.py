"""Walking the string leaves of JSON-like values (dicts, lists, tuples) with their JSON paths.

The walk is iterative (deep nesting cannot overflow the stack) and visits leaves depth-first
in key and index order. Mapping keys are not scanned; values other than mappings, lists,
tuples and strings are left as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

import msgspec

__all__ = ["child_path", "map_strings", "string_leaves"]

_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_quote: Final = msgspec.json.Encoder().encode


def child_path(parent: str, key: object) -> str:
    """The JSON path of ``parent``'s item ``key``: ``$.a``, ``$[0]`` or ``$["a b"]``.

    Example:
        >>> child_path("$", "args"), child_path("$.to", 0), child_path("$", "two words")
        ('$.args', '$.to[0]', '$["two words"]')
    """
    if isinstance(key, int) and not isinstance(key, bool):
        return f"{parent}[{key}]"
    name = key if isinstance(key, str) else str(key)
    if _IDENTIFIER.fullmatch(name):
        return f"{parent}.{name}"
    return f"{parent}[{_quote(name).decode()}]"


def _children(value: object) -> list[tuple[object, object]] | None:
    if isinstance(value, Mapping):
        mapping: Mapping[object, object] = value  # pyright: ignore[reportUnknownVariableType]
        return list(mapping.items())
    if isinstance(value, list | tuple):
        items: list[object] | tuple[object, ...] = value  # pyright: ignore[reportUnknownVariableType]
        return list(enumerate(items))
    return None


def string_leaves(value: object, root: str = "$") -> Iterator[tuple[str, str]]:
    """Every ``(path, string)`` leaf of ``value``, depth-first in key and index order.

    Example:
        >>> list(string_leaves({"a": ["x", 1, {"b": "y"}]}))
        [('$.a[0]', 'x'), ('$.a[2].b', 'y')]
    """
    stack: list[tuple[str, object]] = [(root, value)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, str):
            yield path, node
            continue
        children = _children(node)
        if children is not None:
            stack.extend((child_path(path, key), child) for key, child in reversed(children))


def map_strings(value: object, change: Callable[[str, str], str], root: str = "$") -> Any:
    """A copy of ``value`` with every string leaf replaced by ``change(path, string)``.

    Mappings become dicts (same key order), lists stay lists and tuples stay tuples; other
    values are kept as they are. ``change`` is called in `string_leaves` order.

    Example:
        >>> map_strings({"a": ("x", 2)}, lambda path, text: text.upper())
        {'a': ('X', 2)}
    """
    holder: list[Any] = [None]
    tuples: list[tuple[Any, Any]] = []
    stack: list[tuple[str, object, Any, Any]] = [(root, value, holder, 0)]
    while stack:
        path, node, parent, slot = stack.pop()
        if isinstance(node, str):
            parent[slot] = change(path, node)
            continue
        children = _children(node)
        if children is None:
            parent[slot] = node
            continue
        copy: Any = (
            dict.fromkeys(key for key, _ in children)
            if isinstance(node, Mapping)
            else [None] * len(children)
        )
        parent[slot] = copy
        if isinstance(node, tuple):
            tuples.append((parent, slot))
        stack.extend((child_path(path, key), child, copy, key) for key, child in reversed(children))
    for parent, slot in reversed(tuples):
        parent[slot] = tuple(parent[slot])
    return holder[0]

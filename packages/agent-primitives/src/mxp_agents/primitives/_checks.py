"""Small checks shared by the validating types: type names, lengths, blank text, quoting."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mxp_agents.primitives._errors import InvalidValue

__all__ = ["kind_of", "quote", "require_bool", "require_str", "require_text", "utf8_len"]

_QUOTE_LIMIT = 80


def kind_of(value: object) -> str:
    """The kind of ``value`` as msgspec names it: ``null``, ``array``, ``object`` or the type.

    Example:
        >>> kind_of(None), kind_of([1]), kind_of({}), kind_of(3)
        ('null', 'array', 'object', 'int')
    """
    if value is None:
        return "null"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def quote(text: str) -> str:
    """``repr(text)``, cut to a readable length for error messages.

    Example:
        >>> quote("a" * 100)[-5:]
        "a...'"
    """
    if len(text) <= _QUOTE_LIMIT:
        return repr(text)
    return repr(text[: _QUOTE_LIMIT - 3])[:-1] + "...'"


def utf8_len(text: str) -> int:
    """Length of ``text`` in UTF-8 bytes, the unit the Rust runtime's limits count.

    Example:
        >>> utf8_len("héllo")
        6
    """
    return len(text.encode("utf-8", "surrogatepass"))


def require_str(value: object, path: str, error: type[InvalidValue]) -> str:
    """``value`` if it is a str, else raise ``error`` naming the kind found at ``path``.

    Example:
        >>> require_str("x", "$.name", InvalidValue)
        'x'
    """
    if not isinstance(value, str):
        raise error(f"expected str, got {kind_of(value)}", path)
    return value


def require_bool(value: object, path: str, error: type[InvalidValue]) -> bool:
    """``value`` if it is a bool, else raise ``error`` naming the kind found at ``path``.

    Example:
        >>> require_bool(True, "$.is_error", InvalidValue)
        True
    """
    if not isinstance(value, bool):
        raise error(f"expected bool, got {kind_of(value)}", path)
    return value


def require_text(value: object, path: str, error: type[InvalidValue], what: str) -> str:
    """``value`` if it is a non-blank str, else raise ``error`` (``<what> cannot be empty``).

    Example:
        >>> require_text("Planner", "$.name", InvalidValue, "name")
        'Planner'
    """
    text = require_str(value, path, error)
    if not text.strip():
        raise error(f"{what} cannot be empty", path)
    return text

"""Small checks used by the validating Structs of this package; errors are `InvalidModelValue`."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TypeVar

from mxp_agents.adapters._errors import InvalidModelValue
from mxp_agents.primitives import kind_of

__all__ = ["kind_of", "require_number", "require_str", "tuple_of"]

T = TypeVar("T")


def require_str(value: object, path: str, *, blank: bool = True) -> str:
    """``value`` if it is a str (not blank unless ``blank``), else `InvalidModelValue`.

    Example:
        >>> require_str("x", "$.stop[0]", blank=False)
        'x'
    """
    if not isinstance(value, str):
        raise InvalidModelValue(f"expected str, got {kind_of(value)}", path)
    if not blank and not value.strip():
        raise InvalidModelValue("cannot be empty", path)
    return value


def require_number(value: object, path: str) -> float:
    """``value`` as a float if it is a finite int or float (not a bool), else `InvalidModelValue`.

    Example:
        >>> require_number(1, "$.temperature")
        1.0
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidModelValue(f"expected float, got {kind_of(value)}", path)
    number = float(value)
    if not math.isfinite(number):
        raise InvalidModelValue(f"expected a finite number, got {number}", path)
    return number


def tuple_of(value: object, item_type: type[T], path: str) -> tuple[T, ...]:
    """``value`` as a tuple of ``item_type`` (any array-like iterable), else `InvalidModelValue`.

    Example:
        >>> tuple_of(["a", "b"], str, "$.stop")
        ('a', 'b')
    """
    items: tuple[object, ...]
    if type(value) is tuple:
        items = value  # pyright: ignore[reportUnknownVariableType]
    elif isinstance(value, str | bytes | bytearray | Mapping) or not isinstance(value, Iterable):
        raise InvalidModelValue(f"expected array, got {kind_of(value)}", path)  # pyright: ignore[reportUnknownArgumentType]
    else:
        items = tuple(value)  # pyright: ignore[reportUnknownArgumentType, reportUnknownVariableType]
    for index, item in enumerate(items):
        if not isinstance(item, item_type):
            expected = item_type.__name__
            raise InvalidModelValue(f"expected {expected}, got {kind_of(item)}", f"{path}[{index}]")
    return items  # pyright: ignore[reportReturnType]

"""Checking a model's arguments against a tool's arguments Struct, with path-annotated errors.

Conversion is strict in the way JSON is: an int is accepted for a float, a str in ISO format for a
datetime or UUID, a list for a tuple or set, an enum's value for the enum; but ``"1"`` is not an
int and ``1.0`` is not an int.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final, TypeVar

import msgspec

from mxp_agents.primitives import validation_error_parts
from mxp_agents.tools._errors import ToolArgumentsError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["convert_arguments"]

S = TypeVar("S", bound=msgspec.Struct)

_UNKNOWN: Final = re.compile(r"object contains unknown field '(?P<name>[^']*)'")
_MISSING: Final = re.compile(r"object missing required field '(?P<name>[^']*)'")


def convert_arguments(arguments: Mapping[str, Any], args_type: type[S]) -> S:
    """``arguments`` (a JSON object's worth of builtins) as an instance of ``args_type``.

    Raises:
        ToolArgumentsError: in the SDK's wording, for example ``expected int, got str - at $.a``,
            ``unknown argument 'x' - at $.x`` or ``missing required argument 'a'``.

    Example:
        >>> Args = msgspec.defstruct("Args", [("a", int)], forbid_unknown_fields=True)
        >>> convert_arguments({"a": "1"}, Args)
        Traceback (most recent call last):
        ...
        mxp_agents.tools._errors.ToolArgumentsError: expected int, got str - at $.a
    """
    try:
        return msgspec.convert(arguments, args_type, strict=True)
    except msgspec.ValidationError as error:
        raise _arguments_error(error) from None


def _arguments_error(error: msgspec.ValidationError) -> ToolArgumentsError:
    reason, path = validation_error_parts(error)
    unknown = _UNKNOWN.fullmatch(reason)
    if unknown is not None:
        name = unknown["name"]
        what = "argument" if path == "$" else "field"
        return ToolArgumentsError(f"unknown {what} {name!r}", _join(path, name))
    missing = _MISSING.fullmatch(reason)
    if missing is not None:
        name = missing["name"]
        if path == "$":
            return ToolArgumentsError(f"missing required argument {name!r}")
        return ToolArgumentsError(f"missing required field {name!r}", path)
    return ToolArgumentsError(reason, None if path == "$" else path)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if name.isidentifier() else f"{path}[{name!r}]"

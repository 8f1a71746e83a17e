"""Converting one raw value (a TOML or Python object, or env text) to its field's type.

Failures raise `ConfigValueError` whose path is relative to the value (``$`` or ``$[1]``); the
layer readers move it under the field's path and add the source. Errors are raised outside
``except`` blocks so no chained exception can carry the raw value along.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import re
from typing import Any, Final

import msgspec

from mxp_agents.config._duration import DURATION_HELP, duration_from_text
from mxp_agents.config._errors import ConfigValueError
from mxp_agents.config._hooks import config_dec_hook
from mxp_agents.config._secret import Secret
from mxp_agents.config._types import json_kind, kind_of, split_optional
from mxp_agents.primitives import validation_error_parts

__all__ = ["convert_object", "convert_text"]

_TRUE: Final = frozenset({"true", "1", "yes", "on"})
_FALSE: Final = frozenset({"false", "0", "no", "off"})
_NULL: Final = frozenset({"", "null", "none"})
_INT: Final = re.compile(r"[+-]?\d+")


def convert_object(value: object, tp: Any) -> object:
    """``value`` (from TOML or overrides) converted to the field type ``tp``.

    Strings become durations for `datetime.timedelta` fields, numbers count seconds.

    Example:
        >>> convert_object("30s", dt.timedelta)
        datetime.timedelta(seconds=30)
    """
    base, nullable = split_optional(tp)
    if base is dt.timedelta and not (nullable and value is None):
        value = _duration(value)
    reason_path: tuple[str, str] | None = None
    try:
        return msgspec.convert(value, tp, dec_hook=config_dec_hook)
    except msgspec.ValidationError as error:
        reason_path = validation_error_parts(error)
    raise ConfigValueError(*reason_path)


def convert_text(text: str, tp: Any) -> object:
    """Env variable ``text`` converted to the field type ``tp``, read the way its type suggests.

    bool: true/false, yes/no, on/off, 1/0; int and float: numbers; timedelta: durations;
    lists, sets, tuples, dicts and Structs: JSON text; ``X | None``: empty, ``null`` or ``none``
    for None (unless X is text-like); str, Secret and paths: the text as is; anything else
    (enums, literals, datetimes, UUIDs...) as msgspec reads it from a string.

    Example:
        >>> convert_text("yes", bool), convert_text("[1, 2]", list[int])
        (True, [1, 2])
    """
    base, nullable = split_optional(tp)
    kind = json_kind(base)
    text_like = _is_text_like(base)
    if nullable and not text_like and text.strip().lower() in _NULL:
        return None
    if text_like:
        return convert_object(text, tp)
    if base is bool:
        return convert_object(_bool(text), tp)
    if base is int:
        return convert_object(_int(text), tp)
    if base is float:
        return convert_object(_float(text), tp)
    if base is dt.timedelta:
        return convert_object(_duration(text), tp)
    if kind is not None:
        return _from_json(text, tp, kind)
    return _lax(text, tp)


def _is_text_like(tp: object) -> bool:
    return tp is str or (isinstance(tp, type) and issubclass(tp, Secret | pathlib.PurePath))


def _bool(text: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ConfigValueError("expected bool, got str (use true/false, yes/no, on/off or 1/0)", "$")


def _int(text: str) -> int:
    if _INT.fullmatch(text.strip()):
        return int(text)
    raise ConfigValueError("expected int, got str", "$")


def _float(text: str) -> float:
    number: float | None = None
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is None:
        raise ConfigValueError("expected float, got str", "$")
    return number


def _duration(value: object) -> object:
    if isinstance(value, str):
        duration = duration_from_text(value)
        if duration is None:
            raise ConfigValueError(f"expected duration, got str ({DURATION_HELP})", "$")
        return duration
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.timedelta(seconds=value)
    if isinstance(value, dt.timedelta):
        return value
    raise ConfigValueError(f"expected duration, got {kind_of(value)} ({DURATION_HELP})", "$")


def _from_json(text: str, tp: Any, kind: str) -> object:
    failure: tuple[str, str] | None = None
    try:
        return msgspec.json.decode(text, type=tp, dec_hook=config_dec_hook)
    except msgspec.ValidationError as error:
        failure = validation_error_parts(error)
    except msgspec.DecodeError as error:
        detail = str(error)
        failure = (f"expected JSON {kind}, got str that is not valid JSON ({detail})", "$")
    raise ConfigValueError(*failure)


def _lax(text: str, tp: Any) -> object:
    failure: tuple[str, str] | None = None
    try:
        return msgspec.convert(text, tp, strict=False, dec_hook=config_dec_hook)
    except msgspec.ValidationError as error:
        failure = validation_error_parts(error)
    raise ConfigValueError(*failure)

"""JSON encoding and decoding of the shared types, with errors in the SDK's path format."""

from __future__ import annotations

import functools
import re
from typing import Any, Final, TypeVar

import msgspec

from mxp_agents.primitives._errors import DecodeError, InvalidValue

__all__ = ["from_json", "to_json", "validation_error_parts"]

T = TypeVar("T")

_encoder: Final = msgspec.json.Encoder()
_AT_PATH: Final = re.compile(r"(?s)(?P<reason>.*) - at `(?P<path>\$[^`]*)`")
_FIELD_NAME: Final = re.compile(r"field `([^`]*)`")


def to_json(value: object) -> bytes:
    """Encode ``value`` (a Struct, or builtins holding Structs) as compact JSON.

    Example:
        >>> to_json(Usage(input_tokens=1))
        b'{"input_tokens":1,"output_tokens":0,"cached_input_tokens":0,"reasoning_tokens":0}'
    """
    return _encoder.encode(value)


def from_json(data: bytes | str, type: type[T]) -> T:
    """Decode JSON into ``type``, running the type's validation rules.

    Raises:
        DecodeError: the text is not JSON or does not fit ``type``
            (``expected str, got int - at $.content``).
        InvalidValue: a subclass such as `InvalidCapability` when a value breaks a rule, with
            its full path (``scope cannot be empty - at $.capabilities[0].scopes[1]``).

    Example:
        >>> from_json(b'{"role": "user", "content": "hi"}', Message).content
        'hi'
    """
    try:
        return _decoder(type).decode(data)
    except msgspec.ValidationError as error:
        reason, path = validation_error_parts(error)
        cause = error.__cause__
        if isinstance(cause, InvalidValue):
            raise cause.at(path) from None
        raise DecodeError(reason, path) from None
    except msgspec.DecodeError as error:
        raise DecodeError(f"invalid JSON: {_lower_first(str(error))}") from None


def validation_error_parts(error: msgspec.ValidationError) -> tuple[str, str]:
    """Split a msgspec validation error into ``(reason, path)`` in the SDK's wording.

    msgspec's ``Expected `int`, got `str` - at `$.a[0]``` becomes
    ``("expected int, got str", "$.a[0]")``; an error at the root has the path ``"$"``.

    Example:
        >>> try:
        ...     msgspec.convert({"a": ["x"]}, dict[str, list[int]])
        ... except msgspec.ValidationError as error:
        ...     validation_error_parts(error)
        ('expected int, got str', '$[...][0]')
    """
    text = str(error)
    match = _AT_PATH.fullmatch(text)
    reason, path = (match["reason"], match["path"]) if match else (text, "$")
    if isinstance(error.__cause__, ValueError | TypeError):
        return reason, path  # the text of a validation hook, kept as its author wrote it
    reason = _FIELD_NAME.sub(r"field '\1'", reason).replace("`", "")
    return _lower_first(reason), path


def _lower_first(text: str) -> str:
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


@functools.cache
def _decoder(type: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(type)

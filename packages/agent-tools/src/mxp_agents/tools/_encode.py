"""A tool's return value as the text the model reads."""

from __future__ import annotations

from typing import Final

import msgspec

from mxp_agents.config import config_enc_hook
from mxp_agents.tools._errors import ToolReturnError

__all__ = ["encode_return"]

_encoder: Final = msgspec.json.Encoder(enc_hook=config_enc_hook)


def encode_return(value: object, tool: str) -> str:
    """``value`` as text: a str as it is, anything else as JSON (None is ``"null"``).

    Structs, dataclasses, enums, datetimes, UUIDs, sets and paths encode as msgspec does;
    a `Secret` is written as its mask, never its value.

    Raises:
        ToolReturnError: the value (or something inside it) cannot be encoded; names its type.

    Example:
        >>> encode_return({"sum": 3}, "add"), encode_return("done", "add")
        ('{"sum":3}', 'done')
        >>> encode_return(None, "add")
        'null'
    """
    if type(value) is str:
        return value
    try:
        return _encoder.encode(value).decode()
    except (TypeError, ValueError, OverflowError) as error:
        raise ToolReturnError(tool, str(error)) from None

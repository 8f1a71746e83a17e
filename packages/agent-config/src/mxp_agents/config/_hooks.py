"""msgspec hooks for config types (`Secret`, paths) and `dump_config`."""

from __future__ import annotations

import pathlib
from typing import Any, cast

import msgspec

from mxp_agents.config._secret import MASK, Secret
from mxp_agents.config._types import kind_of

__all__ = ["config_dec_hook", "config_enc_hook", "dump_config"]


def config_dec_hook(tp: object, obj: object) -> object:
    """msgspec ``dec_hook`` that builds `Secret` and `pathlib` paths from strings.

    Pass it to ``msgspec.convert`` / ``msgspec.json.decode`` when decoding a config type
    yourself (the loader already does).

    Example:
        >>> msgspec.convert("sk-1", Secret, dec_hook=config_dec_hook)
        Secret('**********')
    """
    if tp is Secret:
        if isinstance(obj, Secret):
            return obj
        if isinstance(obj, str):
            return Secret(obj)
        raise TypeError(f"expected str, got {kind_of(obj)}")
    if isinstance(tp, type) and issubclass(tp, pathlib.PurePath):
        if isinstance(obj, str | pathlib.PurePath):
            return tp(obj)
        raise TypeError(f"expected str, got {kind_of(obj)}")
    if isinstance(tp, type) and isinstance(obj, tp):
        return obj
    raise TypeError(f"expected {getattr(tp, '__name__', tp)}, got {kind_of(obj)}")


def config_enc_hook(obj: object) -> object:
    """msgspec ``enc_hook`` that writes a `Secret` as ``"**********"`` and a path as its text.

    Example:
        >>> msgspec.json.encode({"key": Secret("sk-1")}, enc_hook=config_enc_hook)
        b'{"key":"**********"}'
    """
    if isinstance(obj, Secret):
        return MASK
    if isinstance(obj, pathlib.PurePath):
        return str(obj)
    raise TypeError(f"cannot encode objects of type {type(obj).__name__}")


def dump_config(config: msgspec.Struct) -> dict[str, Any]:
    """A loaded config as plain builtins (for display or JSON), every `Secret` masked.

    Example:
        >>> dump_config(AppConfig(kernel=KernelConfig(api_key=Secret("sk-1"))))  # doctest: +SKIP
        {'kernel': {'workers': 4, 'api_key': '**********'}}
    """
    return cast("dict[str, Any]", msgspec.to_builtins(config, enc_hook=config_enc_hook))

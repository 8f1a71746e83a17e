"""Resolving ``package.module:attribute`` entry points, with errors that say what to fix."""

from __future__ import annotations

import importlib
import re
import sys
from typing import TYPE_CHECKING, Final

from mxp_agents.cli._errors import SpecError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["ENTRY_POINT", "is_entry_point", "resolve_entry_point"]

ENTRY_POINT: Final = re.compile(r"[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
"""The form of an entry point: a dotted module path, a colon, a dotted attribute path."""


def is_entry_point(text: str) -> bool:
    """Whether ``text`` has the form ``package.module:attribute``.

    Example:
        >>> is_entry_point("mxp_agents.cli.tools:calculator"), is_entry_point("agent.toml")
        (True, False)
    """
    return ENTRY_POINT.fullmatch(text) is not None


def resolve_entry_point(text: str, *, where: str, search: tuple[Path, ...] = ()) -> object:
    """The object ``text`` names; ``where`` says where it was given (for error messages).

    ``search`` folders are put first on ``sys.path`` (once), so a module next to a spec file or
    in the working directory is found.

    Raises:
        SpecError: not of the form ``module:attribute``, the module cannot be imported, or it
            has no such attribute.

    Example:
        >>> resolve_entry_point("mxp_agents.cli.tools:calculator", where="--tool").name
        'calculator'
    """
    if not is_entry_point(text):
        raise SpecError(
            f"{where}: {text!r} is not an entry point; write it as 'package.module:attribute'"
        )
    for folder in reversed(search):
        entry = str(folder)
        if entry not in sys.path:
            sys.path.insert(0, entry)
    module_name, _, attribute = text.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name is not None and (
            module_name == error.name or module_name.startswith(error.name + ".")
        ):
            raise SpecError(
                f"{where}: cannot import {module_name!r} for {text!r}: no module named "
                f"{error.name!r}; check the name, install its package, or run from its folder"
            ) from None
        raise SpecError(
            f"{where}: importing {module_name!r} for {text!r} failed: {error}"
        ) from None
    except Exception as error:
        raise SpecError(
            f"{where}: importing {module_name!r} for {text!r} failed: "
            f"{type(error).__name__}: {error}"
        ) from error
    value: object = module
    for part in attribute.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise SpecError(
                f"{where}: {module_name!r} has no attribute {attribute!r} (from {text!r})"
            ) from None
    return value

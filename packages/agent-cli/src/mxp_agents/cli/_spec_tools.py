"""The tools of a spec: entry points naming a tool, a list of tools, or a factory of either."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mxp_agents.cli._entry_points import resolve_entry_point
from mxp_agents.cli._errors import SpecError
from mxp_agents.tools import Tool

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["resolve_tools"]


def resolve_tools(entries: list[str], *, where: str, search: tuple[Path, ...] = ()) -> list[Tool]:
    """The tools named by ``entries`` (``where`` locates them for error messages), in order.

    Each entry names a `Tool`, a list or tuple of tools, or a function taking no argument that
    returns either (``mxp_agents.cli.tools:file_reader``).

    Raises:
        SpecError: an entry cannot be imported, its factory fails, or it is not a tool; or two
            tools share a name.

    Example:
        >>> [tool.name for tool in resolve_tools(["mxp_agents.cli.tools:calculator"], where="x")]
        ['calculator']
    """
    tools: list[Tool] = []
    for index, entry in enumerate(entries):
        label = f"{where}: tools[{index}]"
        found = resolve_entry_point(entry, where=label, search=search)
        if isinstance(found, type) or (
            not isinstance(found, Tool | list | tuple) and callable(found)
        ):
            try:
                found = found()
            except Exception as error:
                raise SpecError(
                    f"{label}: calling {entry!r} failed: {type(error).__name__}: {error}"
                ) from error
        items: list[object] = list(found) if isinstance(found, list | tuple) else [found]  # pyright: ignore[reportUnknownArgumentType]
        for item in items:
            if not isinstance(item, Tool):
                raise SpecError(
                    f"{label}: {entry!r} gives a {type(item).__name__}, not a tool; name a "
                    "function decorated with @mxp_agents.tools.tool, a list of them, or a "
                    "function returning them"
                )
            tools.append(item)
    names = [tool.name for tool in tools]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise SpecError(f"{where}: tools: more than one tool is named {duplicates}")
    return tools

"""Reading a TOML config file, and finding the line where a key is set (for error messages)."""

from __future__ import annotations

import os
import re
import tomllib
from typing import TYPE_CHECKING, Any, Final

from mxp_agents.config._errors import ConfigFileError
from mxp_agents.config._source import Source

if TYPE_CHECKING:
    from mxp_agents.config._paths import KeyPath

__all__ = ["TomlFile", "read_toml"]

_POSITION: Final = re.compile(r"\s*\((?:at line (\d+), column (\d+)|at end of document)\)$")
_HEADER: Final = re.compile(r"\s*\[(?!\[)\s*([^\]]+?)\s*\]\s*(?:#.*)?")
_ARRAY_HEADER: Final = re.compile(r"\s*\[\[")
_KEY_PART: Final = r"(?:[A-Za-z0-9_-]+|\"(?:[^\"\\]|\\.)*\"|'[^']*')"
_KEY_LINE: Final = re.compile(rf"\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*=")
_PART_AT: Final = re.compile(r"\s*(?:([A-Za-z0-9_-]+)|\"((?:[^\"\\]|\\.)*)\"|'([^']*)')\s*")


class TomlFile:
    """A parsed TOML file: its data, its absolute path and a line finder for keys.

    Example:
        >>> toml = TomlFile("/srv/agent.toml", "[kernel]\\nworkers = 4\\n")
        >>> toml.data, toml.source_of(("kernel", "workers")).line
        ({'kernel': {'workers': 4}}, 2)
    """

    __slots__ = ("_lines", "data", "path")

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        text = text.removeprefix("\ufeff")
        self.data: dict[str, Any] = _parse(path, text)
        self._lines = _key_lines(text)

    def source_of(self, path: KeyPath) -> Source:
        """The `Source` of the value at ``path``, with its line when the line is easy to find.

        Example:
            >>> TomlFile("/a.toml", "x = 1").source_of(("x",)).line
            1
        """
        for length in range(len(path), 0, -1):
            line = self._lines.get(path[:length])
            if line is not None:
                return Source.file(self.path, line=line)
        return Source.file(self.path)


def read_toml(file: str | os.PathLike[str]) -> TomlFile:
    """Read and parse the TOML file ``file``.

    Raises:
        ConfigFileError: the file is missing, unreadable, not UTF-8 or not valid TOML; the
            message names the file (and the line, for syntax errors).

    Example:
        >>> read_toml("agent.toml").data  # doctest: +SKIP
        {'kernel': {'workers': 4}}
    """
    path = os.path.abspath(file)
    failure: ConfigFileError
    try:
        with open(path, "rb") as stream:
            raw = stream.read()
    except FileNotFoundError:
        failure = ConfigFileError(
            "config file not found",
            sources=(Source.file(path),),
            hint="check the path, or load without a file",
        )
    except IsADirectoryError:
        failure = ConfigFileError("config file is a directory", sources=(Source.file(path),))
    except OSError as error:
        reason = error.strerror or type(error).__name__
        failure = ConfigFileError(
            f"cannot read config file: {reason}", sources=(Source.file(path),)
        )
    else:
        return TomlFile(path, _text(path, raw))
    raise failure


def _text(path: str, raw: bytes) -> str:
    failure: ConfigFileError
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        failure = ConfigFileError(
            "config file is not valid UTF-8", sources=(Source.file(path, line=line),)
        )
    raise failure


def _parse(path: str, text: str) -> dict[str, Any]:
    failure: ConfigFileError
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        position = _POSITION.search(message)
        line = column = None
        if position is None or position[1] is None:
            line = text.count("\n") + 1 if position is not None else None
        else:
            line, column = int(position[1]), int(position[2])
        reason = message[: position.start()] if position else message
        reason = reason[:1].lower() + reason[1:]
        failure = ConfigFileError(
            f"invalid TOML: {reason}", sources=(Source.file(path, line=line, column=column),)
        )
    raise failure


def _key_lines(text: str) -> dict[KeyPath, int]:
    """Line numbers of keys assigned in ``text`` (best effort: plain tables and key lines)."""
    lines: dict[KeyPath, int] = {}
    table: KeyPath | None = ()
    in_multiline = False
    for number, line in enumerate(text.splitlines(), start=1):
        quotes = line.count('"""') + line.count("'''")
        if in_multiline:
            in_multiline = quotes % 2 == 0
            continue
        if _ARRAY_HEADER.match(line):
            table = None
        elif header := _HEADER.fullmatch(line):
            table = _split_key(header[1])
            if table is not None:
                lines.setdefault(table, number)
        elif table is not None and (key := _KEY_LINE.match(line)):
            parts = _split_key(key[1])
            if parts is not None:
                lines.setdefault((*table, *parts), number)
        in_multiline = quotes % 2 == 1
    return lines


def _split_key(text: str) -> KeyPath | None:
    parts: list[str] = []
    position = 0
    while True:
        match = _PART_AT.match(text, position)
        if match is None:
            return None
        parts.append(next(group for group in match.groups() if group is not None))
        position = match.end()
        if position == len(text):
            return tuple(parts)
        if text[position] != ".":
            return None
        position += 1

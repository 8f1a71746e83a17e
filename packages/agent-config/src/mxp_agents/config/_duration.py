"""Durations written as seconds (``1.5``), units (``30s``, ``1h30m``, ``250ms``) or ISO 8601."""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

import msgspec

from mxp_agents.config._errors import ConfigValueError

__all__ = ["DURATION_HELP", "duration_from_text", "parse_duration"]

DURATION_HELP: Final = "use seconds or units such as 30s, 1m30s, 250ms, 2h, 1d, or PT30S"

_SECONDS: Final = re.compile(r"\d+(?:\.\d+)?")
_UNITS_TEXT: Final = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+")
_UNIT_PART: Final = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_SECONDS: Final = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def duration_from_text(text: str) -> dt.timedelta | None:
    """The duration ``text`` spells, or None when it spells none.

    Example:
        >>> duration_from_text("1m30s")
        datetime.timedelta(seconds=90)
    """
    compact = "".join(text.split()).lower()
    if _SECONDS.fullmatch(compact):
        return dt.timedelta(seconds=float(compact))
    if _UNITS_TEXT.fullmatch(compact):
        seconds = sum(
            float(number) * _UNIT_SECONDS[unit] for number, unit in _UNIT_PART.findall(compact)
        )
        return dt.timedelta(seconds=seconds)
    if compact.startswith(("p", "-p", "+p")):
        try:
            return msgspec.convert(compact.upper(), dt.timedelta)
        except msgspec.ValidationError:
            return None
    return None


def parse_duration(text: str) -> dt.timedelta:
    """Parse a duration: seconds (``"1.5"``), units (``"30s"``, ``"1h30m"``, ``"250ms"``,
    ``"2d"``) or ISO 8601 (``"PT30S"``). Config fields typed `datetime.timedelta` accept these.

    Raises:
        ConfigValueError: ``text`` is not a duration.

    Example:
        >>> parse_duration("250ms").total_seconds()
        0.25
    """
    duration = duration_from_text(text)
    if duration is None:
        raise ConfigValueError(f"invalid duration {text!r}; {DURATION_HELP}")
    return duration

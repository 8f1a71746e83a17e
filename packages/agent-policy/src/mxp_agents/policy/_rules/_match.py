"""Compiling matchers once: globs into one regex (or a set of exact names), conditions into
small predicates over a value, dotted keys into getters, time windows into clock checks."""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
import zoneinfo
from collections.abc import Callable, Mapping
from typing import Any, Final, cast

import msgspec

from mxp_agents.policy._rules._spec import OPERATORS, Condition, TimeWindow
from mxp_agents.primitives import kind_of, validation_error_parts

__all__ = [
    "MISSING",
    "Problem",
    "compile_condition",
    "compile_globs",
    "compile_time",
    "getter",
]

MISSING: Final = object()
"""What a getter returns for an absent key; only ``exists = false`` matches it."""

_NUMBERS: Final = frozenset({int, float})
_SCALARS: Final = (str, int, float, bool)
_WILD: Final = re.compile(r"[*?\[]")
_DAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK: Final = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")

Predicate = Callable[[Any], bool]


class Problem(Exception):
    """A mistake in a rule: the ``field`` (``when.args.amount.gt``) and what is wrong."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _check_glob(pattern: object, field: str) -> str:
    if not isinstance(pattern, str):
        raise Problem(field, f"expected str, got {kind_of(pattern)}")
    if not pattern:
        raise Problem(field, "a glob must not be empty")
    index = 0
    while (index := pattern.find("[", index)) != -1:
        end = index + 1
        if end < len(pattern) and pattern[end] == "!":
            end += 1
        if end < len(pattern) and pattern[end] == "]":
            end += 1
        close = pattern.find("]", end)
        if close == -1:
            raise Problem(field, f"unclosed '[' in glob {pattern!r}")
        body = pattern[index + 1 : close].lstrip("!")
        for low, high in re.findall(r"(.)-(.)", body):
            if low > high:
                raise Problem(field, f"empty range {low}-{high} in glob {pattern!r}")
        index = close + 1
    return pattern


def compile_globs(patterns: object, field: str) -> Callable[[str], bool]:
    """A test of a str against one or several fnmatch globs (case-sensitive; ``*``, ``?``,
    ``[seq]``, ``[!seq]``); exact names become a set lookup, the rest one regex.

    Example:
        >>> match = compile_globs(["payments.*", "refund"], "when.tool")
        >>> match("payments.charge"), match("refund"), match("refunds")
        (True, True, False)
    """
    if isinstance(patterns, str):
        checked = [_check_glob(patterns, field)]
    elif isinstance(patterns, list):
        items: list[object] = patterns  # pyright: ignore[reportUnknownVariableType]
        if not items:
            raise Problem(field, "expected at least one glob, got an empty list")
        checked = [_check_glob(p, f"{field}[{i}]") for i, p in enumerate(items)]
    else:
        raise Problem(field, f"expected str or array of str, got {kind_of(patterns)}")
    exact = frozenset(p for p in checked if not _WILD.search(p))
    wild = [p for p in checked if _WILD.search(p)]
    if not wild:
        if len(exact) == 1:
            (only,) = exact
            return only.__eq__
        return exact.__contains__
    search = re.compile("|".join(fnmatch.translate(p) for p in wild)).match
    if not exact:
        return lambda text: search(text) is not None
    return lambda text: text in exact or search(text) is not None


def getter(key: str, field: str) -> Callable[[Mapping[str, Any]], Any]:
    """Reads ``key`` from a mapping (dots separate nested levels), `MISSING` when absent.

    Example:
        >>> getter("payee.country", "when.args")({"payee": {"country": "FR"}})
        'FR'
    """
    parts = key.split(".")
    if not all(parts):
        raise Problem(f"{field}.{key}", "a key must not be empty (nor have empty dotted parts)")
    if len(parts) == 1:
        return lambda data: data.get(key, MISSING)

    def nested(data: Mapping[str, Any]) -> Any:
        value: object = data
        for part in parts:
            if not isinstance(value, Mapping):
                return MISSING
            value = cast("Mapping[str, object]", value).get(part, MISSING)
            if value is MISSING:
                return MISSING
        return value

    return nested


def _scalar(value: object, field: str) -> object:
    if not isinstance(value, _SCALARS):
        raise Problem(field, f"expected str, number or bool, got {kind_of(value)}")
    return value


def _number(value: object, field: str) -> float:
    if value.__class__ not in _NUMBERS:
        raise Problem(field, f"expected number, got {kind_of(value)}")
    return value  # type: ignore[return-value]


def _equals(operand: object) -> Predicate:
    if operand.__class__ is bool:
        return lambda value: value is operand
    if isinstance(operand, str):
        return lambda value: value == operand
    return lambda value: value.__class__ in _NUMBERS and value == operand


def _member(items: object, field: str) -> Predicate:
    elements = cast("list[object]", items) if isinstance(items, list) else None
    if not elements:
        raise Problem(field, f"expected a non-empty array, got {kind_of(cast('object', items))}")
    keys = frozenset(
        (item.__class__ is bool, _scalar(item, f"{field}[{i}]")) for i, item in enumerate(elements)
    )

    def member(value: Any) -> bool:
        try:
            return (value.__class__ is bool, value) in keys
        except TypeError:
            return False

    return member


def _table(value: object, field: str) -> Condition:
    failure: tuple[str, str] | None = None
    try:
        return msgspec.convert(value, Condition)
    except msgspec.ValidationError as error:
        failure = validation_error_parts(error)
    reason, path = failure
    if reason.startswith("object contains unknown field"):
        reason = f"unknown operator {reason.rsplit(' ', 1)[-1]} (use {', '.join(OPERATORS)})"
    raise Problem(field + path.removeprefix("$"), reason)


def compile_condition(value: object, field: str) -> Predicate:
    """A predicate over one value from a rule's plain value (equality) or operator table.

    Example:
        >>> big = compile_condition({"gt": 100}, "when.args.amount")
        >>> big(120), big(100), big("120"), big(MISSING)
        (True, False, False, False)
    """
    if isinstance(value, list):
        raise Problem(field, "a list is ambiguous here: write { in = [...] } to match any of them")
    if isinstance(value, Condition | dict):
        condition = value if isinstance(value, Condition) else _table(cast("object", value), field)
    else:
        return _equals(_scalar(value, field))
    predicates: list[Predicate] = []
    ops = {name: getattr(condition, "in_" if name == "in" else name) for name in OPERATORS}
    ops = {name: op for name, op in ops.items() if op is not msgspec.UNSET}
    if not ops:
        raise Problem(field, f"an empty condition: use one of {', '.join(OPERATORS)}")
    for name, operand in ops.items():
        at = f"{field}.{name}"
        predicates.append(_operator(name, operand, at))
    if ops.get("exists") is False and len(ops) > 1:
        raise Problem(f"{field}.exists", "exists = false cannot be combined with other operators")
    if len(predicates) == 1:
        return predicates[0]
    bundle = tuple(predicates)
    return lambda item: all(predicate(item) for predicate in bundle)


def _operator(name: str, operand: object, at: str) -> Predicate:
    if name in ("gt", "ge", "lt", "le"):
        n = _number(operand, at)
        if name == "gt":
            return lambda v: v.__class__ in _NUMBERS and v > n
        if name == "ge":
            return lambda v: v.__class__ in _NUMBERS and v >= n
        if name == "lt":
            return lambda v: v.__class__ in _NUMBERS and v < n
        return lambda v: v.__class__ in _NUMBERS and v <= n
    if name == "eq":
        return _equals(_scalar(operand, at))
    if name == "ne":
        same = _equals(_scalar(operand, at))
        return lambda v: v is not MISSING and not same(v)
    if name == "in":
        return _member(operand, at)
    if name == "glob":
        match = compile_globs(operand, at)
        return lambda v: isinstance(v, str) and match(v)
    if not isinstance(operand, bool):
        raise Problem(at, f"expected bool, got {kind_of(operand)}")
    return (lambda v: v is not MISSING) if operand else (lambda v: v is MISSING)


def compile_time(window: TimeWindow, field: str) -> Callable[[float], bool]:
    """A test of a Unix time against a `TimeWindow`.

    Example:
        >>> friday = compile_time(TimeWindow(days=["fri"]), "when.time")
        >>> friday(1_717_750_800.0)  # 2024-06-07, a Friday
        True
    """
    try:
        zone = zoneinfo.ZoneInfo(window.tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise Problem(f"{field}.tz", f"unknown time zone {window.tz!r}") from None
    if window.days is None and window.between is None:
        raise Problem(field, "a time window needs days and/or between")
    days: frozenset[int] | None = None
    if window.days is not None:
        if not window.days:
            raise Problem(f"{field}.days", "expected at least one day, got an empty list")
        for i, day in enumerate(window.days):
            if day not in _DAYS:
                raise Problem(
                    f"{field}.days[{i}]", f"expected one of {', '.join(_DAYS)}, got {day!r}"
                )
        days = frozenset(_DAYS.index(day) for day in window.days)
    span: tuple[int, int] | None = None
    if window.between is not None:
        if len(window.between) != 2:
            raise Problem(f"{field}.between", 'expected two times [start, end] as "HH:MM"')
        minutes: list[int] = []
        for i, text in enumerate(window.between):
            clock = _CLOCK.fullmatch(text)
            if clock is None:
                raise Problem(f"{field}.between[{i}]", f'expected "HH:MM", got {text!r}')
            minutes.append(int(clock[1]) * 60 + int(clock[2]))
        if minutes[0] == minutes[1]:
            raise Problem(f"{field}.between", "start and end must differ")
        span = (minutes[0], minutes[1])

    def within(now: float) -> bool:
        local = dt.datetime.fromtimestamp(now, zone)
        if days is not None and local.weekday() not in days:
            return False
        if span is None:
            return True
        minute = local.hour * 60 + local.minute
        start, end = span
        return start <= minute < end if start < end else minute >= start or minute < end

    return within

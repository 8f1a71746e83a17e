"""Checks of `FileJournal`'s options and read arguments: a clear error naming each bad one."""

from __future__ import annotations

import math

from mxp_agents.memory._errors import InvalidRecord
from mxp_agents.memory._journal_api import Durability, Retention
from mxp_agents.primitives import kind_of

__all__ = ["MIN_SEGMENT_BYTES", "check_options", "check_read", "check_time"]

MIN_SEGMENT_BYTES = 1024


def check_options(
    durability: object, segment_bytes: object, retention: object, batch_delay: object
) -> tuple[Durability, Retention]:
    """The durability mode and retention, once every option is known to be valid."""
    try:
        mode = Durability(durability)
    except ValueError:
        choices = ", ".join(repr(d.value) for d in Durability)
        raise InvalidRecord(
            f"durability must be one of {choices}, got {durability!r}", "$.durability"
        ) from None
    if (
        isinstance(segment_bytes, bool)
        or not isinstance(segment_bytes, int)
        or segment_bytes < MIN_SEGMENT_BYTES
    ):
        raise InvalidRecord(
            f"segment_bytes must be an int >= {MIN_SEGMENT_BYTES}, got {segment_bytes!r}",
            "$.segment_bytes",
        )
    if retention is None:
        retention = Retention()
    if not isinstance(retention, Retention):
        raise InvalidRecord(f"expected Retention, got {kind_of(retention)}", "$.retention")
    if (
        isinstance(batch_delay, bool)
        or not isinstance(batch_delay, int | float)
        or not 0 <= batch_delay <= 1
    ):
        raise InvalidRecord(
            f"batch_delay must be seconds in [0, 1], got {batch_delay!r}", "$.batch_delay"
        )
    return mode, retention


def check_time(value: object, name: str) -> None:
    """Raise `InvalidRecord` unless ``value`` is None or finite Unix seconds."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidRecord(
            f"{name} must be Unix seconds or None, got {kind_of(value)}", f"$.{name}"
        )
    if not math.isfinite(value):
        raise InvalidRecord(f"{name} must be finite, got {value!r}", f"$.{name}")


def check_read(run_id: object, since: object, until: object, start: object) -> None:
    """Raise `InvalidRecord` naming the first bad argument of ``read``."""
    if run_id is not None and not isinstance(run_id, str):
        raise InvalidRecord(f"run_id must be a str or None, got {kind_of(run_id)}", "$.run_id")
    check_time(since, "since")
    check_time(until, "until")
    if isinstance(since, int | float) and isinstance(until, int | float) and since > until:
        raise InvalidRecord(f"since ({since!r}) is after until ({until!r})", "$.since")
    if isinstance(start, bool) or not isinstance(start, int):
        raise InvalidRecord(f"start must be an int offset, got {kind_of(start)}", "$.start")
    if start < 0:
        raise InvalidRecord(f"start must be >= 0, got {start}", "$.start")

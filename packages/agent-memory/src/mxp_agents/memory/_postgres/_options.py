"""The options of `PostgresJournal.open`, checked once."""

from __future__ import annotations

import math
from dataclasses import dataclass

from mxp_agents.memory._errors import InvalidRecord
from mxp_agents.memory._journal_api import Durability, Retention

__all__ = ["Options"]


@dataclass(frozen=True, slots=True)
class Options:
    durability: Durability
    retention: Retention
    batch_delay: float
    retention_interval: float
    max_readers: int
    connect_timeout: float
    statement_timeout: float

    @classmethod
    def checked(
        cls,
        *,
        durability: object,
        retention: object,
        batch_delay: object,
        retention_interval: object,
        max_readers: object,
        connect_timeout: object,
        statement_timeout: object,
    ) -> Options:
        """The options, or `InvalidRecord` naming the first bad one."""
        try:
            mode = Durability(durability)
        except ValueError:
            choices = ", ".join(repr(d.value) for d in Durability)
            raise InvalidRecord(
                f"durability must be one of {choices}, got {durability!r}", "$.durability"
            ) from None
        if not isinstance(retention, Retention):
            raise InvalidRecord(
                f"retention must be a Retention, got {type(retention).__name__}", "$.retention"
            )
        if isinstance(max_readers, bool) or not isinstance(max_readers, int) or max_readers < 1:
            raise InvalidRecord(f"max_readers must be an int >= 1, got {max_readers!r}",
                                "$.max_readers")  # fmt: skip
        return cls(
            durability=mode,
            retention=retention,
            batch_delay=_seconds("batch_delay", batch_delay, low=0.0, high=1.0),
            retention_interval=_seconds("retention_interval", retention_interval, low=0.0),
            max_readers=max_readers,
            connect_timeout=_seconds("connect_timeout", connect_timeout, low=1.0),
            statement_timeout=_seconds("statement_timeout", statement_timeout, low=0.001),
        )


def _seconds(name: str, value: object, *, low: float, high: float = math.inf) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        limit = f"between {low:g} and {high:g}" if math.isfinite(high) else f">= {low:g}"
        raise InvalidRecord(f"{name} must be seconds {limit}, got {value!r}", f"$.{name}")
    return float(value)

import datetime as dt
import time

import pytest

from mxp_agents.primitives import Clock, InvalidValue, SystemClock
from mxp_agents.primitives.testing import ManualClock


def test_system_clock_reads_real_time():
    clock = SystemClock()
    before = dt.datetime.now(dt.UTC)
    now = clock.now()
    assert now.tzinfo is dt.UTC
    assert before <= now <= dt.datetime.now(dt.UTC)
    first = clock.monotonic()
    assert first <= clock.monotonic() <= time.monotonic()
    assert repr(clock) == "SystemClock()"


def test_both_clocks_satisfy_the_protocol():
    assert isinstance(SystemClock(), Clock)
    assert isinstance(ManualClock(), Clock)


def test_manual_clock_stands_still_until_advanced():
    clock = ManualClock()
    assert clock.now() == dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    assert clock.monotonic() == 0.0
    assert clock.now() == clock.now()
    clock.advance(1.5)
    clock.advance(dt.timedelta(minutes=1))
    assert clock.monotonic() == 61.5
    assert clock.now() == dt.datetime(2025, 1, 1, 0, 1, 1, 500000, tzinfo=dt.UTC)
    clock.advance(0)
    assert clock.monotonic() == 61.5


def test_manual_clock_start_is_configurable_and_converted_to_utc():
    paris = dt.timezone(dt.timedelta(hours=1))
    clock = ManualClock(dt.datetime(2030, 6, 1, 12, tzinfo=paris), monotonic=100.0)
    assert clock.now() == dt.datetime(2030, 6, 1, 11, tzinfo=dt.UTC)
    assert clock.now().tzinfo is dt.UTC
    assert clock.monotonic() == 100.0
    assert repr(clock) == "ManualClock(now=2030-06-01T11:00:00+00:00, monotonic=100.0)"


def test_manual_clock_rejects_naive_start_and_going_backwards():
    with pytest.raises(InvalidValue, match="needs a timezone-aware start time"):
        ManualClock(dt.datetime(2025, 1, 1))
    clock = ManualClock()
    with pytest.raises(
        InvalidValue, match=r"cannot move a ManualClock backwards \(advance by -1.0 s\)"
    ):
        clock.advance(-1)
    with pytest.raises(InvalidValue, match="cannot move a ManualClock backwards"):
        clock.advance(float("nan"))
    assert clock.monotonic() == 0.0

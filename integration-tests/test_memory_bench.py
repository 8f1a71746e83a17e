"""The memory benchmark runs end to end in its quick mode and reports every area's figures
(the figures themselves are for the benchmark's reader, not asserted here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "scripts" / "bench" / "memory.py"


@pytest.mark.slow
def test_memory_benchmark_quick_run_reports_every_area() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["quick"] is True
    assert set(report["areas"]) == {"journal", "vectors", "embed", "service"}
    for name, area in report["areas"].items():
        assert area["rows"], name
        assert area["goals"], name
        assert all(len(row) == len(area["header"]) for row in area["rows"]), name
        assert all(isinstance(goal["met"], bool) for goal in area["goals"]), name

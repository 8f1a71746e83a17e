"""Helpers shared by the benchmarks: timing with medians, tables and JSON output."""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any


def ns_per_call(fn: Callable[[], object], *, number: int, repeat: int = 7) -> float:
    """Median over ``repeat`` runs of the nanoseconds one call of ``fn`` takes."""
    runs: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        for _ in range(number):
            fn()
        runs.append((time.perf_counter_ns() - start) / number)
    return statistics.median(runs)


def percentile(ordered: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of already sorted samples, nearest rank below.

    Example:
        >>> percentile([1.0, 2.0, 3.0, 4.0], 0.5)
        3.0
    """
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print a plain-text table with right-aligned columns."""
    cells = [[str(c) for c in header]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(title)
    for index, row in enumerate(cells):
        print("  " + "  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
        if index == 0:
            print("  " + "  ".join("-" * width for width in widths))
    print()


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if value < 1000 else f"{value:,.0f}"
    return str(value)


def emit_json(data: dict[str, Any]) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def run_areas(doc: str | None, areas: dict[str, str], argv: list[str]) -> int:
    """The main of a benchmark made of areas: each area is a module whose
    ``measure(quick=...)`` returns ``{"title", "header", "rows", "json", "goals"}``; prints
    each area's table and goals, or one JSON document with ``--json``."""
    import argparse
    import importlib
    import platform

    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--only", nargs="+", choices=sorted(areas), help="areas to measure")
    args = parser.parse_args(argv)
    report: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "quick": args.quick,
        "areas": {},
    }
    all_met = True
    for area in args.only or list(areas):
        section: dict[str, Any] = importlib.import_module(areas[area]).measure(quick=args.quick)
        goals: list[tuple[str, bool]] = [(str(g), bool(ok)) for g, ok in section["goals"]]
        all_met = all_met and all(ok for _, ok in goals)
        report["areas"][area] = {
            "title": section["title"],
            "header": section["header"],
            "rows": section["rows"],
            "figures": section["json"],
            "goals": [{"goal": goal, "met": ok} for goal, ok in goals],
        }
        if not args.json:
            print_table(section["title"], section["header"], section["rows"])
            for goal, ok in goals:
                print(f"  goal: {goal}: {verdict(ok)}")
            print()
    report["all_goals_met"] = all_met
    if args.json:
        emit_json(report)
    return 0

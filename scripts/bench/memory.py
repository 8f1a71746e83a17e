"""Benchmark of agent memory: journal appends and reopen, vector queries and recall, embeddings.

Usage: python scripts/bench/memory.py [--json] [--quick] [--only journal|vectors|embed|service ...]

Each area is measured against a baseline run in the same process (machines are noisy: the
figures are medians and the ratio column compares like with like):

- journal (`_memory_journal.py`): appends per second under each durability mode against raw
  ``os.write`` of the same frames (and write + fsync), and the time to reopen a journal of
  1,000,000 records. Goals: >= 100,000 appends/s under ``none``, >= 20,000/s under ``batch``.
- vectors (`_memory_vectors.py`): query p50/p99 and recall@10 of the HNSW index against exact
  search on 100,000 x 384 clustered vectors. Goal: p50 <= 2 ms at recall@10 >= 0.95.
- embed (`_memory_embed.py`): embeddings per second of the local ONNX model against the raw
  onnxruntime session on the same tokens, and cache hits per second.
- service (`_memory_service.py`): the MXP memory service on loopback (query latency, upserts,
  appends and reads per second) against the same store and journal called in-process.

``--quick`` shrinks every size (a smoke run, well under a minute per area).
"""

from __future__ import annotations

import argparse
import importlib
import platform
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit_json, print_table, verdict

AREAS = {
    "journal": "_memory_journal",
    "vectors": "_memory_vectors",
    "embed": "_memory_embed",
    "service": "_memory_service",
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--only", nargs="+", choices=sorted(AREAS), help="areas to measure")
    args = parser.parse_args(argv)
    report: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "quick": args.quick,
        "areas": {},
    }
    all_met = True
    for area in args.only or list(AREAS):
        section: dict[str, Any] = importlib.import_module(AREAS[area]).measure(quick=args.quick)
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


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

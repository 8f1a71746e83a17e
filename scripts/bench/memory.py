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

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import run_areas

AREAS = {
    "journal": "_memory_journal",
    "vectors": "_memory_vectors",
    "embed": "_memory_embed",
    "service": "_memory_service",
}

if __name__ == "__main__":
    raise SystemExit(run_areas(__doc__, AREAS, sys.argv[1:]))

"""Vector store benchmark: query latency and recall@10 of HNSW against exact search.

Data: seeded clustered float32 vectors (100,000 x 384 in 100 clusters; quick: 10,000 x 128),
queries drawn from the same clusters. Both searches go through the same `EmbeddedVectorStore`
(``query(VectorQuery(..., exact=True))`` is the baseline), one query at a time under trio, so
the figures include validation and the async API. Recall@10 is the share of the exact top 10
the HNSW answer contains. Also: the time to insert and index every vector (one upsert call),
to save, and to reopen the saved store (memory-mapped) and answer a first query.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import trio
from _common import percentile

from mxp_agents.memory import EmbeddedVectorStore, VectorPoint, VectorQuery
from mxp_agents.memory._vectors import HnswOptions

OPTIONS = HnswOptions(connectivity=16, expansion_add=128, expansion_search=128, dtype="f16")


def clustered(n: int, dims: int, clusters: int, seed: int) -> np.ndarray:
    """Seeded vectors around ``clusters`` random centres (noise 0.6 per coordinate)."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((clusters, dims)).astype(np.float32)
    labels = rng.integers(0, clusters, n)
    return centers[labels] + rng.standard_normal((n, dims)).astype(np.float32) * 0.6


async def _latencies(store: EmbeddedVectorStore, queries: np.ndarray, exact: bool) -> list[float]:
    times: list[float] = []
    for q in queries:
        start = time.perf_counter()
        await store.query(VectorQuery(q, top_k=10, exact=exact))
        times.append((time.perf_counter() - start) * 1e3)
    return sorted(times)


async def _run(n: int, dims: int, n_queries: int, root: Path) -> dict[str, Any]:
    both = clustered(n + n_queries, dims, 100, seed=1)  # queries come from the same clusters
    data, queries = both[:n], both[n:]
    points = [VectorPoint(f"p{i}", v) for i, v in enumerate(data)]
    store = EmbeddedVectorStore(dims, path=root / "store", hnsw_threshold=1_000, hnsw=OPTIONS)
    start = time.perf_counter()
    await store.upsert(points)
    build = time.perf_counter() - start
    stats = store.stats()
    hits = 0
    for q in queries:
        exact = {m.id for m in await store.query(VectorQuery(q, top_k=10, exact=True))}
        approx = {m.id for m in await store.query(VectorQuery(q, top_k=10))}
        hits += len(exact & approx)
    # alternate blocks so machine noise hits both alike
    hnsw: list[float] = []
    exact_ms: list[float] = []
    for block in np.array_split(queries, 4):
        hnsw += await _latencies(store, block, exact=False)
        exact_ms += await _latencies(store, block, exact=True)
    start = time.perf_counter()
    await store.save()
    save = time.perf_counter() - start
    await store.aclose()
    start = time.perf_counter()
    reopened = await EmbeddedVectorStore.open(root / "store", hnsw=OPTIONS)
    await reopened.query(VectorQuery(queries[0], top_k=10))
    reopen = time.perf_counter() - start
    mapped_ms = await _latencies(reopened, queries[:50], exact=False)
    await reopened.aclose()
    return {
        "n": n,
        "dims": dims,
        "recall_at_10": hits / (10 * len(queries)),
        "hnsw_ms": sorted(hnsw),
        "exact_ms": sorted(exact_ms),
        "mapped_ms": mapped_ms,
        "build_s": build,
        "save_s": save,
        "reopen_s": reopen,
        "vector_bytes": stats.vector_bytes,
        "index_bytes": stats.index_bytes,
    }


def measure(*, quick: bool) -> dict[str, Any]:
    """Figures for `scripts/bench/memory.py` (see the module docstring)."""
    n, dims, n_queries = (10_000, 128, 200) if quick else (100_000, 384, 400)
    root = Path(tempfile.mkdtemp(prefix="mxp-vectors-bench-"))
    try:
        r = trio.run(_run, n, dims, n_queries, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    hnsw, exact, mapped = r["hnsw_ms"], r["exact_ms"], r["mapped_ms"]
    p50, p99 = statistics.median(hnsw), percentile(hnsw, 0.99)
    e50, e99 = statistics.median(exact), percentile(exact, 0.99)
    m50 = statistics.median(mapped)
    per_vector = (r["vector_bytes"] + r["index_bytes"]) / n

    def f(value: float, digits: int = 3) -> str:
        return f"{value:.{digits}f}"

    rows: list[list[Any]] = [
        ["query p50 (ms)", f(p50, 3), f(e50, 3), f(p50 / e50, 3)],
        ["query p99 (ms)", f(p99, 3), f(e99, 3), f(p99 / e99, 3)],
        ["query p50 after reopen, mapped (ms)", f(m50, 3), f(e50, 3), f(m50 / e50, 3)],
        ["recall@10", f(r["recall_at_10"], 4), 1.0, f(r["recall_at_10"], 4)],
        ["insert + index (s)", f(r["build_s"], 2), "", ""],
        ["save (s)", f(r["save_s"], 2), "", ""],
        ["reopen + first query (s)", f(r["reopen_s"], 3), "", ""],
        ["bytes per vector (matrix + index)", round(per_vector), "", ""],
    ]
    figures = {k: v for k, v in r.items() if not k.endswith("_ms")}
    figures.update(
        hnsw_p50_ms=p50,
        hnsw_p99_ms=p99,
        exact_p50_ms=e50,
        exact_p99_ms=e99,
        mapped_p50_ms=m50,
        options={
            "connectivity": OPTIONS.connectivity,
            "expansion_add": OPTIONS.expansion_add,
            "expansion_search": OPTIONS.expansion_search,
            "dtype": OPTIONS.dtype,
        },
    )
    return {
        "title": f"Vector store: {n:,} x {dims} clustered, top 10 (HNSW vs exact baseline)",
        "header": ["measure", "hnsw", "exact", "ratio"],
        "rows": rows,
        "json": figures,
        "goals": [
            ("query p50 <= 2 ms", p50 <= 2.0),
            ("recall@10 >= 0.95", r["recall_at_10"] >= 0.95),
        ],
    }


if __name__ == "__main__":
    result = measure(quick="--quick" in sys.argv)
    from _common import print_table

    print_table(result["title"], result["header"], result["rows"])
    for goal, ok in result["goals"]:
        print(f"  {goal}: {'met' if ok else 'NOT met'}")

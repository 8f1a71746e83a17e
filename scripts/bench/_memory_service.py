"""Benchmark of memory served over MXP (`serve_memory` with `MxpVectorStore` / `MxpJournal`).

Each figure is a median, against a baseline measured in the same process: the same store or
journal called in-process (no MXP). Vectors go in their compact form (float32, base64); the
"JSON vectors" rows send them as JSON arrays (``compact=False``, the form before it) for
comparison. The ratio column is MXP / in-process (for latency) or
in-process / MXP (for rates): how much the hop costs.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import trio

from mxp.transport import Endpoint, EndpointConfig
from mxp_agents.kernel._memory_server import serve_memory
from mxp_agents.kernel._mxp_journal import MxpJournal
from mxp_agents.kernel._mxp_vector_store import MxpVectorStore
from mxp_agents.kernel._vector_encoding import encoded_points
from mxp_agents.memory import (
    EmbeddedVectorStore,
    Journal,
    MemoryChannel,
    MemoryRecord,
    VectorPoint,
    VectorQuery,
    VectorStore,
)
from mxp_agents.memory._file import FileJournal

DIMS = 384
WRITERS = 16


def _vectors(n: int, seed: int) -> list[list[float]]:
    import numpy as np

    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, DIMS)).astype("float32").tolist()


async def _query_ms(store: VectorStore, queries: list[list[float]]) -> list[float]:
    out: list[float] = []
    for vector in queries:
        began = time.perf_counter()
        await store.query(VectorQuery(vector, top_k=10))
        out.append((time.perf_counter() - began) * 1000)
    return out


async def _upsert_rate(store: VectorStore, points: list[VectorPoint]) -> float:
    began = time.perf_counter()
    for start in range(0, len(points), 500):
        await store.upsert(points[start : start + 500])
    return len(points) / (time.perf_counter() - began)


async def _append_rate(journal: Journal, records: list[MemoryRecord]) -> float:
    share = len(records) // WRITERS

    async def writer(part: list[MemoryRecord]) -> None:
        for record in part:
            await journal.append(record)

    began = time.perf_counter()
    async with trio.open_nursery() as nursery:
        for w in range(WRITERS):
            nursery.start_soon(writer, records[w * share : (w + 1) * share])
    return share * WRITERS / (time.perf_counter() - began)


async def _read_rate(journal: Journal) -> float:
    began = time.perf_counter()
    count = 0
    async for _ in journal.read():
        count += 1
    return count / (time.perf_counter() - began)


async def _vectors_run(quick: bool) -> dict[str, list[float]]:
    """In-process, then over MXP with compact (float32) vectors, then with JSON arrays."""
    n, q, rounds = (1000, 100, 3) if quick else (5000, 400, 5)
    data = _vectors(n, 1)
    queries = _vectors(q, 2)
    keys = ("local_q", "mxp_q", "json_q", "local_u", "mxp_u", "json_u")
    figures: dict[str, list[float]] = {k: [] for k in keys}
    for r in range(rounds):
        points = [VectorPoint(f"r{r}-{i}", v, metadata={"i": i}) for i, v in enumerate(data)]
        local = EmbeddedVectorStore(DIMS)
        figures["local_u"].append(await _upsert_rate(local, points))
        figures["local_q"].append(statistics.median(await _query_ms(local, queries)))
        await local.aclose()
        for mode, compact in (("mxp", True), ("json", False)):
            served = EmbeddedVectorStore(DIMS)
            async with (
                serve_memory(vectors=served).running() as server,
                Endpoint.bind("127.0.0.1", 0) as endpoint,
                MxpVectorStore(server.address, endpoint=endpoint, compact=compact) as remote,
            ):
                figures[f"{mode}_u"].append(await _upsert_rate(remote, points))
                figures[f"{mode}_q"].append(statistics.median(await _query_ms(remote, queries)))
            await served.aclose()
    return figures


def _points_per_datagram(compact: bool) -> float:
    """How many 384-d points (with a small metadata) one datagram carries."""
    points = [
        VectorPoint(f"doc-{i:06}", v, metadata={"i": i}) for i, v in enumerate(_vectors(64, 3))
    ]
    sizes = [len(b) + 1 for b in encoded_points(points, DIMS, compact=compact)]
    return (EndpointConfig().max_datagram_payload - 128) / statistics.mean(sizes)


async def _journal_run(quick: bool, root: Path) -> dict[str, list[float]]:
    n, rounds = (2000, 3) if quick else (10000, 5)
    records = [
        MemoryRecord(MemoryChannel.TOOL, {"text": f"result {i}", "i": i}, run_id=f"run-{i % 50}")
        for i in range(n)
    ]
    figures: dict[str, list[float]] = {k: [] for k in ("local_a", "mxp_a", "local_r", "mxp_r")}
    for r in range(rounds):
        path = root / f"local-{r}"
        async with FileJournal.opened(path, durability="none") as journal:
            figures["local_a"].append(await _append_rate(journal, records))
            figures["local_r"].append(await _read_rate(journal))
        path = root / f"mxp-{r}"
        async with (
            FileJournal.opened(path, durability="none") as served,
            serve_memory(journal=served).running() as server,
            Endpoint.bind("127.0.0.1", 0) as endpoint,
            MxpJournal(server.address, endpoint=endpoint) as remote,
        ):
            figures["mxp_a"].append(await _append_rate(remote, records))
            figures["mxp_r"].append(await _read_rate(remote))
        shutil.rmtree(root / f"local-{r}", ignore_errors=True)
        shutil.rmtree(path, ignore_errors=True)
    return figures


def measure(*, quick: bool) -> dict[str, Any]:
    """The memory-over-MXP figures (``quick``: a smaller run for the smoke test)."""
    root = Path(tempfile.mkdtemp(prefix="mxp-bench-memory-service-"))
    try:
        vectors = trio.run(_vectors_run, quick)
        journal = trio.run(_journal_run, quick, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in {**vectors, **journal}.items()}
    added_ms = med["mxp_q"] - med["local_q"]
    per_f32, per_json = _points_per_datagram(True), _points_per_datagram(False)
    rows: list[list[Any]] = [
        ["query p50 (ms, 384-d, top 10)", f"{med['mxp_q']:.3f}", f"{med['local_q']:.3f}",
         f"{med['mxp_q'] / med['local_q']:.2f}x"],
        ["query p50, JSON vectors (ms)", f"{med['json_q']:.3f}", f"{med['local_q']:.3f}",
         f"{med['json_q'] / med['local_q']:.2f}x"],
        ["upsert (points/s, batches of 500)", f"{med['mxp_u']:,.0f}", f"{med['local_u']:,.0f}",
         f"{med['local_u'] / med['mxp_u']:.2f}x"],
        ["upsert, JSON vectors (points/s)", f"{med['json_u']:,.0f}", f"{med['local_u']:,.0f}",
         f"{med['local_u'] / med['json_u']:.2f}x"],
        ["384-d points per datagram (f32 / JSON)", f"{per_f32:.1f}", f"{per_json:.1f}",
         f"{per_f32 / per_json:.2f}x"],
        [f"append (records/s, {WRITERS} writers, none)", f"{med['mxp_a']:,.0f}",
         f"{med['local_a']:,.0f}", f"{med['local_a'] / med['mxp_a']:.2f}x"],
        ["read (entries/s)", f"{med['mxp_r']:,.0f}", f"{med['local_r']:,.0f}",
         f"{med['local_r'] / med['mxp_r']:.2f}x"],
    ]  # fmt: skip
    goals = [
        ("an MXP query adds under 1 ms at p50", added_ms < 1.0),
        ("upserts over MXP reach 10,000 points/s (384-d)", med["mxp_u"] >= 10_000),
        ("compact vectors upsert 2x faster than JSON arrays", med["mxp_u"] >= 2 * med["json_u"]),
        ("appends over MXP reach 3,000 records/s", med["mxp_a"] >= 3_000),
        ("reads over MXP reach 30,000 entries/s", med["mxp_r"] >= 30_000),
    ]
    return {
        "title": "Memory over MXP: MxpVectorStore / MxpJournal vs the same store in-process",
        "header": ["figure", "over MXP", "in-process", "ratio"],
        "rows": rows,
        "json": {
            "medians": med,
            "added_query_ms": added_ms,
            "points_per_datagram": {"f32": per_f32, "json": per_json},
            "quick": quick,
        },
        "goals": goals,
    }


if __name__ == "__main__":
    import sys

    from _common import print_table  # pyright: ignore[reportMissingImports]

    result = measure(quick="--quick" in sys.argv)
    print_table(result["title"], result["header"], result["rows"])  # pyright: ignore[reportUnknownArgumentType]
    for goal, met in result["goals"]:
        print(("met   " if met else "MISSED"), goal)

"""EmbeddedVectorStore: HNSW recall vs exact, filters in both modes, persistence, validation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mxp_agents.memory import (
    EmbeddedVectorStore,
    InvalidRecord,
    Metric,
    VectorPoint,
    VectorQuery,
    VectorStoreError,
)


def clustered(n: int, dims: int, seed: int, clusters: int = 200) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((clusters, dims)).astype(np.float32)
    labels = rng.integers(0, clusters, n)
    return centers[labels] + rng.standard_normal((n, dims)).astype(np.float32) * 0.6


def points(vectors: np.ndarray, prefix: str = "p") -> list[VectorPoint]:
    return [
        VectorPoint(
            f"{prefix}{i}",
            v,
            tags=("even",) if i % 2 == 0 else ("odd",),
            metadata={"bucket": i % 7},
        )
        for i, v in enumerate(vectors)
    ]


@pytest.mark.slow
async def test_hnsw_recall_at_10_against_exact_on_clustered_data() -> None:
    both = clustered(10_100, 64, seed=1)  # queries from the same clusters as the data
    data, queries = both[:10_000], both[10_000:]
    async with EmbeddedVectorStore(64, hnsw_threshold=1_000) as store:
        await store.upsert(points(data))
        assert store.stats().mode == "hnsw"
        hits = 0
        for q in queries:
            exact = await store.query(VectorQuery(q, top_k=10, exact=True))
            approx = await store.query(VectorQuery(q, top_k=10))
            assert len(approx) == 10
            hits += len({m.id for m in exact} & {m.id for m in approx})
            # graph candidates are rescored exactly: shared ids have identical scores
            exact_scores = {m.id: m.score for m in exact}
            for m in approx:
                if m.id in exact_scores:
                    assert m.score == pytest.approx(exact_scores[m.id], abs=1e-5)
        assert hits / (10 * len(queries)) >= 0.95


@pytest.mark.parametrize("threshold", [None, 100])
async def test_filters_agree_with_brute_force_in_both_modes(threshold: int | None) -> None:
    data = clustered(3_000, 16, seed=3)
    async with EmbeddedVectorStore(16, hnsw_threshold=threshold) as store:
        await store.upsert(points(data))
        assert store.stats().mode == ("exact" if threshold is None else "hnsw")
        unit = data / np.linalg.norm(data, axis=1, keepdims=True)
        q = clustered(1, 16, seed=4)[0]
        scores = unit @ (q / np.linalg.norm(q))
        for tags, metadata, keep in [
            (("even",), {}, lambda i: i % 2 == 0),
            ((), {"bucket": 3}, lambda i: i % 7 == 3),
            (("odd",), {"bucket": 3}, lambda i: i % 2 == 1 and i % 7 == 3),
        ]:
            allowed = [i for i in range(len(data)) if keep(i)]
            best = sorted(allowed, key=lambda i: -scores[i])[:10]
            found = await store.query(
                VectorQuery(q, top_k=10, tags=tags, metadata=metadata, exact=True)
            )
            assert [m.id for m in found] == [f"p{i}" for i in best]
            approx = await store.query(VectorQuery(q, top_k=10, tags=tags, metadata=metadata))
            assert len(approx) == 10
            assert all(keep(int(m.id[1:])) for m in approx)
            assert len({m.id for m in approx} & {f"p{i}" for i in best}) >= 9


async def test_rare_filter_in_hnsw_mode_falls_back_to_exact() -> None:
    data = clustered(2_000, 16, seed=5)
    async with EmbeddedVectorStore(16, hnsw_threshold=100) as store:
        await store.upsert(points(data))
        far = -data[:3] * 5
        await store.upsert([VectorPoint(f"far{i}", v, tags=("rare",)) for i, v in enumerate(far)])
        found = await store.query(VectorQuery(data[10], top_k=5, tags=("rare",)))
        assert sorted(m.id for m in found) == ["far0", "far1", "far2"]


async def test_remove_and_replace_in_hnsw_mode() -> None:
    data = clustered(1_000, 16, seed=6)
    async with EmbeddedVectorStore(16, hnsw_threshold=100) as store:
        await store.upsert(points(data))
        assert store.stats().mode == "hnsw"
        assert await store.remove([f"p{i}" for i in range(0, 1_000, 2)] + ["nope"]) == 500
        assert await store.count() == 500
        for q in data[:20]:
            found = await store.query(VectorQuery(q, top_k=10))
            assert len(found) == 10
            assert all(int(m.id[1:]) % 2 == 1 for m in found)
        moved = data[1] * -1.0
        await store.upsert([VectorPoint("p1", moved, tags=("moved",))])
        found = await store.query(VectorQuery(moved, top_k=1))
        assert found[0].id == "p1"
        assert found[0].tags == ("moved",)
        assert found[0].score == pytest.approx(1.0, abs=1e-5)
        assert all(m.id != "p1" for m in await store.query(VectorQuery(data[1], top_k=10)))
        await store.remove([f"p{i}" for i in range(1, 1_000, 2)])
        assert store.stats().mode == "exact"  # dropped well below the threshold
        assert await store.query(VectorQuery(data[0])) == []


@pytest.mark.parametrize("threshold", [None, 200])
async def test_persistence_across_restart(tmp_path: Path, threshold: int | None) -> None:
    path = tmp_path / "vectors"
    data = clustered(1_000, 32, seed=7)
    queries = clustered(10, 32, seed=8)
    async with EmbeddedVectorStore(32, path=path, hnsw_threshold=threshold) as store:
        await store.upsert(points(data))
        await store.remove(["p5"])
        before = [await store.query(VectorQuery(q, top_k=10)) for q in queries]
        filtered = await store.query(VectorQuery(queries[0], tags=("odd",), metadata={"bucket": 2}))
    store = await EmbeddedVectorStore.open(path, hnsw_threshold=threshold)
    async with store:
        stats = store.stats()
        assert stats.mapped
        assert stats.count == 999
        assert stats.mode == ("exact" if threshold is None else "hnsw")
        assert [await store.query(VectorQuery(q, top_k=10)) for q in queries] == before
        again = await store.query(VectorQuery(queries[0], tags=("odd",), metadata={"bucket": 2}))
        assert again == filtered
        # the first writes after a restart load the mapped data into memory
        await store.upsert([VectorPoint("new", queries[1], tags=("fresh",))])
        assert await store.remove(["p7", "p5"]) == 1
        assert not store.stats().mapped
        top = await store.query(VectorQuery(queries[1], top_k=1))
        assert top[0].id == "new"
    async with await EmbeddedVectorStore.open(path, dimensions=32) as store:
        assert await store.count() == 999
        assert (await store.query(VectorQuery(queries[1], top_k=1)))[0].id == "new"
        assert await store.query(VectorQuery(queries[1], tags=("fresh",))) != []
        assert all(m.id != "p7" for m in await store.query(VectorQuery(data[7], top_k=5)))
    files = sorted(p.name for p in path.iterdir())
    expected = {"LOCK", "manifest.msgpack", "vectors-2.npy"} | (
        set() if threshold is None else {"hnsw-2.usearch"}
    )
    assert set(files) == expected  # the first generation's files were deleted


async def test_open_checks_what_was_saved(tmp_path: Path) -> None:
    path = tmp_path / "v"
    with pytest.raises(VectorStoreError, match="pass dimensions"):
        await EmbeddedVectorStore.open(path)
    async with await EmbeddedVectorStore.open(path, dimensions=4) as store:
        await store.upsert([VectorPoint("a", [1, 2, 3, 4])])
    with pytest.raises(VectorStoreError, match="not 5"):
        await EmbeddedVectorStore.open(path, dimensions=5)
    with pytest.raises(VectorStoreError, match="open it with open"):
        EmbeddedVectorStore(4, path=path)
    (path / "manifest.msgpack").write_bytes(b"\x00garbage")
    with pytest.raises(VectorStoreError, match="corrupted"):
        await EmbeddedVectorStore.open(path)


async def test_numpy_and_list_vectors_and_error_paths() -> None:
    async with EmbeddedVectorStore(8) as store:
        batch = [
            VectorPoint("a", np.ones(8)),
            VectorPoint("b", [1.0] * 8),
            VectorPoint("c", tuple(range(8))),
            VectorPoint("d", np.arange(8, dtype=np.int32)),
        ]
        await store.upsert(batch)
        assert await store.count() == 4
        bad = [VectorPoint(f"x{i}", np.ones(8, dtype=np.float32)) for i in range(5)]
        bad[3] = VectorPoint("x3", np.ones(7, dtype=np.float32))
        with pytest.raises(
            InvalidRecord, match=r"expected 8 values, got 7 - at \$\.points\[3\]\.vector"
        ):
            await store.upsert(bad)
        nan = [1.0] * 8
        nan[5] = float("nan")
        with pytest.raises(InvalidRecord, match=r"finite.* - at \$\.points\[1\]\.vector\[5\]"):
            await store.upsert([VectorPoint("y", [0.0] * 8), VectorPoint("z", nan)])
        with pytest.raises(InvalidRecord, match=r"got str - at \$\.points\[0\]\.vector\[2\]"):
            await store.upsert([VectorPoint("y", [0, 0, "1", 0, 0, 0, 0, 0])])
        with pytest.raises(InvalidRecord, match=r"duplicate id 'y'.* - at \$\.points\[1\]\.id"):
            await store.upsert([VectorPoint("y", [1.0] * 8), VectorPoint("y", [1.0] * 8)])
        with pytest.raises(InvalidRecord, match=r"at \$\.points\[0\]\.metadata"):
            await store.upsert([VectorPoint("y", [1.0] * 8, metadata={"k": object()})])
        with pytest.raises(InvalidRecord, match=r"all zeros - at \$\.vector"):
            await store.query(VectorQuery([0.0] * 8))
        with pytest.raises(InvalidRecord, match=r"at \$\.metadata\.k"):
            await store.query(VectorQuery([1.0] * 8, metadata={"k": float("nan")}))
        assert await store.count() == 4
    with pytest.raises(VectorStoreError, match="closed"):
        await store.count()
    with pytest.raises(InvalidRecord, match=r"\$\.dimensions"):
        EmbeddedVectorStore(0)
    with pytest.raises(InvalidRecord, match=r"\$\.metric"):
        EmbeddedVectorStore(4, metric="l2")


async def test_large_batch_upsert_of_numpy_vectors() -> None:
    data = clustered(20_000, 32, seed=9)
    async with EmbeddedVectorStore(32, hnsw_threshold=None) as store:
        await store.upsert([VectorPoint(f"p{i}", v) for i, v in enumerate(data)])
        assert await store.count() == 20_000
        assert store.stats().vector_bytes >= 20_000 * 32 * 4
        found = await store.query(VectorQuery(data[123], top_k=1, metric=Metric.COSINE))
        assert found[0].id == "p123"


async def test_one_store_per_directory(tmp_path: Path) -> None:
    first = EmbeddedVectorStore(4, path=tmp_path / "store")
    with pytest.raises(VectorStoreError, match=r"already open \(LOCK is held\)"):
        EmbeddedVectorStore(4, path=tmp_path / "store")
    await first.upsert([VectorPoint("a", [1.0, 0.0, 0.0, 0.0])])
    await first.aclose()
    reopened = await EmbeddedVectorStore.open(tmp_path / "store")
    with pytest.raises(VectorStoreError, match="already open"):
        await EmbeddedVectorStore.open(tmp_path / "store")
    assert await reopened.count() == 1
    await reopened.aclose()
    async with await EmbeddedVectorStore.open(tmp_path / "store") as again:
        assert await again.count() == 1

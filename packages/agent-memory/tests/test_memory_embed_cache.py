"""CachedEmbedder and HashEmbedder: batching, de-duplication, LRU eviction, stats, input errors."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mxp_agents.memory import CachedEmbedder, Embedder, EmbeddingError, InvalidRecord
from mxp_agents.memory._cached_embedder import check_texts
from mxp_agents.memory.testing import (
    EmbedderCheckFailed,
    HashEmbedder,
    embedder_check_names,
    run_embedder_check,
)


def _dot(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


async def test_hash_embedder_paraphrases_closer_than_unrelated_and_unit_norm() -> None:
    embedder = HashEmbedder(dimensions=256)
    a, b, c = await embedder.embed(
        [
            "How do I reset my password?",
            "I forgot my password, how can I reset it?",
            "The train to Paris leaves at noon.",
        ]
    )
    assert _dot(a, b) > _dot(a, c) + 0.2
    for vector in (a, b, c):
        assert math.isclose(_dot(vector, vector), 1.0, rel_tol=1e-9)
    assert isinstance(embedder, Embedder)
    assert (embedder.calls, embedder.texts, embedder.batches) == (1, 3, [3])


async def test_hash_embedder_options_and_limits() -> None:
    embedder = HashEmbedder(dimensions=8, name="other", remote=True, max_batch=2)
    assert (embedder.name, embedder.dimensions, embedder.remote, embedder.max_batch) == (
        "other",
        8,
        True,
        2,
    )
    with pytest.raises(InvalidRecord, match="3 texts in one call, max_batch is 2"):
        await embedder.embed(["a", "b", "c"])
    with pytest.raises(InvalidRecord, match=r"must be >= 1, got 0 - at \$.dimensions"):
        HashEmbedder(dimensions=0)
    with pytest.raises(InvalidRecord, match=r"expected bool, got int - at \$.remote"):
        HashEmbedder(remote=1)  # pyright: ignore[reportArgumentType]


async def test_cache_hits_misses_and_dedup() -> None:
    inner = HashEmbedder(dimensions=16)
    cached = CachedEmbedder(inner, max_entries=100)
    first = await cached.embed(["a b", "c d", "a b"])
    assert inner.batches == [2]
    assert (cached.stats.hits, cached.stats.misses, cached.stats.entries) == (1, 2, 2)
    assert first[0] == first[2] == inner.vector("a b")
    second = await cached.embed(["c d", "e f", "a b"])
    assert inner.batches == [2, 1]
    assert second == [inner.vector("c d"), inner.vector("e f"), inner.vector("a b")]
    stats = cached.stats
    assert (stats.hits, stats.misses, stats.evictions, stats.entries) == (3, 3, 0, 3)
    assert stats.hit_rate == 0.5
    assert await cached.embed([]) == []
    assert (cached.name, cached.dimensions, cached.remote, cached.max_batch) == (
        inner.name,
        16,
        False,
        64,
    )


async def test_returned_vectors_are_copies() -> None:
    cached = CachedEmbedder(HashEmbedder(dimensions=4))
    (vector,) = await cached.embed(["x"])
    vector[0] = 99.0
    (again,) = await cached.embed(["x"])
    assert again[0] != 99.0


async def test_misses_go_out_in_batches_of_max_batch() -> None:
    inner = HashEmbedder(dimensions=8, max_batch=3)
    cached = CachedEmbedder(inner)
    texts = [f"text {n}" for n in range(8)]
    vectors = await cached.embed(texts)
    assert inner.batches == [3, 3, 2]
    assert vectors == [inner.vector(text) for text in texts]
    await cached.embed([*texts, "text 8"])
    assert inner.batches == [3, 3, 2, 1]


async def test_lru_eviction_keeps_recently_used() -> None:
    inner = HashEmbedder(dimensions=8)
    cached = CachedEmbedder(inner, max_entries=2)
    await cached.embed(["one"])
    await cached.embed(["two"])
    await cached.embed(["one"])  # "one" is now the most recent
    await cached.embed(["three"])  # evicts "two"
    assert cached.stats.evictions == 1
    assert len(cached) == 2
    calls = inner.texts
    await cached.embed(["one", "three"])
    assert inner.texts == calls
    await cached.embed(["two"])
    assert inner.texts == calls + 1
    cached.clear()
    assert len(cached) == 0


async def test_cache_keys_depend_on_embedder_name() -> None:
    a = CachedEmbedder(HashEmbedder(name="model-a"))
    b = CachedEmbedder(HashEmbedder(name="model-b"))
    assert a.key("same text") != b.key("same text")
    assert a.key("same text") == a.key("same text")
    assert len(a.key("x")) == 16


async def test_bad_input_errors_have_paths() -> None:
    cached = CachedEmbedder(HashEmbedder())
    with pytest.raises(InvalidRecord, match=r"expected str, got int - at \$\[2\]"):
        await cached.embed(["a", "b", 3])  # pyright: ignore[reportArgumentType]
    with pytest.raises(InvalidRecord, match="lone str"):
        await cached.embed("abc")
    with pytest.raises(InvalidRecord, match=r"not valid Unicode.* - at \$\[0\]"):
        await cached.embed(["\udcff"])
    with pytest.raises(InvalidRecord, match=r"expected a sequence of str, got int - at \$"):
        await cached.embed(5)  # pyright: ignore[reportArgumentType]
    with pytest.raises(InvalidRecord, match=r"max_entries must be >= 1, got 0"):
        CachedEmbedder(HashEmbedder(), max_entries=0)
    with pytest.raises(InvalidRecord, match=r"expected an Embedder"):
        CachedEmbedder(object())  # pyright: ignore[reportArgumentType]


class _Broken(HashEmbedder):
    def __init__(self, answer: object) -> None:
        super().__init__(dimensions=4, name="broken")
        self.answer = answer

    async def embed(self, texts: object) -> list[list[float]]:  # pyright: ignore[reportIncompatibleMethodOverride]
        return self.answer  # pyright: ignore[reportReturnType]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ([], "returned 0 vectors for 1 texts"),
        ([[0.0, 1.0]], r"vector of 2 floats at \$\[0\], expected 4"),
        ([[0.0, 1.0, float("nan"), 0.0]], r"nan at \$\[0\]\[2\], expected a finite float"),
        ([[0.0, "x", 0.0, 0.0]], r"str at \$\[0\]\[1\], expected float"),
        ("nope", "returned str, expected a list"),
    ],
)
async def test_bad_embedder_answers_are_refused_not_cached(answer: object, message: str) -> None:
    cached = CachedEmbedder(_Broken(answer))
    with pytest.raises(EmbeddingError, match=message):
        await cached.embed(["text"])
    assert len(cached) == 0


@given(st.lists(st.one_of(st.text(), st.integers(), st.none(), st.binary()), max_size=6))
def test_check_texts_accepts_only_lists_of_valid_str(items: list[object]) -> None:
    bad = next(
        (
            index
            for index, item in enumerate(items)
            if not isinstance(item, str) or not _encodable(item)
        ),
        None,
    )
    if bad is None:
        assert check_texts(items) == items
    else:
        with pytest.raises(InvalidRecord) as caught:
            check_texts(items)
        assert caught.value.path == f"$[{bad}]"


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@pytest.mark.parametrize("check", embedder_check_names())
async def test_hash_embedder_conformance(check: str) -> None:
    await run_embedder_check(check, HashEmbedder(dimensions=64, max_batch=5))


@pytest.mark.parametrize("check", embedder_check_names())
async def test_cached_embedder_conformance(check: str) -> None:
    await run_embedder_check(check, CachedEmbedder(HashEmbedder(dimensions=64, max_batch=5)))


async def test_suite_catches_a_broken_embedder() -> None:
    with pytest.raises(EmbedderCheckFailed, match="shapes: 0 vectors for 3 texts"):
        await run_embedder_check("shapes", _Broken([]))
    with pytest.raises(KeyError, match="no embedder check named 'nope'"):
        await run_embedder_check("nope", HashEmbedder())

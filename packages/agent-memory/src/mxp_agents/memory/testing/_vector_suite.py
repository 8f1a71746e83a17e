"""The conformance suite every `VectorStore` passes (shipped, so third-party stores can too).

A backend hands the suite ``open_store``: a callable taking the number of dimensions and
returning an async context manager that yields an EMPTY store of that many dimensions (any
default metric) and releases it on exit. Each check opens its own store.

Bad input must raise `InvalidRecord` or `VectorStoreError` whose message names the path of the
bad value (``expected 8 values, got 7 - at $.points[3].vector``), and a refused batch must leave
the store unchanged.

Run it with pytest (one test per check)::

    import pytest
    from mxp_agents.memory import EmbeddedVectorStore
    from mxp_agents.memory.testing import run_vector_check, vector_check_names

    @pytest.mark.parametrize("name", vector_check_names())
    async def test_vector_conformance(name: str) -> None:
        await run_vector_check(name, lambda dimensions: EmbeddedVectorStore(dimensions))

Example:
    >>> "round_trip" in VECTOR_CHECKS
    True
"""

from __future__ import annotations

import math
import random
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Final, NamedTuple

from mxp_agents.memory._errors import InvalidRecord, VectorStoreError
from mxp_agents.memory._vector_api import Metric, VectorMatch, VectorPoint, VectorQuery, VectorStore

__all__ = [
    "VECTOR_CHECKS",
    "VectorCheck",
    "VectorConformanceFailure",
    "VectorStoreOpener",
    "check_vector_store",
    "run_vector_check",
    "vector_check_names",
]

VectorStoreOpener = Callable[[int], AbstractAsyncContextManager[VectorStore]]
"""Opens an empty store with the given number of dimensions."""

CheckFunction = Callable[[VectorStoreOpener], Awaitable[None]]

DIMS: Final = 8
TOLERANCE: Final = 1e-4


class VectorConformanceFailure(AssertionError):
    """A vector store broke a rule of the `VectorStore` contract; the message says which.

    Example:
        >>> raise VectorConformanceFailure("round_trip: ids ['b', 'a'] != ['a', 'b']")
        Traceback (most recent call last):
        ...
        VectorConformanceFailure: round_trip: ids ['b', 'a'] != ['a', 'b']
    """


class VectorCheck(NamedTuple):
    """One registered check: its function and a one-line description."""

    function: CheckFunction
    description: str


VECTOR_CHECKS: Final[dict[str, VectorCheck]] = {}
"""Every check by name, in registration order."""


def _check(function: CheckFunction) -> CheckFunction:
    doc = (function.__doc__ or "").strip().splitlines()
    VECTOR_CHECKS[function.__name__] = VectorCheck(function, doc[0] if doc else "")
    return function


def vector_check_names() -> list[str]:
    """The names of every vector store check, in order.

    Example:
        >>> vector_check_names()[0]
        'round_trip'
    """
    return list(VECTOR_CHECKS)


async def run_vector_check(name: str, open_store: VectorStoreOpener) -> None:
    """Run the check ``name``; a `VectorConformanceFailure` says what broke.

    Example:
        >>> await run_vector_check("round_trip", EmbeddedVectorStore)  # doctest: +SKIP
    """
    entry = VECTOR_CHECKS.get(name)
    if entry is None:
        raise KeyError(f"no vector store check {name!r}; known: {sorted(VECTOR_CHECKS)}")
    try:
        await entry.function(open_store)
    except VectorConformanceFailure as failure:
        raise VectorConformanceFailure(f"{name}: {failure}") from None


async def check_vector_store(open_store: VectorStoreOpener) -> None:
    """Run every check against stores from ``open_store``.

    Example:
        >>> await check_vector_store(EmbeddedVectorStore)  # doctest: +SKIP
    """
    for name in VECTOR_CHECKS:
        await run_vector_check(name, open_store)


def expect(condition: object, message: str) -> None:
    """Fail the check with ``message`` unless ``condition`` holds."""
    if not condition:
        raise VectorConformanceFailure(message)


def axis(index: int, scale: float = 1.0) -> list[float]:
    """A vector of DIMS values along one axis."""
    vector = [0.0] * DIMS
    vector[index] = scale
    return vector


def mix(*parts: tuple[int, float]) -> list[float]:
    """A vector with the given (axis, value) components."""
    vector = [0.0] * DIMS
    for index, value in parts:
        vector[index] = value
    return vector


def similarity(a: Sequence[float], b: Sequence[float], metric: Metric) -> float:
    """The score ``metric`` gives ``a`` against ``b``, computed here in plain Python."""
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    if metric is Metric.DOT:
        return dot
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def ids(matches: list[VectorMatch]) -> list[str]:
    """The ids of the matches, in order."""
    return [match.id for match in matches]


def expect_best_first(matches: list[VectorMatch], what: str) -> None:
    """Scores never increase along the list."""
    scores = [match.score for match in matches]
    expect(scores == sorted(scores, reverse=True), f"{what}: scores not best-first: {scores}")


def expect_scores(matches: list[VectorMatch], expected: Sequence[float], what: str) -> None:
    """The scores equal ``expected`` within TOLERANCE."""
    scores = [match.score for match in matches]
    close = len(scores) == len(expected) and all(
        abs(got - want) <= TOLERANCE * max(1.0, abs(want))
        for got, want in zip(scores, expected, strict=True)
    )
    expect(close, f"{what}: scores {scores} != {list(expected)}")


async def raises_at(path: str, what: str, call: Awaitable[object]) -> str:
    """``call`` raises InvalidRecord or VectorStoreError naming ``path``; the message."""
    try:
        await call
    except (InvalidRecord, VectorStoreError) as error:
        message = str(error)
        expect(path in message, f"{what}: the error does not name {path!r}: {message!r}")
        return message
    except Exception as error:  # reported as the failure it is
        raise VectorConformanceFailure(
            f"{what}: expected InvalidRecord or VectorStoreError, got {error!r}"
        ) from None
    raise VectorConformanceFailure(f"{what}: nothing raised")


def scattered(count: int, seed: int, *, around: int = 0, spread: float = 0.5) -> list[list[float]]:
    """``count`` seeded vectors scattered around the axis ``around``."""
    rng = random.Random(seed)
    return [
        [(1.0 if i == around else 0.0) + rng.gauss(0.0, spread) for i in range(DIMS)]
        for _ in range(count)
    ]


@_check
async def round_trip(open_store: VectorStoreOpener) -> None:
    """Upserted points come back by query: ids best-first, scores, tags and metadata."""
    async with open_store(DIMS) as store:
        seen: Any = store
        expect(isinstance(seen, VectorStore), f"{type(seen).__name__} is not a VectorStore")
        expect(store.dimensions == DIMS, f"dimensions {store.dimensions} != {DIMS}")
        metric: Any = store.metric
        expect(isinstance(metric, Metric), f"metric {metric!r} is not a Metric")
        remote: Any = store.remote
        expect(isinstance(remote, bool), f"remote {remote!r} is not a bool")
        points = [
            VectorPoint("a", axis(0), tags=("t1",), metadata={"n": 1, "s": "x"}),
            VectorPoint("b", mix((0, 0.8), (1, 0.6)), tags=("t1", "t2"), metadata={"f": 0.5}),
            VectorPoint("c", axis(1), metadata={"nested": {"k": [1, 2]}, "none": None}),
            VectorPoint("d", axis(0, -1.0), tags=("t3",)),
        ]
        await store.upsert(points)
        found = await store.query(VectorQuery(axis(0), top_k=3))
        expect(ids(found) == ["a", "b", "c"], f"ids {ids(found)} != ['a', 'b', 'c']")
        expect_scores(found, [1.0, 0.8, 0.0], "unit vectors")
        for match, point in zip(found, points, strict=False):
            expect(match.tags == point.tags, f"{match.id}: tags {match.tags} != {point.tags}")
            expect(
                match.metadata == point.metadata,
                f"{match.id}: metadata {match.metadata} != {point.metadata}",
            )
        expect(await store.count() == 4, f"count {await store.count()} != 4")


@_check
async def upsert_replaces(open_store: VectorStoreOpener) -> None:
    """Upserting an existing id replaces its vector, tags and metadata."""
    async with open_store(DIMS) as store:
        await store.upsert([VectorPoint("a", axis(0), tags=("old",), metadata={"v": 1})])
        await store.upsert([VectorPoint("b", axis(2))])
        await store.upsert([VectorPoint("a", axis(1), tags=("new",), metadata={"v": 2})])
        expect(await store.count() == 2, f"count {await store.count()} != 2 after replacing")
        found = await store.query(VectorQuery(axis(1), top_k=1))
        expect(ids(found) == ["a"], f"query along the new vector: {ids(found)}")
        expect_scores(found, [1.0], "the replaced vector")
        expect(found[0].tags == ("new",), f"tags {found[0].tags} != ('new',)")
        expect(found[0].metadata == {"v": 2}, f"metadata {found[0].metadata} != {{'v': 2}}")
        stale = await store.query(VectorQuery(axis(0), top_k=5, tags=("old",)))
        expect(stale == [], f"the old tags still match: {ids(stale)}")
        stale = await store.query(VectorQuery(axis(0), top_k=5, metadata={"v": 1}))
        expect(stale == [], f"the old metadata still matches: {ids(stale)}")


@_check
async def remove_points(open_store: VectorStoreOpener) -> None:
    """remove() returns how many ids existed; removed points are never returned again."""
    async with open_store(DIMS) as store:
        await store.upsert([VectorPoint(name, axis(i)) for i, name in enumerate("abc")])
        removed = await store.remove(["a", "zzz"])
        expect(removed == 1, f"remove(['a', 'zzz']) returned {removed}, not 1")
        expect(await store.remove(["a"]) == 0, "removing an absent id counted it")
        expect(await store.remove([]) == 0, "remove([]) did not return 0")
        found = await store.query(VectorQuery(axis(0), top_k=5))
        expect(sorted(ids(found)) == ["b", "c"], f"after removing 'a': {ids(found)}")
        expect(await store.remove(["b", "c"]) == 2, "remove(['b', 'c']) did not return 2")
        expect(await store.count() == 0, f"count {await store.count()} != 0")
        expect(await store.query(VectorQuery(axis(0))) == [], "an emptied store answered")
        await store.upsert([VectorPoint("a", axis(3))])
        found = await store.query(VectorQuery(axis(3), top_k=5))
        expect(ids(found) == ["a"], f"a re-added id: {ids(found)}")


@_check
async def count_points(open_store: VectorStoreOpener) -> None:
    """count() follows inserts, replacements and removals."""
    async with open_store(DIMS) as store:
        expect(await store.count() == 0, "a new store is not empty")
        await store.upsert([VectorPoint(f"p{i}", axis(i)) for i in range(5)])
        expect(await store.count() == 5, f"count {await store.count()} != 5")
        await store.upsert([VectorPoint(f"p{i}", axis(i, 2.0)) for i in range(3, 6)])
        expect(await store.count() == 6, f"count {await store.count()} != 6 (2 replaced, 1 new)")
        await store.remove(["p0", "p5"])
        expect(await store.count() == 4, f"count {await store.count()} != 4")


@_check
async def cosine_and_dot(open_store: VectorStoreOpener) -> None:
    """A query's metric overrides the store's: cosine ignores length, dot does not."""
    async with open_store(DIMS) as store:
        await store.upsert(
            [VectorPoint("short", axis(0)), VectorPoint("long", mix((0, 1.8), (1, 2.4)))]
        )
        cosine = await store.query(VectorQuery(axis(0), top_k=2, metric=Metric.COSINE))
        expect(ids(cosine) == ["short", "long"], f"cosine order {ids(cosine)}")
        expect_scores(cosine, [1.0, 0.6], "cosine")
        dot = await store.query(VectorQuery(axis(0, 2.0), top_k=2, metric=Metric.DOT))
        expect(ids(dot) == ["long", "short"], f"dot order {ids(dot)}")
        expect_scores(dot, [3.6, 2.0], "dot")
        default = await store.query(VectorQuery(axis(0), top_k=2))
        want = ["short", "long"] if store.metric is Metric.COSINE else ["long", "short"]
        expect(ids(default) == want, f"the store's metric {store.metric}: order {ids(default)}")


@_check
async def exact_scores(open_store: VectorStoreOpener) -> None:
    """exact=True returns the true top-k under both metrics; an approximate query comes close."""
    async with open_store(DIMS) as store:
        vectors = scattered(300, seed=7, spread=1.0)
        await store.upsert([VectorPoint(f"p{i}", v) for i, v in enumerate(vectors)])
        query = scattered(1, seed=8, spread=1.0)[0]
        for metric in Metric:
            ranked = sorted(
                ((similarity(v, query, metric), f"p{i}") for i, v in enumerate(vectors)),
                reverse=True,
            )[:10]
            found = await store.query(VectorQuery(query, top_k=10, metric=metric, exact=True))
            expect(ids(found) == [name for _, name in ranked], f"{metric} exact: {ids(found)}")
            expect_scores(found, [score for score, _ in ranked], f"{metric} exact")
            approximate = await store.query(VectorQuery(query, top_k=10, metric=metric))
            expect_best_first(approximate, f"{metric} approximate")
            hits = len(set(ids(approximate)) & {name for _, name in ranked})
            expect(len(approximate) == 10 and hits >= 8, f"{metric}: recall@10 {hits}/10")


@_check
async def top_k_bounds(open_store: VectorStoreOpener) -> None:
    """At most top_k matches; all points when top_k exceeds the count; top_k < 1 is refused."""
    async with open_store(DIMS) as store:
        await store.upsert([VectorPoint(f"p{i}", axis(i)) for i in range(5)])
        expect(len(await store.query(VectorQuery(axis(0), top_k=1))) == 1, "top_k=1")
        everything = await store.query(VectorQuery(axis(0), top_k=50))
        expect(sorted(ids(everything)) == [f"p{i}" for i in range(5)], f"top_k=50: {everything}")
        expect_best_first(everything, "top_k=50")
        try:
            VectorQuery(axis(0), top_k=0)
        except InvalidRecord as error:
            expect("$.top_k" in str(error), f"top_k=0: {error}")
        else:
            raise VectorConformanceFailure("VectorQuery(top_k=0) was accepted")


@_check
async def tag_filter(open_store: VectorStoreOpener) -> None:
    """A tag filter keeps only the points carrying every tag asked for."""
    async with open_store(DIMS) as store:
        tags: list[tuple[str, ...]] = [("x",), ("x", "y"), ("y",), (), ("x", "y", "z")]
        await store.upsert([VectorPoint(f"p{i}", axis(i), tags=t) for i, t in enumerate(tags)])
        query = [1.0] * DIMS
        for wanted, expected in [
            (("x", "y"), ["p1", "p4"]),
            (("z",), ["p4"]),
            (("x",), ["p0", "p1", "p4"]),
            (("nope",), []),
            (("x", "nope"), []),
        ]:
            found = await store.query(VectorQuery(query, top_k=10, tags=wanted))
            expect(sorted(ids(found)) == expected, f"tags {wanted}: {ids(found)} != {expected}")


@_check
async def metadata_filter(open_store: VectorStoreOpener) -> None:
    """A metadata filter keeps points whose values equal each one given (type included)."""
    async with open_store(DIMS) as store:
        metadata: list[dict[str, Any]] = [
            {"lang": "en", "n": 1},
            {"lang": "fr", "n": 1},
            {"lang": "en", "n": "1"},
            {"lang": "en", "n": True},
            {},
        ]
        await store.upsert(
            [VectorPoint(f"p{i}", axis(i), metadata=m) for i, m in enumerate(metadata)]
        )
        query = [1.0] * DIMS
        for wanted, expected in [
            ({"lang": "en"}, ["p0", "p2", "p3"]),
            ({"lang": "en", "n": 1}, ["p0"]),
            ({"n": True}, ["p3"]),
            ({"n": "1"}, ["p2"]),
            ({"missing": "x"}, []),
            ({"lang": None}, []),
        ]:
            found = await store.query(VectorQuery(query, top_k=10, metadata=wanted))
            expect(sorted(ids(found)) == expected, f"metadata {wanted}: {ids(found)}")
        both = await store.query(VectorQuery(query, top_k=10, tags=(), metadata={"n": 1}))
        expect(sorted(ids(both)) == ["p0", "p1"], f"metadata n=1: {ids(both)}")


@_check
async def filter_never_short(open_store: VectorStoreOpener) -> None:
    """A filter matching few, distant points still returns all of them (up to top_k)."""
    async with open_store(DIMS) as store:
        near = scattered(400, seed=1, around=0, spread=0.2)
        far = scattered(6, seed=2, around=1, spread=0.2)
        points = [VectorPoint(f"n{i}", v, tags=("common",)) for i, v in enumerate(near)]
        points += [
            VectorPoint(f"f{i}", v, tags=("rare",), metadata={"kind": "rare"})
            for i, v in enumerate(far)
        ]
        await store.upsert(points)
        rare = sorted(f"f{i}" for i in range(6))
        for query in (
            VectorQuery(axis(0), top_k=6, tags=("rare",)),
            VectorQuery(axis(0), top_k=10, tags=("rare",)),
            VectorQuery(axis(0), top_k=6, metadata={"kind": "rare"}),
        ):
            found = await store.query(query)
            expect(sorted(ids(found)) == rare, f"{query.tags} {query.metadata}: {ids(found)}")
            expect_best_first(found, "filtered")
        few = await store.query(VectorQuery(axis(1), top_k=3, tags=("common",)))
        expect(len(few) == 3 and all(i.startswith("n") for i in ids(few)), f"common: {few}")


@_check
async def wrong_dimensions(open_store: VectorStoreOpener) -> None:
    """A vector of the wrong length is refused, naming its path; the batch is not applied."""
    async with open_store(DIMS) as store:
        await store.upsert([VectorPoint("kept", axis(0))])
        for length in (DIMS - 1, DIMS + 1, 0):
            batch = [VectorPoint(f"p{i}", axis(i)) for i in range(5)]
            batch[3] = VectorPoint("p3", [0.5] * length)
            message = await raises_at("$.points[3].vector", f"{length} values", store.upsert(batch))
            expect(str(DIMS) in message, f"the error does not say {DIMS} values: {message!r}")
            expect(await store.count() == 1, f"a refused batch changed the count to {length}")


@_check
async def non_finite_values(open_store: VectorStoreOpener) -> None:
    """NaN, infinities and non-numbers in a vector are refused, naming the point."""
    async with open_store(DIMS) as store:
        for bad in (math.nan, math.inf, -math.inf, "x", None):
            vector: list[Any] = axis(0)
            vector[2] = bad
            batch = [VectorPoint("ok", axis(0)), VectorPoint("bad", vector)]
            await raises_at("$.points[1].vector", f"a {bad!r} value", store.upsert(batch))
            expect(await store.count() == 0, f"a refused batch ({bad!r}) was applied")


@_check
async def bad_arguments(open_store: VectorStoreOpener) -> None:
    """Bad queries, non-points and non-str ids are refused, naming the path."""
    async with open_store(DIMS) as store:
        await store.upsert([VectorPoint("a", axis(0))])
        short = store.query(VectorQuery([1.0] * (DIMS - 1)))
        await raises_at("$.vector", "a short query vector", short)
        await raises_at("$.vector", "a NaN query", store.query(VectorQuery(mix((0, math.nan)))))
        await raises_at("$.vector", "a str query", store.query(VectorQuery(["x"] * DIMS)))
        listed = store.query(VectorQuery(axis(0), metadata={"k": [1]}))
        await raises_at("$.metadata.k", "a list metadata filter", listed)
        not_a_point: Any = {"id": "x", "vector": axis(0)}
        refused = store.upsert([VectorPoint("b", axis(1)), not_a_point])
        await raises_at("$.points[1]", "a dict in place of a point", refused)
        expect(await store.count() == 1, "a refused batch was applied")
        bad_id: Any = 5
        await raises_at("$.ids[1]", "a non-str id", store.remove(["a", bad_id]))
        expect(await store.count() == 1, "a refused remove removed something")


@_check
async def empty_store(open_store: VectorStoreOpener) -> None:
    """An empty store answers queries with [], counts 0, removes nothing; save() works."""
    async with open_store(DIMS) as store:
        expect(await store.query(VectorQuery(axis(0))) == [], "an empty store answered")
        filtered = VectorQuery(axis(0), tags=("x",), metadata={"k": 1}, exact=True)
        expect(await store.query(filtered) == [], "an empty store answered a filtered query")
        expect(await store.count() == 0, "an empty store counts points")
        expect(await store.remove(["x"]) == 0, "an empty store removed something")
        await store.save()
        await store.upsert([VectorPoint("a", axis(0))])
        await store.save()
        found = await store.query(VectorQuery(axis(0)))
        expect(ids(found) == ["a"], f"after save(): {ids(found)}")

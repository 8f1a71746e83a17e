"""The `Embedder` conformance suite: what every embedder must do, as named checks."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final

import trio

from mxp_agents.primitives import InvalidValue

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from mxp_agents.memory._embedding_api import Embedder

__all__ = ["EmbedderCheckFailed", "embedder_check_names", "run_embedder_check"]

_TOLERANCE: Final = 1e-4
_TEXTS: Final = ("The cat sat on the mat.", "Quarterly revenue grew by 12%.", "hello")
_UNICODE: Final = (
    "",
    "   ",
    "naïve café — déjà vu",
    "東京で寿司を食べました",
    "Привет, как дела?",
    "مرحبا بالعالم",
    "emoji 🧠🚀 and ZWJ 👩‍💻",
    "e\u0301 combining and zero\u200bwidth",
    "tab\tnew\nline",
)


class EmbedderCheckFailed(AssertionError):
    """An embedder broke a rule of the `Embedder` protocol; the message says which.

    Example:
        >>> raise EmbedderCheckFailed("shapes: 2 vectors for 3 texts")
        Traceback (most recent call last):
        ...
        mxp_agents.memory.testing._embedder_suite.EmbedderCheckFailed: shapes: 2 vectors for 3 texts
    """


def _fail(check: str, message: str) -> EmbedderCheckFailed:
    return EmbedderCheckFailed(f"{check}: {message}")


def _shape(
    check: str, embedder: Embedder, texts: Sequence[str], vectors: object
) -> list[list[float]]:
    if not isinstance(vectors, list):
        raise _fail(check, f"embed returned {type(vectors).__name__}, expected list")
    rows: list[object] = vectors  # pyright: ignore[reportUnknownVariableType]
    if len(rows) != len(texts):
        raise _fail(check, f"{len(rows)} vectors for {len(texts)} texts")
    for index, row in enumerate(rows):
        if not isinstance(row, list):
            raise _fail(check, f"vector {index} is a {type(row).__name__}, expected list")
        values: list[object] = row  # pyright: ignore[reportUnknownVariableType]
        if len(values) != embedder.dimensions:
            raise _fail(
                check, f"vector {index} has {len(values)} floats, expected {embedder.dimensions}"
            )
        for value in values:
            if (
                isinstance(value, bool)
                or not isinstance(value, float | int)
                or not math.isfinite(value)
            ):
                raise _fail(check, f"vector {index} holds {value!r}, expected finite floats")
    return vectors  # pyright: ignore[reportUnknownVariableType]


def _close(check: str, a: list[float], b: list[float], what: str) -> None:
    worst = max((abs(x - y) for x, y in zip(a, b, strict=True)), default=0.0)
    if worst > _TOLERANCE:
        raise _fail(check, f"{what}: vectors differ by up to {worst:.2g}")


async def _embed(check: str, embedder: Embedder, texts: Sequence[str]) -> list[list[float]]:
    # Calls stay within max_batch: only `batch_limits` goes past it.
    size = max(1, embedder.max_batch)
    vectors: list[list[float]] = []
    for start in range(0, len(texts), size):
        chunk = list(texts[start : start + size])
        vectors.extend(_shape(check, embedder, chunk, await embedder.embed(chunk)))
    return vectors


async def _check_properties(embedder: Embedder) -> None:
    if not isinstance(embedder.name, str) or not embedder.name.strip():  # pyright: ignore[reportUnnecessaryIsInstance]
        raise _fail("properties", f"name must be a non-empty str, got {embedder.name!r}")
    for field in ("dimensions", "max_batch"):
        value: object = getattr(embedder, field)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise _fail("properties", f"{field} must be an int >= 1, got {value!r}")
    if not isinstance(embedder.remote, bool):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise _fail("properties", f"remote must be a bool, got {embedder.remote!r}")


async def _check_shapes(embedder: Embedder) -> None:
    await _embed("shapes", embedder, _TEXTS)


async def _check_order(embedder: Embedder) -> None:
    forward = await _embed("order", embedder, _TEXTS)
    backward = await _embed("order", embedder, _TEXTS[::-1])
    for index, text in enumerate(_TEXTS):
        _close("order", forward[index], backward[len(_TEXTS) - 1 - index], f"text {text!r} moved")
        (alone,) = await _embed("order", embedder, [text])
        _close("order", forward[index], alone, f"text {text!r} alone vs in a batch")
    if all(
        max(abs(x - y) for x, y in zip(forward[0], row, strict=True)) <= _TOLERANCE
        for row in forward[1:]
    ):
        raise _fail("order", "different texts got the same vector")


async def _check_empty_input(embedder: Embedder) -> None:
    result: object = await embedder.embed([])
    if result != []:
        raise _fail("empty_input", f"embed([]) returned {result!r}, expected []")


async def _check_batch_limits(embedder: Embedder) -> None:
    size = embedder.max_batch
    texts = [f"text number {n} of the batch" for n in range(size + 1)]
    full = await _embed("batch_limits", embedder, texts[:size])
    try:
        over: object = await embedder.embed(texts)
    except InvalidValue as error:
        if "max_batch" not in str(error) and str(size) not in str(error):
            raise _fail(
                "batch_limits", f"the error for {size + 1} texts does not name max_batch: {error}"
            ) from None
        return
    rows = _shape("batch_limits", embedder, texts, over)
    for index in range(size):
        _close("batch_limits", full[index], rows[index], f"text {index} of a batch over max_batch")


async def _check_determinism(embedder: Embedder) -> None:
    first = await _embed("determinism", embedder, _TEXTS)
    second = await _embed("determinism", embedder, _TEXTS)
    for index, text in enumerate(_TEXTS):
        _close("determinism", first[index], second[index], f"text {text!r} embedded twice")


async def _check_unicode(embedder: Embedder) -> None:
    vectors = await _embed("unicode", embedder, _UNICODE)
    again = await _embed("unicode", embedder, _UNICODE[2:3])
    _close("unicode", vectors[2], again[0], "accented text alone vs in a batch")


async def _check_concurrency(embedder: Embedder) -> None:
    alone = await _embed("concurrency", embedder, _TEXTS)
    results: dict[int, list[list[float]]] = {}

    async def one(slot: int) -> None:
        results[slot] = await _embed("concurrency", embedder, _TEXTS)

    async with trio.open_nursery() as nursery:
        for slot in range(3):
            nursery.start_soon(one, slot)
    for slot, vectors in results.items():
        for index in range(len(_TEXTS)):
            _close("concurrency", alone[index], vectors[index], f"concurrent call {slot}")


async def _expect_invalid(embedder: Embedder, texts: object, wanted: str) -> None:
    try:
        await embedder.embed(texts)  # pyright: ignore[reportArgumentType]
    except InvalidValue as error:
        if wanted not in str(error):
            raise _fail("bad_input", f"embed({texts!r}) error lacks {wanted!r}: {error}") from None
        return
    except Exception as error:
        kind = type(error).__name__
        raise _fail("bad_input", f"embed({texts!r}) raised {kind}, expected InvalidValue") from None
    raise _fail("bad_input", f"embed({texts!r}) was accepted, expected InvalidValue")


async def _check_bad_input(embedder: Embedder) -> None:
    await _expect_invalid(embedder, "a lone string", "at $")
    await _expect_invalid(embedder, ["fine", 3], "expected str, got int - at $[1]")
    await _expect_invalid(embedder, [None], "expected str, got NoneType - at $[0]")
    await _expect_invalid(embedder, ["ok", b"bytes"], "at $[1]")
    await _expect_invalid(embedder, ["bad \ud800 surrogate"], "at $[0]")


_CHECKS: Final[dict[str, Callable[[Embedder], Awaitable[None]]]] = {
    "properties": _check_properties,
    "shapes": _check_shapes,
    "order": _check_order,
    "empty_input": _check_empty_input,
    "batch_limits": _check_batch_limits,
    "determinism": _check_determinism,
    "unicode": _check_unicode,
    "concurrency": _check_concurrency,
    "bad_input": _check_bad_input,
}


def embedder_check_names() -> list[str]:
    """The names of the embedder checks, for ``pytest.mark.parametrize``.

    Example:
        >>> "determinism" in embedder_check_names()
        True
    """
    return list(_CHECKS)


async def run_embedder_check(name: str, embedder: Embedder) -> None:
    """Run the check ``name`` against ``embedder``; `EmbedderCheckFailed` says what broke.

    The checks: ``properties`` (name, dimensions, remote, max_batch well-typed), ``shapes``
    (one vector of ``dimensions`` finite floats per text), ``order`` (a vector does not depend
    on its place or company in a batch; different texts differ), ``empty_input`` (``[]`` gives
    ``[]``), ``batch_limits`` (``max_batch`` texts work; one more either works or raises an
    `InvalidValue` naming the limit), ``determinism``, ``unicode`` (empty, blank, accented,
    CJK, Cyrillic, Arabic, emoji, combining marks), ``concurrency`` (concurrent calls give
    the same vectors), ``bad_input`` (a lone str, non-str items and lone surrogates raise
    `InvalidValue` with the item's path, e.g. ``expected str, got int - at $[1]``).

    Example:
        >>> import pytest
        >>> from mxp_agents.memory.testing import HashEmbedder
        >>> @pytest.mark.parametrize("check", embedder_check_names())
        ... async def test_embedder(check: str) -> None:
        ...     await run_embedder_check(check, HashEmbedder())
    """
    check = _CHECKS.get(name)
    if check is None:
        raise KeyError(f"no embedder check named {name!r}; known: {', '.join(_CHECKS)}")
    await check(embedder)

"""Embeddings per second: `LocalEmbedder` against the raw onnxruntime session, and the
`CachedEmbedder` hit path.

- LocalEmbedder, batch 1 and 32: the whole `embed` call (input checks, tokenizing, the worker
  thread hop, ONNX run, mean pooling, normalising, lists of floats) against a baseline of the
  same onnxruntime session running the same pre-tokenized batches in this process. The ratio
  (ours / raw) is what our layer keeps of the model's throughput.
- CachedEmbedder hits: 32-text calls answered from the cache, against LocalEmbedder computing
  the same texts (the ratio is the speed-up a hit gives).

Figures are medians over repeats.
"""

from __future__ import annotations

import statistics
import time
from typing import TYPE_CHECKING, Any

import trio

from mxp_agents.memory import CachedEmbedder
from mxp_agents.memory._local import LocalEmbedder

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from mxp_agents.memory._local._runner import MiniLMRunner

_SUBJECTS = ("The agent", "My password", "The train", "A memory record", "The kernel", "Our team")
_VERBS = ("was reset", "leaves at noon", "stores vectors", "failed twice", "answers fast", "grew")
_TAILS = ("yesterday.", "for the third time.", "in Paris.", "without a retry.", "on two cores.")


def _texts(count: int, salt: int = 0) -> list[str]:
    out: list[str] = []
    for n in range(count):
        subject = _SUBJECTS[n % len(_SUBJECTS)]
        verb = _VERBS[(n // 2) % len(_VERBS)]
        tail = _TAILS[(n // 3) % len(_TAILS)]
        out.append(f"{subject} {verb} {tail} (note {salt}-{n})")
    return out


async def _rate(
    call: Callable[[list[str]], Awaitable[object]], batches: list[list[str]], repeat: int
) -> float:
    """Median embeddings per second of ``call`` over ``batches``, ``repeat`` times."""
    runs: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        for batch in batches:
            await call(batch)
        elapsed = time.perf_counter() - start
        runs.append(sum(len(b) for b in batches) / elapsed)
    return statistics.median(runs)


def _raw_rate(runner: MiniLMRunner, batches: list[list[str]], repeat: int) -> float:
    tokenized = [runner.tokenize(batch) for batch in batches]
    session = runner.session
    output = [session.get_outputs()[0].name]  # pyright: ignore[reportUnknownMemberType]
    runs: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        for inputs in tokenized:
            session.run(output, inputs)  # pyright: ignore[reportUnknownMemberType]
        elapsed = time.perf_counter() - start
        runs.append(sum(len(b) for b in batches) / elapsed)
    return statistics.median(runs)


async def _measure(quick: bool) -> dict[str, Any]:
    repeat = 3 if quick else 7
    embedder = LocalEmbedder(max_batch=32)
    await embedder.load()
    runner = embedder._runner  # pyright: ignore[reportPrivateUsage]
    assert runner is not None
    rows: list[list[Any]] = []
    figures: dict[str, Any] = {}
    for batch_size, count in ((1, 32 if quick else 96), (32, 64 if quick else 256)):
        texts = _texts(count)
        batches = [texts[i : i + batch_size] for i in range(0, count, batch_size)]
        await embedder.embed(batches[0])  # warm up
        raw = await trio.to_thread.run_sync(_raw_rate, runner, batches, repeat)
        ours = await _rate(embedder.embed, batches, repeat)
        rows.append([f"LocalEmbedder batch {batch_size}", ours, "raw ORT session", raw, ours / raw])
        figures[f"local_batch_{batch_size}"] = {"ours": ours, "raw": raw, "ratio": ours / raw}

    cached = CachedEmbedder(embedder, max_entries=10_000)
    hit_texts = _texts(256 if quick else 2048, salt=1)
    hit_batches = [hit_texts[i : i + 32] for i in range(0, len(hit_texts), 32)]
    compute_batches = hit_batches[: 4 if quick else 8]
    computed = await _rate(embedder.embed, compute_batches, repeat)
    for batch in hit_batches:
        await cached.embed(batch)
    hits = await _rate(cached.embed, hit_batches, repeat)
    rows.append(
        ["CachedEmbedder hits, batch 32", hits, "LocalEmbedder batch 32", computed, hits / computed]
    )
    figures["cache_hits"] = {"ours": hits, "computed": computed, "ratio": hits / computed}

    ratio_32 = figures["local_batch_32"]["ratio"]
    ratio_1 = figures["local_batch_1"]["ratio"]
    goals = [
        ("LocalEmbedder batch 32 keeps >= 80% of the raw session's throughput", ratio_32 >= 0.8),
        ("LocalEmbedder batch 1 keeps >= 50% of the raw session's throughput", ratio_1 >= 0.5),
        (
            "LocalEmbedder batch 32 >= 100 embeddings/s on one ORT thread",
            figures["local_batch_32"]["ours"] >= 100,
        ),
        ("CachedEmbedder hits >= 50x faster than computing", hits / computed >= 50),
    ]
    return {
        "title": "Embeddings per second (all-MiniLM-L6-v2 int8, onnxruntime, 1 thread)",
        "header": ["case", "emb/s", "baseline", "baseline emb/s", "ratio"],
        "rows": rows,
        "json": figures,
        "goals": goals,
    }


def measure(*, quick: bool) -> dict[str, Any]:
    """Run the embedding benchmark; ``quick`` finishes in well under 30 s.

    Example:
        >>> measure(quick=True)["title"]  # doctest: +SKIP
        'Embeddings per second (all-MiniLM-L6-v2 int8, onnxruntime, 1 thread)'
    """
    return trio.run(_measure, quick)


if __name__ == "__main__":
    import sys

    from _common import print_table, verdict

    result = measure(quick="--quick" in sys.argv)
    print_table(result["title"], result["header"], result["rows"])
    for goal, ok in result["goals"]:
        print(f"  {verdict(ok)}: {goal}")

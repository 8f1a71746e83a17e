"""`MiniLMRunner`: the blocking half of `LocalEmbedder` — tokenizer, ONNX session, pooling.

Runs only inside a worker thread (through `trio.to_thread.run_sync`), one call at a time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import numpy as np
import onnxruntime as ort  # pyright: ignore[reportMissingTypeStubs]
from tokenizers import Tokenizer

from mxp_agents.memory._errors import EmbeddingError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from numpy.typing import NDArray

__all__ = ["MiniLMRunner", "TokenBatch"]

_INPUTS: Final = frozenset({"input_ids", "attention_mask", "token_type_ids"})
_MIN_NORM: Final = 1e-12

TokenBatch = dict[str, "NDArray[np.int64]"]
"""The ONNX inputs of one batch: ``input_ids``, ``attention_mask``, ``token_type_ids``."""


class MiniLMRunner:
    """all-MiniLM-L6-v2 on onnxruntime: tokenize (truncate to ``max_length``, pad to the longest
    text of the batch), run the graph (it outputs token embeddings, ``last_hidden_state``),
    mean-pool over the attention mask and L2-normalise — what sentence-transformers does.

    The session uses one intra-op and one inter-op thread: embedding runs beside the agent's
    own work, not instead of it.

    Example:
        >>> runner = MiniLMRunner(model_path, tokenizer_path, max_length=256)  # doctest: +SKIP
        >>> runner.embed(["hello"]).shape  # doctest: +SKIP
        (1, 384)
    """

    def __init__(self, model_path: Path, tokenizer_path: Path, *, max_length: int) -> None:
        try:
            tokenizer = Tokenizer.from_file(str(tokenizer_path))
        except Exception as error:
            raise EmbeddingError(
                f"cannot load the tokenizer {str(tokenizer_path)!r}: {error}"
            ) from None
        tokenizer.enable_truncation(max_length=max_length)  # pyright: ignore[reportUnknownMemberType]
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # pyright: ignore[reportUnknownMemberType]
        options: Any = ort.SessionOptions()  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL  # pyright: ignore[reportUnknownMemberType]
        try:
            session = ort.InferenceSession(
                str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:
            raise EmbeddingError(
                f"cannot load the ONNX model {str(model_path)!r}: {error}"
            ) from None
        # onnxruntime's NodeArg is untyped: read the names and shape into typed values.
        inputs: list[Any] = list(session.get_inputs())  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
        outputs: list[Any] = list(session.get_outputs())  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
        names: set[str] = {str(node.name) for node in inputs}
        if not names <= _INPUTS or "input_ids" not in names or not outputs:
            raise EmbeddingError(
                f"{str(model_path)!r} is not a BERT-style embedding model: inputs "
                f"{sorted(names)}, expected some of {sorted(_INPUTS)}"
            )
        shape: list[object] = list(outputs[0].shape)
        if len(shape) != 3 or not isinstance(shape[2], int):
            raise EmbeddingError(
                f"{str(model_path)!r} outputs {outputs[0].name} of shape {shape}, expected "
                "token embeddings (batch, sequence, dimensions)"
            )
        width = shape[2]
        assert isinstance(width, int)
        self.dimensions: int = width
        self.session = session
        self.tokenizer = tokenizer
        self._inputs = names
        self._output: str = str(outputs[0].name)

    def tokenize(self, texts: Sequence[str]) -> TokenBatch:
        """The ONNX inputs for ``texts``, padded to the longest one (truncated to max_length).

        Example:
            >>> runner.tokenize(["hi"])["input_ids"].tolist()  # doctest: +SKIP
            [[101, 7632, 102]]
        """
        encodings = self.tokenizer.encode_batch(list(texts))
        batch: TokenBatch = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        return {name: value for name, value in batch.items() if name in self._inputs}

    def run(self, batch: TokenBatch) -> NDArray[np.float32]:
        """Sentence embeddings (unit length) of a tokenized batch.

        Example:
            >>> runner.run(runner.tokenize(["hi"])).shape  # doctest: +SKIP
            (1, 384)
        """
        results: list[Any] = list(self.session.run([self._output], batch))  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
        tokens: NDArray[np.float32] = np.asarray(results[0], dtype=np.float32)
        mask = batch["attention_mask"].astype(np.float32)[:, :, None]
        summed = (tokens * mask).sum(axis=1)
        counts = np.maximum(mask.sum(axis=1), 1.0)
        pooled = summed / counts
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), _MIN_NORM)
        return (pooled / norms).astype(np.float32)

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """`tokenize` then `run`.

        Example:
            >>> runner.embed(["a", "b"]).shape  # doctest: +SKIP
            (2, 384)
        """
        return self.run(self.tokenize(texts))

"""The local embedder: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime; needs the ``local`` extra."""

from mxp_agents.memory._local._embedder import (
    DEFAULT_MAX_LENGTH,
    LOCAL_DIMENSIONS,
    LOCAL_MODEL_NAME,
    LocalEmbedder,
)
from mxp_agents.memory._local._paths import bundled_model_path, bundled_tokenizer_path

__all__ = [
    "DEFAULT_MAX_LENGTH",
    "LOCAL_DIMENSIONS",
    "LOCAL_MODEL_NAME",
    "LocalEmbedder",
    "bundled_model_path",
    "bundled_tokenizer_path",
]

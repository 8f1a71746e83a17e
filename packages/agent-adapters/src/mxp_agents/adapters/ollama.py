"""Ollama models (local, or hosted at ollama.com) through the official ``ollama`` SDK.

Needs the ``ollama`` package (the ``ollama`` extra of ``mxp-agents-adapters``).

Example:
    >>> import trio
    >>> from mxp_agents.adapters import ModelRequest
    >>> from mxp_agents.adapters.ollama import OllamaModel
    >>> from mxp_agents.primitives import Message
    >>> async def main() -> str:
    ...     async with OllamaModel("llama3.2") as model:
    ...         response = await model.complete(ModelRequest((Message.user("Hi!"),)))
    ...     return response.text
    >>> trio.run(main)  # doctest: +SKIP
    'Hello! How can I help you today?'
"""

from mxp_agents.adapters._ollama._embedder import OllamaEmbedder
from mxp_agents.adapters._ollama._model import DEFAULT_HOST, OllamaModel

__all__ = ["DEFAULT_HOST", "OllamaEmbedder", "OllamaModel"]

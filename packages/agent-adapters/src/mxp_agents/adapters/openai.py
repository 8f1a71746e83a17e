"""The OpenAI adapter: `OpenAIModel` speaks the Chat Completions API through the official
``openai`` SDK, to OpenAI or to any OpenAI-compatible server (``base_url``).

Needs the ``openai`` extra: ``pip install "mxp-agents-adapters[openai]"``.

Example:
    >>> from mxp_agents.adapters import ModelRequest
    >>> from mxp_agents.adapters.openai import OpenAIModel
    >>> from mxp_agents.primitives import Message
    >>> async with OpenAIModel("gpt-4o-mini") as model:  # doctest: +SKIP
    ...     response = await model.complete(ModelRequest((Message.user("Capital of France?"),)))
    >>> response.text  # doctest: +SKIP
    'Paris.'
"""

from mxp_agents.adapters._openai._embedder import OpenAIEmbedder
from mxp_agents.adapters._openai._model import OpenAIModel

__all__ = ["OpenAIEmbedder", "OpenAIModel"]

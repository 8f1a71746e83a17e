"""Google Gemini models (Gemini Developer API) through the official ``google-genai`` SDK.

Install the extra that brings the SDK (``google-genai``) and set ``GEMINI_API_KEY``.

Example:
    >>> import trio
    >>> from mxp_agents.primitives import Message
    >>> from mxp_agents.adapters import ModelRequest
    >>> from mxp_agents.adapters.gemini import GeminiModel
    >>> async def main() -> str:
    ...     async with GeminiModel("gemini-2.5-flash") as model:
    ...         response = await model.complete(ModelRequest((Message.user("Hi"),)))
    ...         return response.text
    >>> trio.run(main)  # doctest: +SKIP
    'Hello! How can I help you today?'
"""

from mxp_agents.adapters._gemini import GeminiModel
from mxp_agents.adapters._gemini._embedder import GeminiEmbedder

__all__ = ["GeminiEmbedder", "GeminiModel"]

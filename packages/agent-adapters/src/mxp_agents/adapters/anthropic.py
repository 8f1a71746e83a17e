"""Claude models through Anthropic's Messages API: `AnthropicModel`.

Needs the ``anthropic`` SDK (``pip install 'mxp-agents-adapters[anthropic]'``). The key comes
from ``api_key`` or the ``ANTHROPIC_API_KEY`` environment variable.

Example:
    >>> import trio
    >>> from mxp_agents.primitives import Message
    >>> from mxp_agents.adapters import ModelRequest
    >>> from mxp_agents.adapters.anthropic import AnthropicModel
    >>> async def main() -> str:
    ...     async with AnthropicModel("claude-haiku-4-5") as model:
    ...         response = await model.complete(ModelRequest((Message.user("Hi"),)))
    ...     return response.text
    >>> trio.run(main)  # doctest: +SKIP
    'Hello! How can I help you today?'
"""

from mxp_agents.adapters._anthropic import AnthropicModel

__all__ = ["AnthropicModel"]

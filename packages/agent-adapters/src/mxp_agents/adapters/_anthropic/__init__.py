"""The Anthropic adapter's implementation: request, response, stream and error mapping."""

from mxp_agents.adapters._anthropic._model import AnthropicModel

__all__ = ["AnthropicModel"]

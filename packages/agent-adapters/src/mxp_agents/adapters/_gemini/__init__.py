"""The Google Gemini adapter (private; the public module is ``mxp_agents.adapters.gemini``)."""

from mxp_agents.adapters._gemini._model import GeminiModel

__all__ = ["GeminiModel"]

"""The model interface of MXP Agents: requests, streamed events, responses and errors.

Every model adapter implements `ModelAdapter`; the kernel speaks only these types. The test
models live in `mxp_agents.adapters.testing`.

Example:
    >>> import trio
    >>> from mxp_agents.primitives import Message
    >>> from mxp_agents.adapters import ModelRequest
    >>> from mxp_agents.adapters.testing import ScriptedModel, Step
    >>> model = ScriptedModel([Step.text("Paris.")])
    >>> response = trio.run(model.complete, ModelRequest((Message.user("Capital of France?"),)))
    >>> response.text, response.finish_reason
    ('Paris.', <FinishReason.STOP: 'stop'>)
"""

from typing import TYPE_CHECKING

from mxp_agents.adapters._assembler import ResponseAssembler, collect_response
from mxp_agents.adapters._cost import DEFAULT_PRICES, Price, PriceTable
from mxp_agents.adapters._errors import (
    AuthenticationError,
    ContentFilteredError,
    ContextLengthExceededError,
    InvalidModelValue,
    InvalidRequestError,
    MalformedResponseError,
    ModelError,
    ModelTimeoutError,
    ModelUnavailableError,
    PermissionDeniedError,
    RateLimitedError,
    TransientModelError,
)
from mxp_agents.adapters._events import (
    Finish,
    FinishReason,
    ModelEvent,
    TextDelta,
    ToolCallDelta,
    UsageUpdate,
)
from mxp_agents.adapters._fallback import DEFAULT_FALLBACK_ON, FallbackModel
from mxp_agents.adapters._protocol import CostEstimator, ModelAdapter
from mxp_agents.adapters._provider import ProviderModel
from mxp_agents.adapters._redact import redact
from mxp_agents.adapters._request import ModelRequest, ResponseFormat, ToolChoice, ToolChoiceTool
from mxp_agents.adapters._response import ModelResponse
from mxp_agents.adapters._retry import NO_RETRY, RetryPolicy
from mxp_agents.adapters._settings import (
    API_KEY_VARIABLES,
    ModelSettings,
    choose_provider,
    model_from_settings,
)
from mxp_agents.adapters._streams import close_stream
from mxp_agents.primitives import lazy_exports

if TYPE_CHECKING:
    from mxp_agents.adapters.anthropic import AnthropicModel
    from mxp_agents.adapters.gemini import GeminiEmbedder, GeminiModel
    from mxp_agents.adapters.local import LocalModel
    from mxp_agents.adapters.ollama import OllamaEmbedder, OllamaModel
    from mxp_agents.adapters.openai import OpenAIEmbedder, OpenAIModel

__version__ = "0.2.0"

__all__ = [
    "API_KEY_VARIABLES",
    "DEFAULT_FALLBACK_ON",
    "DEFAULT_PRICES",
    "NO_RETRY",
    "AnthropicModel",
    "AuthenticationError",
    "ContentFilteredError",
    "ContextLengthExceededError",
    "CostEstimator",
    "FallbackModel",
    "Finish",
    "FinishReason",
    "GeminiEmbedder",
    "GeminiModel",
    "InvalidModelValue",
    "InvalidRequestError",
    "LocalModel",
    "MalformedResponseError",
    "ModelAdapter",
    "ModelError",
    "ModelEvent",
    "ModelRequest",
    "ModelResponse",
    "ModelSettings",
    "ModelTimeoutError",
    "ModelUnavailableError",
    "OllamaEmbedder",
    "OllamaModel",
    "OpenAIEmbedder",
    "OpenAIModel",
    "PermissionDeniedError",
    "Price",
    "PriceTable",
    "ProviderModel",
    "RateLimitedError",
    "ResponseAssembler",
    "ResponseFormat",
    "RetryPolicy",
    "TextDelta",
    "ToolCallDelta",
    "ToolChoice",
    "ToolChoiceTool",
    "TransientModelError",
    "UsageUpdate",
    "choose_provider",
    "close_stream",
    "collect_response",
    "model_from_settings",
    "redact",
]

# The provider adapters import their SDK, so they load on first use: `import
# mxp_agents.adapters` stays fast and works without any provider extra installed.
_PROVIDERS: dict[str, tuple[str, str | None]] = {
    "AnthropicModel": ("anthropic", "anthropic"),
    "GeminiEmbedder": ("gemini", "gemini"),
    "GeminiModel": ("gemini", "gemini"),
    "LocalModel": ("local", "local"),
    "OllamaEmbedder": ("ollama", "ollama"),
    "OllamaModel": ("ollama", "ollama"),
    "OpenAIEmbedder": ("openai", "openai"),
    "OpenAIModel": ("openai", "openai"),
}


__getattr__ = lazy_exports(__name__, _PROVIDERS, distribution="mxp-agents-adapters")

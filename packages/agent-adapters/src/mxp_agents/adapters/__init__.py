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

from mxp_agents.adapters._assembler import ResponseAssembler, collect_response
from mxp_agents.adapters._errors import (
    AuthenticationError,
    ContentFilteredError,
    ContextLengthExceededError,
    InvalidModelValue,
    InvalidRequestError,
    MalformedResponseError,
    ModelError,
    ModelTimeoutError,
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
from mxp_agents.adapters._protocol import ModelAdapter
from mxp_agents.adapters._redact import redact
from mxp_agents.adapters._request import ModelRequest, ResponseFormat, ToolChoice, ToolChoiceTool
from mxp_agents.adapters._response import ModelResponse

__version__ = "0.1.0"

__all__ = [
    "AuthenticationError",
    "ContentFilteredError",
    "ContextLengthExceededError",
    "Finish",
    "FinishReason",
    "InvalidModelValue",
    "InvalidRequestError",
    "MalformedResponseError",
    "ModelAdapter",
    "ModelError",
    "ModelEvent",
    "ModelRequest",
    "ModelResponse",
    "ModelTimeoutError",
    "PermissionDeniedError",
    "RateLimitedError",
    "ResponseAssembler",
    "ResponseFormat",
    "TextDelta",
    "ToolCallDelta",
    "ToolChoice",
    "ToolChoiceTool",
    "TransientModelError",
    "UsageUpdate",
    "collect_response",
    "redact",
]

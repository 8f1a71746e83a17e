"""Prompt assembly for MXP Agents: strict templates, system → role → task composition, a
token-budgeted context window with summaries, and guardrails for PII, secrets and injection.

Example:
    >>> from mxp_agents.primitives import Message
    >>> from mxp_agents.prompts import ContextWindow, Guardrails, PromptStack
    >>> stack = PromptStack(
    ...     system="You are {{ agent }}, a careful assistant.",
    ...     role="Act as a {{ role }}.",
    ...     task="{{ request }}",
    ... )
    >>> request = Guardrails().redact("Summarise the thread with ada@example.com").text
    >>> messages = stack.build({"agent": "mxp-1", "role": "support agent", "request": request})
    >>> fitted = ContextWindow(max_tokens=1024).fit(messages)
    >>> [m.content for m in fitted.messages]
    ['You are mxp-1, a careful assistant.\\n\\nAct as a support agent.', \
'Summarise the thread with [REDACTED:email]']
"""

from mxp_agents.prompts._checks import iban_valid, luhn_valid
from mxp_agents.prompts._detector import Detector
from mxp_agents.prompts._detectors import DEFAULT_DETECTORS, DIGITS, PII_KINDS, SECRET_KINDS
from mxp_agents.prompts._errors import (
    ContextBudgetError,
    GuardrailViolation,
    InvalidArgument,
    MissingVariableError,
    PromptsError,
    TemplateSyntaxError,
    UnknownVariableError,
)
from mxp_agents.prompts._guardrails import Guardrails
from mxp_agents.prompts._guardrails_config import DEFAULT_MARKER, DEFAULT_POLICIES, GuardrailsConfig
from mxp_agents.prompts._hits import (
    GuardrailHit,
    GuardrailReport,
    JsonRedaction,
    Policy,
    RedactionResult,
    masked_preview,
)
from mxp_agents.prompts._injection import DEFAULT_DENY_PATTERNS
from mxp_agents.prompts._scoring import Scorer, default_score
from mxp_agents.prompts._stack import PromptStack
from mxp_agents.prompts._summary import ExtractiveSummarizer, Summarizer
from mxp_agents.prompts._template import PromptTemplate
from mxp_agents.prompts._template_parse import Placeholder, escape
from mxp_agents.prompts._tokens import ApproxTokenCounter, TokenCounter
from mxp_agents.prompts._window import ContextWindow
from mxp_agents.prompts._window_types import ContextWindowConfig, FittedContext

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_DENY_PATTERNS",
    "DEFAULT_DETECTORS",
    "DIGITS",
    "DEFAULT_MARKER",
    "DEFAULT_POLICIES",
    "PII_KINDS",
    "SECRET_KINDS",
    "ApproxTokenCounter",
    "ContextBudgetError",
    "ContextWindow",
    "ContextWindowConfig",
    "Detector",
    "ExtractiveSummarizer",
    "FittedContext",
    "GuardrailHit",
    "GuardrailReport",
    "GuardrailViolation",
    "Guardrails",
    "GuardrailsConfig",
    "InvalidArgument",
    "JsonRedaction",
    "MissingVariableError",
    "Placeholder",
    "Policy",
    "PromptStack",
    "PromptTemplate",
    "PromptsError",
    "RedactionResult",
    "Scorer",
    "Summarizer",
    "TemplateSyntaxError",
    "TokenCounter",
    "UnknownVariableError",
    "default_score",
    "escape",
    "iban_valid",
    "luhn_valid",
    "masked_preview",
]

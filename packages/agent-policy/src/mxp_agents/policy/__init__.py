"""Policy and governance for MXP Agents for Python.

A `PolicyEngine` answers `PolicyRequest`s (an agent wants to run a tool, call a model, write
memory, send a message, emit an event) with a `PolicyDecision`: allow, deny or escalate to a
human. `consult` asks an engine and fails closed. Engines, approvals and audit sinks load on
first use.

Example:
    >>> from mxp_agents.policy import InvokeTool, PolicyDecision, PolicyRequest
    >>> request = PolicyRequest("0190...", InvokeTool("pay", arguments={"amount": 120}))
    >>> PolicyDecision.escalate("payments over 100 need finance", ["finance"]).is_escalate
    True
"""

from typing import Any

from mxp_agents.policy._approval_api import (
    ApprovalRecord,
    ApprovalRequest,
    ApprovalStatus,
    ApprovalStore,
    fingerprint,
)
from mxp_agents.policy._audit_api import AuditEvent, AuditSink
from mxp_agents.policy._decision import DecisionKind, PolicyDecision
from mxp_agents.policy._engine import DEFAULT_TIMEOUT, FAIL_CLOSED, PolicyEngine, consult
from mxp_agents.policy._errors import (
    ApprovalError,
    AuditError,
    InvalidPolicy,
    PolicyError,
    PolicyLoadError,
)
from mxp_agents.policy._request import (
    EmitEvent,
    InvokeTool,
    MemoryWrite,
    ModelInference,
    OutboundMessage,
    PolicyAction,
    PolicyContext,
    PolicyRequest,
)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_TIMEOUT",
    "FAIL_CLOSED",
    "ApprovalError",
    "ApprovalRecord",
    "ApprovalRequest",
    "ApprovalStatus",
    "ApprovalStore",
    "AuditError",
    "AuditEvent",
    "AuditSink",
    "DecisionKind",
    "EmitEvent",
    "InvalidPolicy",
    "InvokeTool",
    "MemoryWrite",
    "ModelInference",
    "OutboundMessage",
    "PolicyAction",
    "PolicyContext",
    "PolicyDecision",
    "PolicyEngine",
    "PolicyError",
    "PolicyLoadError",
    "PolicyRequest",
    "consult",
    "fingerprint",
]

# name -> (private module, the extra whose dependencies it imports, or None); helpers add here.
_LAZY: dict[str, tuple[str, str | None]] = {}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, extra = _LAZY[name]
    import importlib

    try:
        loaded = importlib.import_module(f"{__name__}.{module}")
    except ImportError as error:
        if extra is None:
            raise
        raise ImportError(
            f"{name} needs the {extra!r} extra: pip install 'mxp-agents-policy[{extra}]' ({error})"
        ) from error
    value = getattr(loaded, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)

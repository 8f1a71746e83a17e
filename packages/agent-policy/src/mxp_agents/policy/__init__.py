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

from typing import TYPE_CHECKING

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
from mxp_agents.primitives import lazy_exports

if TYPE_CHECKING:
    from mxp_agents.policy._approvals._file import FileApprovalStore
    from mxp_agents.policy._approvals._postgres import PostgresApprovalStore
    from mxp_agents.policy._approvals._settings import (
        ApprovalSettings,
        default_approval_directory,
        open_approval_store,
    )
    from mxp_agents.policy._audit import (
        MXP_AUDITED,
        SPAN_EVENT,
        Backoff,
        ChainProblem,
        ChainReport,
        FanOut,
        HashChainLog,
        Outbox,
        OutboxSink,
        ProblemKind,
        TornTail,
        TracingSink,
        mxp_audit_body,
        mxp_audited,
        verify,
    )
    from mxp_agents.policy._compose import (
        CachedEngine,
        CacheStats,
        CombinedEngine,
        CombineMode,
        combine,
    )
    from mxp_agents.policy._rego import (
        RegoBundle,
        RegoEngine,
        RegoEvaluationError,
        RegoSample,
        RegoSourceError,
    )
    from mxp_agents.policy._rules import (
        NOT_APPLICABLE,
        Condition,
        Rule,
        RuleLoadError,
        RulesEngine,
        RulesPolicy,
        TimeWindow,
        Verdict,
        When,
        load_rules,
        not_applicable_decision,
    )

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_TIMEOUT",
    "FAIL_CLOSED",
    "MXP_AUDITED",
    "NOT_APPLICABLE",
    "SPAN_EVENT",
    "ApprovalError",
    "ApprovalRecord",
    "ApprovalRequest",
    "ApprovalSettings",
    "ApprovalStatus",
    "ApprovalStore",
    "AuditError",
    "AuditEvent",
    "AuditSink",
    "Backoff",
    "CacheStats",
    "CachedEngine",
    "ChainProblem",
    "ChainReport",
    "CombineMode",
    "CombinedEngine",
    "Condition",
    "DecisionKind",
    "EmitEvent",
    "FanOut",
    "FileApprovalStore",
    "HashChainLog",
    "InvalidPolicy",
    "InvokeTool",
    "MemoryWrite",
    "ModelInference",
    "OutboundMessage",
    "Outbox",
    "OutboxSink",
    "PolicyAction",
    "PolicyContext",
    "PolicyDecision",
    "PolicyEngine",
    "PolicyError",
    "PolicyLoadError",
    "PolicyRequest",
    "PostgresApprovalStore",
    "ProblemKind",
    "RegoBundle",
    "RegoEngine",
    "RegoEvaluationError",
    "RegoSample",
    "RegoSourceError",
    "Rule",
    "RuleLoadError",
    "RulesEngine",
    "RulesPolicy",
    "TimeWindow",
    "TornTail",
    "TracingSink",
    "Verdict",
    "When",
    "combine",
    "consult",
    "default_approval_directory",
    "fingerprint",
    "load_rules",
    "mxp_audit_body",
    "mxp_audited",
    "not_applicable_decision",
    "open_approval_store",
    "verify",
]

# name -> (private module, the extra whose dependencies it imports, or None); helpers add here.
_LAZY: dict[str, tuple[str, str | None]] = {
    "TracingSink": ("_audit", None),
    "FanOut": ("_audit", None),
    "SPAN_EVENT": ("_audit", None),
    "mxp_audit_body": ("_audit", None),
    "mxp_audited": ("_audit", None),
    "MXP_AUDITED": ("_audit", None),
    "OutboxSink": ("_audit", None),
    "HashChainLog": ("_audit", None),
    "verify": ("_audit", None),
    "ChainReport": ("_audit", None),
    "ChainProblem": ("_audit", None),
    "ProblemKind": ("_audit", None),
    "TornTail": ("_audit", None),
    "Outbox": ("_audit", None),
    "Backoff": ("_audit", None),
    "RulesEngine": ("_rules", None),
    "Rule": ("_rules", None),
    "When": ("_rules", None),
    "Condition": ("_rules", None),
    "TimeWindow": ("_rules", None),
    "RulesPolicy": ("_rules", None),
    "load_rules": ("_rules", None),
    "RuleLoadError": ("_rules", None),
    "Verdict": ("_rules", None),
    "NOT_APPLICABLE": ("_rules", None),
    "not_applicable_decision": ("_rules", None),
    "combine": ("_compose", None),
    "CombinedEngine": ("_compose", None),
    "CombineMode": ("_compose", None),
    "CachedEngine": ("_compose", None),
    "CacheStats": ("_compose", None),
    "FileApprovalStore": ("_approvals._file", None),
    "PostgresApprovalStore": ("_approvals._postgres", "postgres"),
    "ApprovalSettings": ("_approvals._settings", None),
    "open_approval_store": ("_approvals._settings", None),
    "default_approval_directory": ("_approvals._settings", None),
    "RegoBundle": ("_rego", "rego"),
    "RegoEngine": ("_rego", "rego"),
    "RegoEvaluationError": ("_rego", "rego"),
    "RegoSample": ("_rego", "rego"),
    "RegoSourceError": ("_rego", "rego"),
}


__getattr__ = lazy_exports(__name__, _LAZY, distribution="mxp-agents-policy")


def __dir__() -> list[str]:
    return sorted(__all__)

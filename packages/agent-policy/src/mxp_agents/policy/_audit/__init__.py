"""Audit observers and sinks: tracing, fan-out, the MXP audit body, the hash-chained log and
its verifier, and the durable outbox."""

from mxp_agents.policy._audit._chain import HashChainLog
from mxp_agents.policy._audit._mxp import MXP_AUDITED, OutboxSink, mxp_audit_body, mxp_audited
from mxp_agents.policy._audit._observers import SPAN_EVENT, FanOut, TracingSink
from mxp_agents.policy._audit._outbox import Backoff, Outbox
from mxp_agents.policy._audit._verify import (
    ChainProblem,
    ChainReport,
    ProblemKind,
    TornTail,
    verify,
)

__all__ = [
    "MXP_AUDITED",
    "SPAN_EVENT",
    "Backoff",
    "ChainProblem",
    "ChainReport",
    "FanOut",
    "HashChainLog",
    "Outbox",
    "OutboxSink",
    "ProblemKind",
    "TornTail",
    "TracingSink",
    "mxp_audit_body",
    "mxp_audited",
    "verify",
]

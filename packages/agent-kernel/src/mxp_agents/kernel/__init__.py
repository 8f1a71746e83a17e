"""The agent kernel of MXP Agents for Python.

The agent loop (`Agent`, runs, limits, structured output, streaming events, telemetry) and the
runtime (lifecycle, scheduler, MXP endpoint, registry, delegation).

Example:
    >>> from mxp_agents.kernel import Agent, RunLimits, StopReason
"""

from mxp_agents.kernel._agent import Agent
from mxp_agents.kernel._call_body import CallRequest, InvalidCallBody, PriorityName, ReferenceCall
from mxp_agents.kernel._call_response import (
    CallErrorBody,
    CallEvent,
    CallFailed,
    CallResponse,
    CallStarted,
    CallStep,
    CallTextDelta,
    CallToolFinished,
    CallToolStarted,
    ToolCallSummary,
)
from mxp_agents.kernel._client import CallError, CallTimeout, call_agent, stream_agent
from mxp_agents.kernel._config import KernelConfig, KernelConfigError
from mxp_agents.kernel._delegation import DelegationError, PeerTool, peer_tool
from mxp_agents.kernel._errors import AgentConfigError, KernelError, RunInputError
from mxp_agents.kernel._events import (
    ModelCallFinished,
    ModelTextDelta,
    RunEvent,
    RunFinished,
    RunStarted,
    ToolCallFinished,
    ToolCallStarted,
)
from mxp_agents.kernel._fair_queue import FairQueue, Priority, PriorityWeights
from mxp_agents.kernel._governance_server import (
    GOVERNANCE_CAPABILITY,
    GovernanceServer,
    serve_governance,
)
from mxp_agents.kernel._governance_service import AuditBody, Verdict
from mxp_agents.kernel._governor import Governance, PolicyDenied
from mxp_agents.kernel._hooks import AgentHooks
from mxp_agents.kernel._kernel import Kernel, current_kernel
from mxp_agents.kernel._lifecycle import AgentState, InvalidTransition, Lifecycle, LifecycleEvent
from mxp_agents.kernel._limits import RunLimits, StopReason
from mxp_agents.kernel._memory_errors import MemoryServiceError
from mxp_agents.kernel._memory_log import (
    AnswerEntry,
    ModelEntry,
    ModelErrorEntry,
    RunEntry,
    TaskEntry,
    ToolCallEntry,
    ToolResultEntry,
    entry_of,
)
from mxp_agents.kernel._memory_server import (
    JOURNAL_CAPABILITY,
    VECTORS_CAPABILITY,
    MemoryServer,
    serve_memory,
)
from mxp_agents.kernel._model_server import ModelServer, serve_model
from mxp_agents.kernel._model_wire import model_capability
from mxp_agents.kernel._mxp_governance import MxpApprovals, MxpAuditSink
from mxp_agents.kernel._mxp_journal import MxpJournal
from mxp_agents.kernel._mxp_model import MxpModel
from mxp_agents.kernel._mxp_vector_store import MxpVectorStore
from mxp_agents.kernel._policy_gate import policy_gate
from mxp_agents.kernel._replay import ReplayError
from mxp_agents.kernel._result import RunResult, ToolCallRecord
from mxp_agents.kernel._run import RunStream
from mxp_agents.kernel._scheduler import Scheduler
from mxp_agents.kernel._scheduler_types import (
    Admission,
    DeadlineExceeded,
    JobCancelled,
    SchedulerBusy,
    SchedulerClosed,
    SchedulerError,
    SchedulerStats,
)

__all__ = [
    "GOVERNANCE_CAPABILITY",
    "JOURNAL_CAPABILITY",
    "VECTORS_CAPABILITY",
    "Admission",
    "Agent",
    "AgentConfigError",
    "AgentHooks",
    "AgentState",
    "AnswerEntry",
    "AuditBody",
    "CallError",
    "CallErrorBody",
    "CallEvent",
    "CallFailed",
    "CallRequest",
    "CallResponse",
    "CallStarted",
    "CallStep",
    "CallTextDelta",
    "CallTimeout",
    "CallToolFinished",
    "CallToolStarted",
    "DeadlineExceeded",
    "DelegationError",
    "FairQueue",
    "Governance",
    "GovernanceServer",
    "InvalidCallBody",
    "InvalidTransition",
    "JobCancelled",
    "Kernel",
    "KernelConfig",
    "KernelConfigError",
    "KernelError",
    "Lifecycle",
    "LifecycleEvent",
    "MemoryServer",
    "MemoryServiceError",
    "ModelCallFinished",
    "ModelEntry",
    "ModelErrorEntry",
    "ModelServer",
    "ModelTextDelta",
    "MxpApprovals",
    "MxpAuditSink",
    "MxpJournal",
    "MxpModel",
    "MxpVectorStore",
    "PeerTool",
    "PolicyDenied",
    "Priority",
    "PriorityName",
    "PriorityWeights",
    "ReferenceCall",
    "ReplayError",
    "RunEntry",
    "RunEvent",
    "RunFinished",
    "RunInputError",
    "RunLimits",
    "RunResult",
    "RunStarted",
    "RunStream",
    "Scheduler",
    "SchedulerBusy",
    "SchedulerClosed",
    "SchedulerError",
    "SchedulerStats",
    "StopReason",
    "TaskEntry",
    "ToolCallEntry",
    "ToolCallFinished",
    "ToolCallRecord",
    "ToolCallStarted",
    "ToolCallSummary",
    "ToolResultEntry",
    "Verdict",
    "call_agent",
    "current_kernel",
    "entry_of",
    "model_capability",
    "peer_tool",
    "policy_gate",
    "serve_governance",
    "serve_memory",
    "serve_model",
    "stream_agent",
]

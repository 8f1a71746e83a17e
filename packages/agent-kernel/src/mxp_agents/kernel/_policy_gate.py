"""`policy_gate`: the memory boundary gate decided by a policy engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mxp_agents.policy import (
    DEFAULT_TIMEOUT,
    OutboundMessage,
    PolicyContext,
    PolicyRequest,
    consult,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from mxp_agents.memory import Destination, MemoryRecord
    from mxp_agents.policy import PolicyEngine

__all__ = ["policy_gate"]


def policy_gate(
    engine: PolicyEngine, agent_id: str, *, within: float = DEFAULT_TIMEOUT
) -> Callable[[MemoryRecord, Destination], Awaitable[bool]]:
    """A `BoundaryGate` check that asks ``engine`` before a record leaves the agent.

    The request is ``OutboundMessage(type="memory", target="<kind>:<name>")`` (for example
    ``target="embedder:openai/text-embedding-3-small"``) with the record's tags and its
    channel and run id in the context; only an allow lets the record go (a deny, an
    escalation — nobody waits for a human to embed a text — or a failing engine keep it home).
    Records tagged ``sensitive`` never reach the check: the gate refuses them first.

    Example:
        >>> bus = MemoryBus(vectors=store, embedder=hosted, gate=policy_gate(engine, agent_id))
    """

    async def check(record: MemoryRecord, destination: Destination) -> bool:
        metadata: dict[str, object] = {"channel": record.channel.value, "record_id": str(record.id)}
        if record.run_id is not None:
            metadata["run_id"] = record.run_id
        request = PolicyRequest(
            agent_id,
            OutboundMessage("memory", f"{destination.kind}:{destination.name}"),
            PolicyContext(metadata, record.tags),
        )
        return (await consult(engine, request, within=within)).is_allow

    return check

"""Delegation: another agent of the mesh as a tool (`peer_tool`), found by capability through
the registry and called over MXP, the caller's trace id carried along.

Inside a running `Kernel` the tool uses the kernel's endpoint and registry; elsewhere pass
``endpoint`` and ``registry``. Discovered peers are cached for ``cache_ttl`` seconds; calls go
round robin over them, and a peer that times out or refuses the call for a passing reason
(busy, suspended, shutting down) is dropped from the cache and the next one is tried.

In a run governed by a policy, the delegation is first an `OutboundMessage` {"call",
capability} question to it (one per delegation, whichever peer takes it): a denied one sends
nothing and the tool reports ``denied by policy: <reason>``.
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING, Any, Final

import msgspec
import trio

from mxp.bodies import parse_address
from mxp.registry import RegistryClient, RegistryError
from mxp.transport import current_trace_id
from mxp_agents.kernel._client import CallError, call_agent
from mxp_agents.kernel._errors import KernelError
from mxp_agents.kernel._governor import current_policy
from mxp_agents.kernel._kernel import current_kernel
from mxp_agents.kernel._kernel_telemetry import KernelTelemetry
from mxp_agents.policy import OutboundMessage
from mxp_agents.primitives import CapabilityId, ToolDefinition, parse_capability_id
from mxp_agents.tools import ToolArgumentsError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from opentelemetry.trace import TracerProvider

    from mxp.bodies import AgentRecord
    from mxp.transport import Address, Endpoint
    from mxp_agents.tools import ToolContext

__all__ = ["DelegationError", "PeerTool", "peer_tool"]

_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "properties": {"task": {"type": "string", "description": "What the other agent should do."}},
    "required": ["task"],
    "additionalProperties": False,
}
_json: Final = msgspec.json.Encoder()


class DelegationError(KernelError):
    """A delegated call found no peer or no peer completed it; the tool reports it as an error.

    Example:
        >>> await tool.invoke({"task": "add 2 and 3"}, context)  # doctest: +SKIP
        Traceback (most recent call last):
        ...
        mxp_agents.kernel._delegation.DelegationError: no agent with capability 'math.add' ...
    """


class PeerTool:
    """An agent of the mesh as a `mxp_agents.tools.Tool`; build it with `peer_tool`.

    Example:
        >>> ask = peer_tool("math.add", name="ask_math", description="Ask the math agent.")
        >>> ask.schema["required"]
        ['task']
    """

    def __init__(
        self,
        *,
        capability: CapabilityId,
        name: str,
        description: str,
        version: str,
        requires: frozenset[CapabilityId],
        timeout: float,
        attempt_timeout: float,
        attempts: int,
        cache_ttl: float,
        endpoint: Endpoint | None,
        registry: Address | str | None,
        telemetry: KernelTelemetry,
    ) -> None:
        self.capability: Final = capability
        self.definition: Final = ToolDefinition(
            name=name, description=description, parameters=_SCHEMA
        )
        self.name: Final = name
        self.version: Final = version
        self.key: Final = f"{name}@{version}"
        self.description: Final = description
        self.capabilities: Final = requires
        self.secrets: Final = frozenset[str]()
        self.timeout: Final[float | None] = timeout
        self.max_concurrency: Final[int | None] = None
        self.schema: Final = _SCHEMA
        self.attempts: Final = attempts
        self.attempt_timeout: Final = attempt_timeout
        self.cache_ttl: Final = cache_ttl
        self._endpoint = endpoint
        self._registry = registry
        self._telemetry = telemetry
        self._cache: tuple[float, list[AgentRecord]] | None = None
        self._turn = itertools.count()

    def validate(self, arguments: Mapping[str, Any]) -> str:
        """The task text of ``arguments`` (``{"task": "..."}``).

        Raises:
            ToolArgumentsError: not exactly a non-empty ``task`` string.

        Example:
            >>> ask.validate({"task": "add 2 and 3"})
            'add 2 and 3'
        """
        unknown = sorted(key for key in arguments if key != "task")
        if unknown:
            raise ToolArgumentsError(f"unknown argument {unknown[0]!r}", f"$.{unknown[0]}")
        if "task" not in arguments:
            raise ToolArgumentsError("missing required argument 'task'")
        task: object = arguments["task"]
        if not isinstance(task, str):
            raise ToolArgumentsError(f"expected str, got {type(task).__name__}", "$.task")
        if not task.strip():
            raise ToolArgumentsError("task cannot be empty", "$.task")
        return task

    async def invoke(self, arguments: Mapping[str, Any], context: ToolContext) -> str:
        """Send the task to a peer with the capability and return its output as text.

        Raises:
            ToolArgumentsError: bad arguments (nothing was sent).
            DelegationError: the run's policy denied the call (nothing was sent), no peer
                found, or none completed the task.

        Example:
            >>> await ask.invoke({"task": "2 + 3?"}, ToolContext(call_id="c1"))  # doctest: +SKIP
            '5'
        """
        task = self.validate(arguments)
        policy = current_policy()
        if policy is not None:
            decision = await policy.check(OutboundMessage("call", str(self.capability)))
            if not decision.is_allow:
                raise DelegationError(f"denied by policy: {decision.reason}")
        endpoint, registry, own_id = self._resolve()
        trace_id = context.trace_id if context.trace_id is not None else current_trace_id()
        with self._telemetry.delegation_span(
            capability=self.capability, tool=self.name, trace_id=trace_id, agent_id=own_id
        ) as span:
            deadline = trio.current_time() + (self.timeout or math.inf)
            failures: list[str] = []
            for _ in range(self.attempts):
                peer = await self._next_peer(registry, own_id, refresh=bool(failures))
                remaining = min(deadline - trio.current_time(), self.attempt_timeout)
                if remaining <= 0:
                    break
                span.set_attribute("mxp.peer.id", peer.id)
                try:
                    response = await call_agent(
                        endpoint, parse_address(peer.address), task,
                        timeout=remaining, trace_id=trace_id,
                    )  # fmt: skip
                except CallError as error:
                    if not error.retryable:
                        raise DelegationError(f"agent {peer.name!r} ({peer.id}): {error}") from None
                    failures.append(f"{peer.name} ({peer.id}): {error.code}")
                    self._drop(peer.id)
                    continue
                if not response.ok:
                    raise DelegationError(
                        f"agent {peer.name!r} did not complete the task: {response.stop_reason}"
                        + (f" ({response.error})" if response.error else "")
                    )
                output: object = response.output
                return output if isinstance(output, str) else _json.encode(output).decode()
            raise DelegationError(
                f"no agent with capability {self.capability!r} completed the task after "
                f"{len(failures)} attempt(s): " + "; ".join(failures or ["out of time"])
            )

    def _resolve(self) -> tuple[Endpoint, RegistryClient, str | None]:
        kernel = current_kernel()
        endpoint = self._endpoint
        registry = self._registry
        own_id: str | None = None
        if kernel is not None:
            own_id = kernel.agent_id
            endpoint = endpoint if endpoint is not None else kernel.endpoint
            registry = registry if registry is not None else kernel.config.registry
        if endpoint is None or registry is None:
            raise DelegationError(
                f"tool {self.name!r} has no MXP endpoint or registry to reach agents with "
                f"{self.capability!r}: run the agent in a Kernel configured with a registry, "
                "or pass endpoint= and registry= to peer_tool()"
            )
        return endpoint, RegistryClient(endpoint, registry), own_id

    async def _next_peer(
        self, registry: RegistryClient, own_id: str | None, *, refresh: bool
    ) -> AgentRecord:
        now = trio.current_time()
        cached = self._cache
        if refresh or cached is None or cached[0] <= now or not cached[1]:
            try:
                found = await registry.discover(self.capability)
            except RegistryError as error:
                raise DelegationError(
                    f"cannot discover agents with {self.capability!r}: {error}"
                ) from None
            peers = [record for record in found if record.id != own_id]
            cached = self._cache = (now + self.cache_ttl, peers)
        peers = cached[1]
        if not peers:
            raise DelegationError(
                f"no agent with capability {self.capability!r} is registered at the registry "
                f"{registry.registry_address[0]}:{registry.registry_address[1]}"
            )
        return peers[next(self._turn) % len(peers)]

    def _drop(self, peer_id: str) -> None:
        cached = self._cache
        if cached is not None:
            self._cache = (cached[0], [peer for peer in cached[1] if peer.id != peer_id])

    def __repr__(self) -> str:
        return f"PeerTool({self.key!r}, capability={self.capability!r})"


def peer_tool(
    capability: str,
    *,
    name: str,
    description: str,
    version: str = "1.0.0",
    requires: Iterable[str] = (),
    timeout: float = 60.0,
    attempt_timeout: float | None = None,
    attempts: int = 3,
    cache_ttl: float = 5.0,
    endpoint: Endpoint | None = None,
    registry: Address | str | None = None,
    tracer_provider: TracerProvider | None = None,
) -> PeerTool:
    """A tool that delegates ``{"task": str}`` to an agent advertising ``capability``.

    ``requires``: capabilities the calling agent must be granted to use the tool;
    ``timeout``: seconds for the whole delegation, retries included; ``attempt_timeout``:
    seconds one peer gets before the next is tried (default ``timeout / attempts``);
    ``attempts``: peers tried at most; ``cache_ttl``: seconds discovered peers are reused.
    ``endpoint`` and ``registry`` default to those of the `Kernel` running the calling agent.

    Example:
        >>> coordinator = Agent(
        ...     "coordinator", instructions="Delegate arithmetic.", model=model,
        ...     tools=[peer_tool("math.add", name="ask_math", description="Ask the math agent.")],
        ... )
    """
    checked = parse_capability_id(capability)
    if isinstance(attempts, bool) or attempts < 1:
        raise DelegationError(f"peer_tool: attempts must be an int >= 1, got {attempts!r}")
    per_attempt = timeout / attempts if attempt_timeout is None else attempt_timeout
    if not (timeout > 0 and per_attempt > 0 and cache_ttl >= 0):
        raise DelegationError(
            "peer_tool: timeout and attempt_timeout must be > 0 and cache_ttl >= 0, got "
            f"{timeout!r}, {attempt_timeout!r}, {cache_ttl!r}"
        )
    return PeerTool(
        capability=checked,
        name=name,
        description=description,
        version=version,
        requires=frozenset(parse_capability_id(item) for item in requires),
        timeout=float(timeout),
        attempt_timeout=float(per_attempt),
        attempts=attempts,
        cache_ttl=float(cache_ttl),
        endpoint=endpoint,
        registry=registry,
        telemetry=KernelTelemetry(tracer_provider),
    )

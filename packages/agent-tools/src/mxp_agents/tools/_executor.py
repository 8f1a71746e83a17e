"""`ToolExecutor`: runs a model's tool calls with capability checks, limits and audit events."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Final, TypeAlias

import trio

from mxp_agents.primitives import CapabilityId, SystemClock, ToolResult, parse_capability_id
from mxp_agents.tools._audit import AuditKind, ToolAuditEvent, audit_emitter
from mxp_agents.tools._context import EMPTY_MAPPING, ToolContext
from mxp_agents.tools._errors import (
    ToolArgumentsError,
    ToolReturnError,
    ToolsError,
    UnknownToolError,
)
from mxp_agents.tools._secrets import check_secrets, mask_secrets

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from mxp_agents.config import Secret
    from mxp_agents.primitives import Clock, ToolCall
    from mxp_agents.tools._audit import AuditSinkLike
    from mxp_agents.tools._registry import ToolRegistry
    from mxp_agents.tools._tool import Tool

__all__ = ["DEFAULT_TIMEOUT", "ToolExecutor"]

_Ids: TypeAlias = tuple[str | None, str | None, int | None]  # agent_id, run_id, trace_id

_LISTED_TOOLS: Final = 20  # most tool names an unknown-tool message lists

DEFAULT_TIMEOUT: Final = 30.0
"""Seconds a tool call may run when neither the tool nor the executor says otherwise."""


class ToolExecutor:
    """Runs tool calls for one agent: the tools of ``registry`` that its ``granted`` capabilities
    allow, with its ``secrets``, reporting every outcome to ``audit``.

    `execute` never raises for a problem of the tool or the call (unknown tool, capability not
    granted, declared secret missing, invalid arguments, timeout, exception in the tool,
    unencodable result): each becomes a `ToolResult` with ``is_error=True`` and a message for the
    model. It does let cancellation (``trio.Cancelled``) and errors of the audit sink through
    (a run cancelled by the caller is audited as ``failed``, "cancelled by its caller").

    Each call runs under its tool's timeout (else ``default_timeout``); a tool with
    ``max_concurrency`` has a semaphore in this executor. Waiting for a free slot does not count
    toward the timeout (every holder is itself bounded by its timeout; the caller may cancel).

    Example:
        >>> executor = ToolExecutor(ToolRegistry([add]), granted=["math.basic"])
        >>> call = ToolCall("call_1", "add", {"a": 1, "b": 2})
        >>> result = await executor.execute(call)  # doctest: +SKIP
        >>> result.content, result.is_error  # doctest: +SKIP
        ('3', False)
    """

    def __init__(
        self,
        registry: ToolRegistry,
        *,
        granted: Iterable[CapabilityId | str] = (),
        secrets: Mapping[str, Secret] = EMPTY_MAPPING,
        audit: AuditSinkLike | None = None,
        default_timeout: float = DEFAULT_TIMEOUT,
        clock: Clock | None = None,
    ) -> None:
        if isinstance(granted, str):
            raise ToolsError(
                f"granted must be a collection of capability ids, got the str {granted!r}"
            )
        if not default_timeout > 0:
            raise ToolsError(f"default_timeout must be > 0 seconds, got {default_timeout!r}")
        self._registry = registry
        self._granted = frozenset(parse_capability_id(capability) for capability in granted)
        self._secrets = check_secrets(secrets)
        self._emit = audit_emitter(audit)
        self._default_timeout = float(default_timeout)
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._limits: dict[str, trio.Semaphore] = {}

    @property
    def registry(self) -> ToolRegistry:
        """The registry calls are resolved in.

        Example:
            >>> ToolExecutor(registry).registry is registry  # doctest: +SKIP
            True
        """
        return self._registry

    @property
    def granted(self) -> frozenset[CapabilityId]:
        """The capabilities this executor's agent holds.

        Example:
            >>> sorted(ToolExecutor(ToolRegistry(), granted=["fs.read"]).granted)
            ['fs.read']
        """
        return self._granted

    async def execute(
        self,
        call: ToolCall,
        *,
        agent_id: str | None = None,
        run_id: str | None = None,
        trace_id: int | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> ToolResult:
        """Run one call and return its result (an error result for any tool-level problem).

        Order of checks: the tool exists, its capabilities are granted, its declared secrets
        are available, the arguments are valid; only then does it run. ``agent_id``, ``run_id``,
        ``trace_id`` and ``metadata`` reach the tool's `ToolContext` and the audit events.

        Example:
            >>> result = await executor.execute(ToolCall("c1", "deploy", {}))  # doctest: +SKIP
            >>> result.content  # doctest: +SKIP
            "tool 'deploy' needs capabilities this agent was not granted: deploy.prod"
        """
        ids = (agent_id, run_id, trace_id)
        try:
            tool = self._registry.get(call.name)
        except UnknownToolError as error:
            return self._refuse(call, None, "denied", self._unknown_text(error), ids)
        if not tool.capabilities <= self._granted:
            missing = tuple(sorted(tool.capabilities - self._granted))
            text = (
                f"tool {tool.name!r} needs capabilities this agent was not granted: "
                + ", ".join(missing)
            )
            return self._refuse(call, tool, "denied", text, ids, missing)
        secrets: Mapping[str, Secret] = EMPTY_MAPPING
        if tool.secrets:
            absent = sorted(name for name in tool.secrets if name not in self._secrets)
            if absent:
                names = ", ".join(repr(name) for name in absent)
                text = (
                    f"tool {tool.name!r} needs secret{'s' if len(absent) > 1 else ''} {names}, "
                    "which this agent does not have"
                )
                return self._refuse(call, tool, "denied", text, ids)
            secrets = {name: self._secrets[name] for name in tool.secrets}
        try:
            tool.validate(call.arguments)
        except ToolArgumentsError as error:
            text = f"invalid arguments for tool {tool.name!r}: {error}"
            return self._refuse(call, tool, "invalid_arguments", text, ids)
        context = ToolContext(
            call_id=call.id,
            agent_id=agent_id,
            run_id=run_id,
            trace_id=trace_id,
            secrets=secrets,
            metadata=metadata if metadata is not None else EMPTY_MAPPING,
        )
        limit = self._limit(tool)
        if limit is None:
            return await self._run(call, tool, context, ids)
        async with limit:
            return await self._run(call, tool, context, ids)

    async def execute_many(
        self,
        calls: Iterable[ToolCall],
        *,
        agent_id: str | None = None,
        run_id: str | None = None,
        trace_id: int | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> list[ToolResult]:
        """Run ``calls`` concurrently (one task each, in a nursery); results in call order.

        Example:
            >>> results = await executor.execute_many([call_a, call_b])  # doctest: +SKIP
            >>> [r.tool_call_id for r in results]  # doctest: +SKIP
            ['call_a', 'call_b']
        """
        pending = list(calls)
        options: dict[str, Any] = {
            "agent_id": agent_id, "run_id": run_id, "trace_id": trace_id, "metadata": metadata
        }  # fmt: skip
        if len(pending) <= 1:
            return [await self.execute(call, **options) for call in pending]
        results: dict[int, ToolResult] = {}

        async def run_one(index: int, call: ToolCall) -> None:
            results[index] = await self.execute(call, **options)

        async with trio.open_nursery() as nursery:
            for index, call in enumerate(pending):
                nursery.start_soon(run_one, index, call)
        return [results[index] for index in range(len(pending))]

    async def _run(self, call: ToolCall, tool: Tool, context: ToolContext, ids: _Ids) -> ToolResult:
        timeout = tool.timeout if tool.timeout is not None else self._default_timeout
        started = trio.current_time() if self._emit is not None else 0.0
        content: str | None = None  # stays None only when the deadline cancelled the call
        try:
            if timeout == math.inf:  # no cancel scope: saves its cost on every call
                content = await tool.invoke(call.arguments, context)
            else:
                with trio.move_on_after(timeout):
                    content = await tool.invoke(call.arguments, context)
        except trio.Cancelled:  # the caller's cancellation: record it, then let it through
            if self._emit is not None:
                reason = f"tool {tool.name!r} was cancelled by its caller"
                self._audit(call, tool, "failed", reason, ids, (), trio.current_time() - started)
            raise
        except Exception as error:  # the tool's own failure; Cancelled is not an Exception
            text = _failure_text(tool.name, error)
            text = mask_secrets(text, self._secrets.values())
            return self._finish(call, tool, "failed", text, ids, started)
        if content is None:
            text = f"tool {tool.name!r} timed out after {timeout} s"
            return self._finish(call, tool, "timed_out", text, ids, started)
        if self._emit is not None:
            self._audit(call, tool, "invoked", "ok", ids, (), trio.current_time() - started)
        return ToolResult(tool_call_id=call.id, name=call.name, content=content)

    def _refuse(
        self,
        call: ToolCall,
        tool: Tool | None,
        kind: AuditKind,
        text: str,
        ids: _Ids,
        missing: tuple[CapabilityId, ...] = (),
    ) -> ToolResult:
        if self._emit is not None:
            self._audit(call, tool, kind, text, ids, missing, None)
        return ToolResult(tool_call_id=call.id, name=call.name, content=text, is_error=True)

    def _finish(
        self, call: ToolCall, tool: Tool, kind: AuditKind, text: str, ids: _Ids, started: float
    ) -> ToolResult:
        if self._emit is not None:
            self._audit(call, tool, kind, text, ids, (), trio.current_time() - started)
        return ToolResult(tool_call_id=call.id, name=call.name, content=text, is_error=True)

    def _audit(
        self,
        call: ToolCall,
        tool: Tool | None,
        kind: AuditKind,
        reason: str,
        ids: _Ids,
        missing: tuple[CapabilityId, ...],
        duration: float | None,
    ) -> None:
        emit = self._emit
        if emit is None:
            return
        agent_id, run_id, trace_id = ids
        emit(
            ToolAuditEvent(
                kind=kind,
                tool=tool.name if tool is not None else call.name,
                version=tool.version if tool is not None else None,
                call_id=call.id,
                agent_id=agent_id,
                run_id=run_id,
                trace_id=trace_id,
                reason=reason,
                missing_capabilities=missing,
                argument_keys=tuple(call.arguments),
                duration=duration,
                timestamp=self._clock.now(),
            )
        )

    def _unknown_text(self, error: UnknownToolError) -> str:
        if error.suggestions:
            return str(error)
        names = [definition.name for definition in self._registry.definitions(self._granted)]
        if not names:
            return f"{error}; no tools are available"
        shown = ", ".join(names[:_LISTED_TOOLS]) + (", ..." if len(names) > _LISTED_TOOLS else "")
        return f"{error}; available tools: {shown}"

    def _limit(self, tool: Tool) -> trio.Semaphore | None:
        if tool.max_concurrency is None:
            return None
        limit = self._limits.get(tool.key)
        if limit is None:
            limit = self._limits[tool.key] = trio.Semaphore(tool.max_concurrency)
        return limit


def _failure_text(name: str, error: Exception) -> str:
    if isinstance(error, ToolReturnError):
        return str(error)
    detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return f"tool {name!r} failed: {detail}"

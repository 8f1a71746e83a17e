"""`RegoEngine`: a `PolicyEngine` over a Rego bundle, compiled once and evaluated in-process
per request, with hot reload that validates before it swaps."""

from __future__ import annotations

import logging
import math
import re
from typing import TYPE_CHECKING, Any, Final, TypeAlias, cast

import msgspec
import trio

from mxp_agents.policy._decision import DecisionKind, PolicyDecision
from mxp_agents.policy._errors import PolicyError, PolicyLoadError
from mxp_agents.policy._rego._bundle import RegoBundle, signature
from mxp_agents.policy._rego._native import (
    Compiled,
    EvaluationError,
    Runner,
    SourceError,
    compile_bundle,
)
from mxp_agents.policy._rego._verdict import to_decision
from mxp_agents.policy._request import PolicyRequest

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Sequence

__all__ = ["DEFAULT_QUERY", "RegoEngine", "RegoSample"]

DEFAULT_QUERY: Final = "data.mxp.decision"
"""Where a policy puts its decision object, unless told otherwise."""

RegoSample: TypeAlias = PolicyRequest | tuple[PolicyRequest, DecisionKind | str]
"""A smoke test for reloads: a request that must get a valid decision (of the given kind)."""

_QUERY: Final = re.compile(r"data(\.[A-Za-z_][A-Za-z0-9_]*)+")
_log: Final = logging.getLogger("mxp_agents.policy.rego")
_to_builtins: Final = msgspec.to_builtins

Signature: TypeAlias = tuple[tuple[str, int, int], ...]


def _entrypoint(query: str) -> str:
    if not isinstance(query, str) or not _QUERY.fullmatch(query):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise PolicyLoadError(
            f"query must be a rule reference like 'data.mxp.decision', got {query!r}"
        )
    return query.removeprefix("data.").replace(".", "/")


def _check_declared(bundle: RegoBundle, query: str) -> None:
    *package, rule = query.split(".")[1:]
    node: Any = bundle.data
    for part in (*package, rule):
        node = cast("dict[str, Any]", node).get(part) if isinstance(node, dict) else None
    if node is not None:
        return
    declares = re.compile(rf"^\s*package\s+{re.escape('.'.join(package))}\s*(#.*)?$", re.MULTILINE)
    head = re.compile(rf"^\s*(default\s+)?{re.escape(rule)}\b", re.MULTILINE)
    for source in bundle.modules.values():
        if declares.search(source) and head.search(source):
            return
    raise PolicyLoadError(
        f"no module defines rule {rule!r} in package {'.'.join(package)!r} (the query {query})"
    )


def _samples(samples: Sequence[RegoSample]) -> list[tuple[PolicyRequest, DecisionKind | None]]:
    checked: list[tuple[PolicyRequest, DecisionKind | None]] = []
    for index, sample in enumerate(samples):
        if isinstance(sample, PolicyRequest):
            checked.append((sample, None))
            continue
        request, kind = sample
        if not isinstance(request, PolicyRequest):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise PolicyError(f"samples[{index}]: expected a PolicyRequest, got {request!r}")
        try:
            checked.append((request, DecisionKind(kind)))
        except ValueError:
            raise PolicyError(
                f"samples[{index}]: expected kind allow, deny or escalate, got {kind!r}"
            ) from None
    return checked


class _Policy:
    """One compiled generation: the bundle, its compiled form, the files' signature."""

    __slots__ = ("bundle", "compiled", "signature")

    def __init__(self, bundle: RegoBundle, compiled: Compiled, seen: Signature) -> None:
        self.bundle = bundle
        self.compiled = compiled
        self.signature = seen


class RegoEngine:
    """Evaluates a Rego v1 policy in-process with regopy: compiled once, evaluated per
    request against ``input`` = the request as JSON (``{"agent_id", "action": {"kind", ...},
    "context": {"metadata", "tags"}}``) and the bundle's ``data``. The decision object at
    ``query`` (default ``data.mxp.decision``) is checked strictly (see the package docs);
    a malformed or undefined decision raises, which `consult` turns into a deny.

    `reload` compiles the bundle again (from its directory, or a new one given), smoke-tests
    it on ``samples`` and only then swaps it in: a broken policy never replaces a working one.
    ``generation`` counts successful loads; ``on_reload`` callbacks get the new generation.

    Evaluation runs on the calling (trio) thread: it takes tens of µs, less than a hop to a
    worker thread and back, and Rego has no recursion or unbounded loops, so it terminates.

    Example:
        >>> engine = RegoEngine.from_bundle("policies/payments")  # doctest: +SKIP
        >>> pay = InvokeTool("pay", arguments={"amount": 120})  # doctest: +SKIP
        >>> (await engine.evaluate(PolicyRequest(agent, pay))).approvers  # doctest: +SKIP
        ('finance',)
    """

    def __init__(
        self,
        bundle: RegoBundle,
        *,
        query: str = DEFAULT_QUERY,
        samples: Sequence[RegoSample] = (),
    ) -> None:
        self._entrypoint = _entrypoint(query)
        self._query = query
        self._samples = _samples(samples)
        self._runner = Runner()
        self._policy = self._prepare(bundle, ())
        self._generation = 1
        self._lock = trio.Lock()
        self._refused: Signature | None = None
        self.last_error: PolicyError | None = None
        """Why the last reload was refused (None after a successful one)."""
        self.on_reload: list[Callable[[int], object]] = []
        """Called with the new generation after each successful reload (cache invalidation)."""

    @classmethod
    def from_bundle(
        cls,
        path: str | os.PathLike[str],
        *,
        query: str = DEFAULT_QUERY,
        samples: Sequence[RegoSample] = (),
    ) -> RegoEngine:
        """An engine for the bundle directory ``path`` (blocking: reads and compiles; call it
        at start-up or through `trio.to_thread.run_sync`). `PolicyLoadError` names file, line
        and column of what is wrong.

        Example:
            >>> engine = RegoEngine.from_bundle("policies/pay", samples=[request])  # doctest: +SKIP
        """
        seen = signature(path)
        engine = cls(RegoBundle.load(path), query=query, samples=samples)
        engine._policy.signature = seen
        return engine

    @property
    def generation(self) -> int:
        """1 for the first policy, +1 per successful reload.

        Example:
            >>> engine.generation  # doctest: +SKIP
            1
        """
        return self._generation

    @property
    def bundle(self) -> RegoBundle:
        """The bundle answering now.

        Example:
            >>> sorted(engine.bundle.modules)  # doctest: +SKIP
            ['payments.rego']
        """
        return self._policy.bundle

    @property
    def query(self) -> str:
        """Where the decision is read (``data.mxp.decision``).

        Example:
            >>> engine.query  # doctest: +SKIP
            'data.mxp.decision'
        """
        return self._query

    async def evaluate(self, request: PolicyRequest) -> PolicyDecision:
        """The policy's decision for ``request``; `EvaluationError` (undefined, conflicting
        outputs, a built-in's error) or `InvalidPolicy` (a malformed decision object).

        Example:
            >>> (await engine.evaluate(request)).is_allow  # doctest: +SKIP
            True
        """
        await trio.lowlevel.checkpoint_if_cancelled()
        return self._decide(self._runner, self._policy.compiled, request)

    def _decide(self, runner: Runner, compiled: Compiled, request: PolicyRequest) -> PolicyDecision:
        try:
            runner.set_input(_to_builtins(request))
            value = runner.query(compiled)
        except EvaluationError as error:
            raise EvaluationError(f"{self._query} for {request.subject}: {error}") from None
        return to_decision(value, self._query)

    def _prepare(self, bundle: RegoBundle, seen: Signature) -> _Policy:
        _check_declared(bundle, self._query)
        try:
            compiled = compile_bundle(dict(bundle.modules), bundle.data_json(), self._entrypoint)
        except SourceError as error:
            raise PolicyLoadError(str(error)) from None
        runner = Runner() if self._samples else None
        for index, (request, expected) in enumerate(self._samples):
            assert runner is not None
            try:
                decision = self._decide(runner, compiled, request)
            except PolicyError as error:
                raise PolicyLoadError(f"sample {index} ({request.subject}): {error}") from None
            if expected is not None and decision.kind is not expected:
                raise PolicyLoadError(
                    f"sample {index} ({request.subject}): expected {expected.value}, the policy "
                    f"answered {decision.kind.value} ({decision.reason or 'no reason'})"
                )
        return _Policy(bundle, compiled, seen)

    def _load(self, bundle: RegoBundle | None, seen: Signature) -> _Policy:
        if bundle is not None:
            return self._prepare(bundle, ())
        root = self._policy.bundle.root
        assert root is not None
        return self._prepare(RegoBundle.load(root), seen)

    async def reload(self, bundle: RegoBundle | None = None) -> int:
        """Load ``bundle`` (default: read the directory again), compile and smoke-test it in a
        worker thread, then swap it in and return the new generation. On any error the old
        policy keeps answering; the error is logged, kept in ``last_error`` and raised
        (`PolicyLoadError` naming file, line and column).

        Example:
            >>> await engine.reload()  # doctest: +SKIP
            2
        """
        async with self._lock:
            root = self._policy.bundle.root if bundle is None else None
            seen: Signature = ()
            try:
                if bundle is None and root is None:
                    raise PolicyLoadError(
                        "this bundle was built in memory: pass the new RegoBundle"
                    )
                if root is not None:
                    seen = await trio.to_thread.run_sync(signature, root)
                policy = await trio.to_thread.run_sync(self._load, bundle, seen)
            except PolicyError as error:
                self._refused = seen
                self.last_error = error
                _log.error(
                    "Rego policy reload refused; generation %d keeps answering: %s",
                    self._generation,
                    error,
                )
                raise
            self._policy = policy
            self._generation += 1
            self.last_error = None
            generation = self._generation
        _log.info(
            "Rego policy generation %d loaded (%d modules)", generation, len(policy.bundle.modules)
        )
        failures = [error for error in map(_call(generation), self.on_reload) if error is not None]
        if failures:
            raise PolicyError(
                f"generation {generation} is live but an on_reload callback failed: {failures[0]!r}"
            ) from failures[0]
        return generation

    async def check(self) -> bool:
        """Reload when the bundle's files changed since the last attempt; True when a new
        generation went live. A refused reload is logged and kept in ``last_error``, and is
        not retried until the files change again.

        Example:
            >>> await engine.check()  # doctest: +SKIP
            False
        """
        root = self._policy.bundle.root
        if root is None:
            raise PolicyError("only a bundle read from a directory can be watched")
        now = await trio.to_thread.run_sync(signature, root)
        if now in (self._policy.signature, self._refused):
            return False
        try:
            await self.reload()
        except PolicyLoadError:
            return False
        return True

    async def watch(
        self,
        interval: float = 2.0,
        *,
        task_status: trio.TaskStatus[trio.CancelScope] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Poll the bundle directory every ``interval`` seconds and `check` it, until
        cancelled. `trio.Nursery.start` returns the cancel scope that stops it.

        Example:
            >>> scope = await nursery.start(engine.watch)  # doctest: +SKIP
            >>> scope.cancel()  # doctest: +SKIP
        """
        if not math.isfinite(interval) or interval <= 0:
            raise ValueError(f"interval must be a finite number of seconds > 0, got {interval!r}")
        if self._policy.bundle.root is None:
            raise PolicyError("only a bundle read from a directory can be watched")
        with trio.CancelScope() as scope:
            task_status.started(scope)
            while True:
                await trio.sleep(interval)
                try:
                    await self.check()
                except PolicyError as error:  # a failing on_reload callback: logged, keep watching
                    _log.error("Rego policy watcher: %s", error)


def _call(generation: int) -> Callable[[Callable[[int], object]], Exception | None]:
    def run(callback: Callable[[int], object]) -> Exception | None:
        try:
            callback(generation)
        except Exception as error:
            _log.exception("on_reload callback %r failed for generation %d", callback, generation)
            return error
        return None

    return run

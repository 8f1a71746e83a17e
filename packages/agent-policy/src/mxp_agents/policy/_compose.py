"""Composing engines (deny overrides, first applicable) and caching pure decisions.

Engines that offer ``async verdict(request) -> Verdict`` (rules engines, compositions,
caches) can say "not applicable" and whether an answer is cacheable; any other
`PolicyEngine` is always applicable, and cacheable only when it has ``cacheable = True``.
Engines with a sync ``judge(request) -> Verdict`` make the composition sync too (``decide``).
"""

from __future__ import annotations

import enum
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, cast

import msgspec

from mxp_agents.policy._decision import DecisionKind, PolicyDecision
from mxp_agents.policy._errors import PolicyError
from mxp_agents.policy._rules._verdict import Verdict, not_applicable_decision

if TYPE_CHECKING:
    from mxp_agents.policy._engine import PolicyEngine
    from mxp_agents.policy._request import PolicyRequest

__all__ = ["CacheStats", "CachedEngine", "CombineMode", "CombinedEngine", "combine"]

AsyncJudge = Callable[["PolicyRequest"], Awaitable[Verdict]]
SyncJudge = Callable[["PolicyRequest"], Verdict]

_RANK: Final = {DecisionKind.DENY: 0, DecisionKind.ESCALATE: 1, DecisionKind.ALLOW: 2}


class CombineMode(enum.StrEnum):
    """How `CombinedEngine` merges its engines' answers.

    ``deny_overrides``: any deny wins, else any escalation, else an allow (the first of each
    kind, in engine order); engines that are not applicable are skipped. ``first_applicable``:
    the first engine that is applicable decides.

    Example:
        >>> CombineMode("first_applicable") is CombineMode.FIRST_APPLICABLE
        True
    """

    DENY_OVERRIDES = "deny_overrides"
    FIRST_APPLICABLE = "first_applicable"


def _async_judge(engine: PolicyEngine) -> AsyncJudge:
    verdict: Any = getattr(engine, "verdict", None)
    if callable(verdict):
        return cast("AsyncJudge", verdict)
    pure = getattr(engine, "cacheable", False) is True

    async def judge(request: PolicyRequest) -> Verdict:
        return Verdict(await engine.evaluate(request), pure, None)

    return judge


def _sync_judge(engine: PolicyEngine) -> SyncJudge | None:
    judge: Any = getattr(engine, "judge", None)
    sync: object = getattr(engine, "is_sync", True)
    return cast("SyncJudge", judge) if callable(judge) and sync is True else None


def _generation(engine: object) -> int:
    value: object = getattr(engine, "generation", 0)
    return value if isinstance(value, int) else 0


class CombinedEngine:
    """Several engines and a `CombineMode`; itself an engine (and composable again).

    Deny overrides stops at the first deny; first applicable at the first applicable answer;
    later engines are not asked. When no engine is applicable the composition is not
    applicable (`verdict`), which `evaluate` answers with a deny. An answer is cacheable
    only if every answer it was made from is. An engine's error propagates (`consult` turns
    it into a deny). ``generation`` is the sum of the engines' (so caches notice reloads).

    Example:
        >>> engine = combine([org_rules, team_rules], mode="deny_overrides")  # doctest: +SKIP
        >>> engine.decide(request).kind  # doctest: +SKIP
        <DecisionKind.DENY: 'deny'>
    """

    def __init__(
        self, engines: Sequence[PolicyEngine], mode: CombineMode | str = CombineMode.DENY_OVERRIDES
    ) -> None:
        if not engines:
            raise PolicyError("a combination needs at least one engine")
        try:
            self.mode = CombineMode(mode)
        except ValueError:
            raise PolicyError(
                f"unknown combining mode {mode!r}: use 'deny_overrides' or 'first_applicable'"
            ) from None
        for index, engine in enumerate(engines):
            if not callable(getattr(engine, "evaluate", None)):
                raise PolicyError(f"engines[{index}] is not a policy engine: {engine!r}")
        self.engines: tuple[PolicyEngine, ...] = tuple(engines)
        self._async = tuple(_async_judge(engine) for engine in engines)
        syncs = [_sync_judge(engine) for engine in engines]
        self._sync: tuple[SyncJudge, ...] | None = (
            None if any(j is None for j in syncs) else tuple(j for j in syncs if j is not None)
        )

    @property
    def is_sync(self) -> bool:
        """Whether every engine judges synchronously, so `judge` and `decide` work.

        Example:
            >>> combine([RulesEngine()]).is_sync
            True
        """
        return self._sync is not None

    @property
    def generation(self) -> int:
        """The sum of the engines' generations (grows whenever one of them reloads).

        Example:
            >>> combine([RulesEngine()]).generation
            0
        """
        return sum(_generation(engine) for engine in self.engines)

    def _merge(self, verdicts: list[Verdict]) -> Verdict:
        pure = all(verdict.cacheable for verdict in verdicts)
        best: Verdict | None = None
        for verdict in verdicts:
            decision = verdict.decision
            if decision is not None and (
                best is None or _RANK[decision.kind] < _RANK[best.decision.kind]  # type: ignore[union-attr]
            ):
                best = verdict
        if best is None:
            return Verdict(None, pure, None)
        return best if best.cacheable == pure else Verdict(best.decision, pure, best.rule)

    def _done(self, verdict: Verdict) -> bool:
        decision = verdict.decision
        if self.mode is CombineMode.FIRST_APPLICABLE:
            return decision is not None
        return decision is not None and decision.kind is DecisionKind.DENY

    def judge(self, request: PolicyRequest) -> Verdict:
        """The combined `Verdict`, synchronously (every engine must have a sync ``judge``).

        Example:
            >>> combine([RulesEngine(default=None), RulesEngine(default="allow")],
            ...         mode="first_applicable").judge(request).decision.is_allow  # doctest: +SKIP
            True
        """
        if self._sync is None:
            raise PolicyError("an engine of this combination has no sync judge; await verdict()")
        verdicts: list[Verdict] = []
        for judge in self._sync:
            verdict = judge(request)
            verdicts.append(verdict)
            if self._done(verdict):
                break
        return self._merge(verdicts)

    async def verdict(self, request: PolicyRequest) -> Verdict:
        """The combined `Verdict`, asking the engines in order.

        Example:
            >>> (await combined.verdict(request)).applicable  # doctest: +SKIP
            True
        """
        verdicts: list[Verdict] = []
        for judge in self._async:
            verdict = await judge(request)
            verdicts.append(verdict)
            if self._done(verdict):
                break
        return self._merge(verdicts)

    def decide(self, request: PolicyRequest) -> PolicyDecision:
        """`judge`'s decision; a deny when no engine is applicable.

        Example:
            >>> combine([RulesEngine(default="allow")]).decide(request).is_allow  # doctest: +SKIP
            True
        """
        decision = self.judge(request).decision
        return decision if decision is not None else not_applicable_decision(request)

    async def evaluate(self, request: PolicyRequest) -> PolicyDecision:
        """`verdict`'s decision; a deny when no engine is applicable.

        Example:
            >>> (await combined.evaluate(request)).kind  # doctest: +SKIP
            <DecisionKind.ALLOW: 'allow'>
        """
        decision = (await self.verdict(request)).decision
        return decision if decision is not None else not_applicable_decision(request)


def combine(
    engines: Sequence[PolicyEngine], mode: CombineMode | str = CombineMode.DENY_OVERRIDES
) -> CombinedEngine:
    """`CombinedEngine` of ``engines`` under ``mode`` (``"deny_overrides"`` or
    ``"first_applicable"``).

    Example:
        >>> combine([RulesEngine(default="allow"), RulesEngine(default="deny")]).mode
        <CombineMode.DENY_OVERRIDES: 'deny_overrides'>
    """
    return CombinedEngine(engines, mode)


class CacheStats(msgspec.Struct, frozen=True):
    """Counters of a `CachedEngine`: ``hits``, ``misses`` (then stored), ``uncacheable``
    (answers not stored: impure, or a request that does not encode), ``size``, ``maxsize``,
    ``invalidations``.

    Example:
        >>> CachedEngine(RulesEngine()).stats.size
        0
    """

    hits: int
    misses: int
    uncacheable: int
    size: int
    maxsize: int
    invalidations: int


class CachedEngine:
    """A bounded LRU cache of pure decisions in front of ``engine``.

    The key is the request's canonical msgpack encoding (dict keys sorted), so equal requests
    share an entry. Only cacheable verdicts are stored (see `Verdict`); a request that does
    not encode is answered uncached. `invalidate` empties the cache; so does any change of
    the engine's ``generation`` (a rules engine's `reload`), checked on every lookup, and an
    answer computed across such a change is not stored.

    Example:
        >>> cached = CachedEngine(RulesEngine(default="allow"), maxsize=1024)
        >>> cached.decide(request).is_allow  # doctest: +SKIP
        True
        >>> cached.stats.misses  # doctest: +SKIP
        1
    """

    def __init__(self, engine: PolicyEngine, *, maxsize: int = 4096) -> None:
        if isinstance(maxsize, bool) or not isinstance(maxsize, int) or maxsize < 1:  # pyright: ignore[reportUnnecessaryIsInstance]
            raise PolicyError(f"maxsize must be an int >= 1, got {maxsize!r}")
        if not callable(getattr(engine, "evaluate", None)):
            raise PolicyError(f"not a policy engine: {engine!r}")
        self.engine = engine
        self.maxsize = maxsize
        self._async = _async_judge(engine)
        self._sync = _sync_judge(engine)
        self._entries: OrderedDict[bytes, Verdict] = OrderedDict()
        self._encode = msgspec.msgpack.Encoder(order="deterministic").encode
        self._seen = _generation(engine)
        self._hits = self._misses = self._uncacheable = self._invalidations = 0

    @property
    def is_sync(self) -> bool:
        """Whether the engine judges synchronously, so `judge` and `decide` work.

        Example:
            >>> CachedEngine(RulesEngine()).is_sync
            True
        """
        return self._sync is not None

    @property
    def generation(self) -> int:
        """The wrapped engine's generation.

        Example:
            >>> CachedEngine(RulesEngine()).generation
            0
        """
        return _generation(self.engine)

    @property
    def stats(self) -> CacheStats:
        """The counters so far.

        Example:
            >>> CachedEngine(RulesEngine()).stats.hits
            0
        """
        return CacheStats(
            self._hits,
            self._misses,
            self._uncacheable,
            len(self._entries),
            self.maxsize,
            self._invalidations,
        )

    def invalidate(self) -> None:
        """Forget every cached decision.

        Example:
            >>> CachedEngine(RulesEngine()).invalidate()
        """
        self._entries.clear()
        self._invalidations += 1

    def _lookup(self, request: PolicyRequest) -> tuple[bytes | None, Verdict | None, int]:
        generation = _generation(self.engine)
        if generation != self._seen:
            self._seen = generation
            self.invalidate()
        try:
            key = self._encode(request)
        except (TypeError, msgspec.EncodeError):
            return None, None, generation
        verdict = self._entries.get(key)
        if verdict is not None:
            self._entries.move_to_end(key)
            self._hits += 1
        return key, verdict, generation

    def _store(self, key: bytes | None, verdict: Verdict, generation: int) -> Verdict:
        if key is None or not verdict.cacheable or _generation(self.engine) != generation:
            self._uncacheable += 1
            return verdict
        self._misses += 1
        entries = self._entries
        entries[key] = verdict
        if len(entries) > self.maxsize:
            entries.popitem(last=False)
        return verdict

    def judge(self, request: PolicyRequest) -> Verdict:
        """The engine's `Verdict`, from the cache when it has it (sync engines only).

        Example:
            >>> cached.judge(request).cacheable  # doctest: +SKIP
            True
        """
        if self._sync is None:
            raise PolicyError("the cached engine has no sync judge; await verdict()")
        key, verdict, generation = self._lookup(request)
        if verdict is not None:
            return verdict
        return self._store(key, self._sync(request), generation)

    async def verdict(self, request: PolicyRequest) -> Verdict:
        """The engine's `Verdict`, from the cache when it has it.

        Example:
            >>> (await cached.verdict(request)).rule  # doctest: +SKIP
            'big-payments'
        """
        key, verdict, generation = self._lookup(request)
        if verdict is not None:
            return verdict
        return self._store(key, await self._async(request), generation)

    def decide(self, request: PolicyRequest) -> PolicyDecision:
        """`judge`'s decision; a deny when the engine is not applicable.

        Example:
            >>> cached.decide(request).is_allow  # doctest: +SKIP
            True
        """
        decision = self.judge(request).decision
        return decision if decision is not None else not_applicable_decision(request)

    async def evaluate(self, request: PolicyRequest) -> PolicyDecision:
        """`verdict`'s decision; a deny when the engine is not applicable.

        Example:
            >>> (await cached.evaluate(request)).is_allow  # doctest: +SKIP
            True
        """
        decision = (await self.verdict(request)).decision
        return decision if decision is not None else not_applicable_decision(request)

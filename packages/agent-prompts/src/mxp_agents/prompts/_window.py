"""`ContextWindow`: fits a conversation into a token budget, compressing old turns to a summary."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, NamedTuple

from mxp_agents.primitives import Message, Role
from mxp_agents.prompts._errors import ContextBudgetError, InvalidArgument
from mxp_agents.prompts._scoring import Scorer, default_score
from mxp_agents.prompts._summary import ExtractiveSummarizer, Summarizer
from mxp_agents.prompts._tokens import ApproxTokenCounter, TokenCounter
from mxp_agents.prompts._units import group_units
from mxp_agents.prompts._window_types import ContextWindowConfig, FittedContext

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["ContextWindow"]


class _Plan(NamedTuple):
    messages: tuple[Message, ...]
    keep: list[bool]
    dropped: tuple[int, ...]
    kept_tokens: int


class ContextWindow:
    """Fits a conversation into ``max_tokens``, compressing older turns into one summary.

    When the messages fit they are returned unchanged. Otherwise the conversation is split
    into units (an assistant message with tool calls and all its tool results form one unit,
    so a pair is never split) and these are always kept: system messages, the units holding
    the last ``recent`` non-system messages, and the units holding a ``pinned`` index. The
    other units are compressed — those scored below ``importance_threshold`` first, lowest
    score then oldest first, then the others in the same order — until the rest fits with
    ``summary_tokens`` to spare (default: a quarter of ``max_tokens``, at most 256). The
    compressed messages go to the ``summarizer`` once and are replaced by one summary message
    (cut to fit if too long) placed after the leading system messages. A unit's score is the
    highest of its messages' (``scores`` overrides the ``scorer``, `default_score` by
    default). If the kept messages plus the shortest summary exceed the budget,
    `ContextBudgetError` is raised. Apply ``fit`` to the full history each turn, not to a
    previous result.

    Example:
        >>> window = ContextWindow(max_tokens=60, recent=2)
        >>> history = [Message.system("Be brief.")]
        >>> history += [Message.user(f"question {i}: " + "x" * 40) for i in range(6)]
        >>> fitted = window.fit(history)
        >>> [m.role.value for m in fitted.messages], len(fitted.dropped)
        (['system', 'system', 'user', 'user'], 4)
    """

    __slots__ = ("_config", "_counter", "_scorer", "_summarizer")

    def __init__(
        self,
        *,
        max_tokens: int = 8192,
        recent: int = 10,
        importance_threshold: float = 30.0,
        summary_tokens: int | None = None,
        summary_role: Role = Role.SYSTEM,
        counter: TokenCounter | None = None,
        summarizer: Summarizer | None = None,
        scorer: Scorer | None = None,
    ) -> None:
        self._config = ContextWindowConfig(
            max_tokens, recent, importance_threshold, summary_tokens, summary_role
        )
        self._counter: TokenCounter = counter if counter is not None else ApproxTokenCounter()
        self._summarizer: Summarizer = (
            summarizer if summarizer is not None else ExtractiveSummarizer()
        )
        self._scorer: Scorer = scorer if scorer is not None else default_score

    @classmethod
    def from_config(
        cls,
        config: ContextWindowConfig,
        *,
        counter: TokenCounter | None = None,
        summarizer: Summarizer | None = None,
        scorer: Scorer | None = None,
    ) -> ContextWindow:
        """A window with the settings of ``config``.

        Example:
            >>> ContextWindow.from_config(ContextWindowConfig(max_tokens=512)).config.max_tokens
            512
        """
        return cls(
            max_tokens=config.max_tokens,
            recent=config.recent,
            importance_threshold=config.importance_threshold,
            summary_tokens=config.summary_tokens,
            summary_role=config.summary_role,
            counter=counter,
            summarizer=summarizer,
            scorer=scorer,
        )

    @property
    def config(self) -> ContextWindowConfig:
        """The window's settings.

        Example:
            >>> ContextWindow().config.importance_threshold
            30.0
        """
        return self._config

    def fit(
        self,
        messages: Iterable[Message],
        *,
        pinned: Iterable[int] = (),
        scores: Mapping[int, float] | None = None,
    ) -> FittedContext:
        """``messages`` fitted to the budget, with a synchronous summarizer.

        Raises:
            ContextBudgetError: the messages that must be kept do not fit.
            InvalidArgument: a pinned index or score out of range, a non-Message item, or a
                summarizer that returns an awaitable (use `afit`).

        Example:
            >>> ContextWindow().fit([Message.user("hi")]).messages[0].content
            'hi'
        """
        plan = self._plan(messages, pinned, scores)
        if isinstance(plan, FittedContext):
            return plan
        text = self._summarizer(tuple(plan.messages[i] for i in plan.dropped))
        if inspect.isawaitable(text):
            if inspect.iscoroutine(text):
                text.close()
            raise InvalidArgument("the summarizer is asynchronous; use `await window.afit(...)`")
        return self._finish(plan, text)

    async def afit(
        self,
        messages: Iterable[Message],
        *,
        pinned: Iterable[int] = (),
        scores: Mapping[int, float] | None = None,
    ) -> FittedContext:
        """Like `fit`, awaiting the summarizer when it is asynchronous (sync ones work too).

        Example:
            >>> import trio
            >>> trio.run(ContextWindow().afit, [Message.user("hi")]).tokens
            5
        """
        plan = self._plan(messages, pinned, scores)
        if isinstance(plan, FittedContext):
            return plan
        text = self._summarizer(tuple(plan.messages[i] for i in plan.dropped))
        if inspect.isawaitable(text):
            text = await text
        return self._finish(plan, text)

    def _plan(
        self,
        messages: Iterable[Message],
        pinned: Iterable[int],
        scores: Mapping[int, float] | None,
    ) -> FittedContext | _Plan:
        config = self._config
        items = tuple(messages)
        count = self._counter.count
        counts: list[int] = []
        for index, message in enumerate(items):
            if not isinstance(message, Message):  # pyright: ignore[reportUnnecessaryIsInstance]
                raise InvalidArgument(f"messages[{index}] is not a Message")
            counts.append(count(message))
        pins = _checked_pins(pinned, len(items))
        overrides = _checked_scores(scores, len(items))
        total = sum(counts)
        if total <= config.max_tokens:
            return FittedContext(items, total, config.max_tokens)
        others = [i for i, message in enumerate(items) if message.role is not Role.SYSTEM]
        rank = {index: position for position, index in enumerate(others)}
        recent = set(others[max(0, len(others) - config.recent) :]) if config.recent else set[int]()
        keep = [True] * len(items)
        system_tokens = kept_tokens = 0
        candidates: list[tuple[int, float, int, list[int], int]] = []
        for unit in group_units(items):
            tokens = sum(counts[i] for i in unit.indices)
            if unit.system:
                system_tokens += tokens
            elif not any(i in pins or i in recent for i in unit.indices):
                score = max(
                    overrides[i] if i in overrides else self._scorer(items[i], rank[i], len(others))
                    for i in unit.indices
                )
                tier = 0 if score < config.importance_threshold else 1
                candidates.append((tier, score, unit.indices[0], unit.indices, tokens))
                continue
            kept_tokens += tokens
        candidates.sort(key=lambda candidate: candidate[:3])
        reserve = max(config.reserve, self._summary_floor(len(items)))
        current = total
        dropped: list[int] = []
        for _, _, _, indices, tokens in candidates:
            if current <= config.max_tokens - reserve:
                break
            dropped.extend(indices)
            current -= tokens
            for i in indices:
                keep[i] = False
        floor = self._summary_floor(len(dropped)) if dropped else 0
        if current + floor > config.max_tokens:
            summary = f", summary {floor}" if floor else ""
            raise ContextBudgetError(
                f"the messages that must be kept need {current + floor} tokens (system "
                f"{system_tokens}, recent and pinned {kept_tokens}{summary}) but max_tokens is "
                f"{config.max_tokens}; raise max_tokens, lower recent, unpin messages or "
                "shorten the system prompt",
                needed=current + floor,
                budget=config.max_tokens,
            )
        return _Plan(items, keep, tuple(sorted(dropped)), current)

    def _summary_floor(self, dropped: int) -> int:
        return self._counter.count(Message(self._config.summary_role, _header(dropped)))

    def _finish(self, plan: _Plan, text: object) -> FittedContext:
        if not isinstance(text, str):
            raise InvalidArgument(f"the summarizer must return str, got {type(text).__name__}")
        header = _header(len(plan.dropped))
        available = self._config.max_tokens - plan.kept_tokens
        summary = self._summary(header, text.strip(), available)
        kept = [message for message, keep in zip(plan.messages, plan.keep, strict=True) if keep]
        at = next(
            (i for i, message in enumerate(kept) if message.role is not Role.SYSTEM), len(kept)
        )
        kept.insert(at, summary)
        return FittedContext(
            tuple(kept),
            plan.kept_tokens + self._counter.count(summary),
            self._config.max_tokens,
            dropped=tuple(plan.messages[i] for i in plan.dropped),
            dropped_indices=plan.dropped,
            summary=summary,
        )

    def _summary(self, header: str, body: str, available: int) -> Message:
        role, counter = self._config.summary_role, self._counter
        full = Message(role, f"{header}\n{body}" if body else header)
        if counter.count(full) <= available:
            return full
        # The longest prefix of body that fits: a binary search on the text's count, then
        # checked on the message (a pluggable counter need not add up exactly).
        overhead = counter.count(Message(role, ""))
        low, high = 0, len(body)
        while low < high:
            middle = (low + high + 1) // 2
            if overhead + counter.count_text(_cut(header, body, middle)) <= available:
                low = middle
            else:
                high = middle - 1
        while True:
            summary = Message(role, _cut(header, body, low))
            if low == 0 or counter.count(summary) <= available:
                return summary
            low = low * 3 // 4

    def __repr__(self) -> str:
        return f"ContextWindow({self._config!r}, counter={self._counter!r})"


def _header(dropped: int) -> str:
    return f"Summary of {dropped} earlier message{'' if dropped == 1 else 's'}:"


def _cut(header: str, body: str, length: int) -> str:
    prefix = body[:length].rstrip()
    return f"{header}\n{prefix}…" if prefix else header


def _checked_pins(pinned: Iterable[int], size: int) -> frozenset[int]:
    pins = frozenset(pinned)
    for index in pins:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < size:  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidArgument(f"pinned index {index!r} is not within 0..{size - 1}")
    return pins


def _checked_scores(scores: Mapping[int, float] | None, size: int) -> Mapping[int, float]:
    if not scores:
        return {}
    for index, score in scores.items():
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < size:  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidArgument(f"score index {index!r} is not within 0..{size - 1}")
        if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 100:  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidArgument(f"score {score!r} for message {index} is not within 0-100")
    return scores

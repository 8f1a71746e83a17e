"""The configuration and the result of a `ContextWindow`: `ContextWindowConfig`, `FittedContext`."""

from __future__ import annotations

import msgspec

from mxp_agents.primitives import Message, Role
from mxp_agents.prompts._errors import InvalidArgument

__all__ = ["ContextWindowConfig", "FittedContext"]


class ContextWindowConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Settings of a `ContextWindow` (a config section; load it with ``mxp_agents.config``).

    * ``max_tokens``: the budget of the fitted messages (> 0).
    * ``recent``: how many of the latest non-system messages are always kept (>= 0).
    * ``importance_threshold``: units scored below it (0-100) are compressed first.
    * ``summary_tokens``: room set aside for the summary when compressing (< ``max_tokens``;
      None: a quarter of ``max_tokens``, at most 256); a longer summary is cut to fit.
    * ``summary_role``: the role of the summary message (``system``, ``user`` or ``assistant``).

    Raises:
        InvalidArgument: a value out of range (a `ValueError`, so msgspec reports its path).

    Example:
        >>> ContextWindowConfig(max_tokens=4096).recent
        10
    """

    max_tokens: int = 8192
    recent: int = 10
    importance_threshold: float = 30.0
    summary_tokens: int | None = None
    summary_role: Role = Role.SYSTEM

    def __post_init__(self) -> None:
        if self.max_tokens < 1:
            raise InvalidArgument(f"max_tokens must be >= 1, got {self.max_tokens}")
        if self.recent < 0:
            raise InvalidArgument(f"recent must be >= 0, got {self.recent}")
        if not 0 <= self.importance_threshold <= 100:
            raise InvalidArgument(
                f"importance_threshold must be within 0-100, got {self.importance_threshold}"
            )
        if self.summary_tokens is not None and not 0 <= self.summary_tokens < self.max_tokens:
            raise InvalidArgument(
                f"summary_tokens must be >= 0 and < max_tokens ({self.max_tokens}), "
                f"got {self.summary_tokens}"
            )
        try:
            role = Role(self.summary_role)
        except ValueError:
            raise InvalidArgument(f"unknown summary_role {self.summary_role!r}") from None
        if role is Role.TOOL:
            raise InvalidArgument("summary_role cannot be 'tool' (a tool message needs a call id)")
        msgspec.structs.force_setattr(self, "summary_role", role)

    @property
    def reserve(self) -> int:
        """The tokens set aside for the summary: ``summary_tokens`` or its default.

        Example:
            >>> ContextWindowConfig(max_tokens=400).reserve
            100
        """
        if self.summary_tokens is not None:
            return self.summary_tokens
        return min(256, self.max_tokens // 4)


class FittedContext(msgspec.Struct, frozen=True):
    """What `ContextWindow.fit` returns; nothing given to it is lost without being listed here.

    * ``messages``: the messages to send, in conversation order (the summary, if any, right
      after the leading system messages).
    * ``tokens``: what ``messages`` take according to the window's counter (<= ``max_tokens``).
    * ``dropped``: the messages compressed into the summary, in order;
      ``dropped_indices`` their indices in the input.
    * ``summary``: the summary message, or None when nothing was compressed.

    Example:
        >>> fitted = ContextWindow().fit([Message.user("hi")])
        >>> (fitted.tokens, fitted.compressed)
        (5, False)
    """

    messages: tuple[Message, ...]
    tokens: int
    max_tokens: int
    dropped: tuple[Message, ...] = ()
    dropped_indices: tuple[int, ...] = ()
    summary: Message | None = None

    @property
    def compressed(self) -> bool:
        """True when some messages were replaced by the summary.

        Example:
            >>> ContextWindow().fit([]).compressed
            False
        """
        return bool(self.dropped)

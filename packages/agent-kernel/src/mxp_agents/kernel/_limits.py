"""`RunLimits` (the bounds of one run) and `StopReason` (why a run ended)."""

import enum

import msgspec

from mxp_agents.kernel._errors import AgentConfigError

__all__ = ["RunLimits", "StopReason"]


class StopReason(enum.StrEnum):
    """Why a run ended. Only ``completed`` carries a final answer.

    - ``completed``: the model gave a final answer (valid, when an output type is set).
    - ``max_steps``: the model was called ``max_steps`` times and still asked for tools.
    - ``max_tool_calls``: the model asked for more tool calls than ``max_tool_calls`` allows.
    - ``max_tokens``: the next model call would not fit ``max_total_tokens`` (or a context
      window could not hold the messages it must keep).
    - ``timeout``: ``max_wall_time`` or the run's ``deadline`` passed.
    - ``model_error``: the model call failed (a `ModelError`); ``RunResult.error`` says how.
    - ``invalid_output``: the answer did not fit the output type after ``max_output_retries``.
    - ``max_cost``: the next model call could take the run beyond its cost budget
      (``max_cost``), or the budget cannot be enforced because the model has no price.
    - ``cancelled``: the run was cancelled through its `RunStream` (``cancel()`` or leaving
      the ``async with`` block early).
    - ``policy_denied``: the agent's policy denied a model call or a memory write (an engine
      error or timeout, a denied or expired approval, an audit trail that cannot record the
      decision are denies too); ``RunResult.error`` names the step and the reason.

    Example:
        >>> StopReason("timeout") is StopReason.TIMEOUT
        True
    """

    COMPLETED = "completed"
    MAX_STEPS = "max_steps"
    MAX_TOOL_CALLS = "max_tool_calls"
    MAX_TOKENS = "max_tokens"
    TIMEOUT = "timeout"
    MODEL_ERROR = "model_error"
    INVALID_OUTPUT = "invalid_output"
    MAX_COST = "max_cost"
    CANCELLED = "cancelled"
    POLICY_DENIED = "policy_denied"


class RunLimits(msgspec.Struct, frozen=True, kw_only=True):
    """The bounds of one run; reaching one ends the run with its `StopReason`.

    - ``max_steps``: model calls per run (>= 1).
    - ``max_tool_calls``: tool calls per run (>= 0); a batch that would go beyond it is not run.
    - ``max_total_tokens``: input + output tokens per run, or None for no limit. Checked
      before each model call with a prediction of its cost (see ``docs/agents.md``).
    - ``max_wall_time``: seconds per run (> 0), or None; combined with ``deadline=``.
    - ``max_output_retries``: corrections sent back to the model for an answer that does not
      fit the output type (>= 0).
    - ``max_cost``: US dollars the run's model calls may cost, or None for no budget. Checked
      before each model call with the model's estimate (`CostEstimator`) and after it with
      the reported cost; ``run(max_cost=...)`` overrides it for one run.

    Example:
        >>> RunLimits(max_steps=4, max_wall_time=10.0).max_tool_calls
        32
    """

    max_steps: int = 10
    max_tool_calls: int = 32
    max_total_tokens: int | None = None
    max_wall_time: float | None = 60.0
    max_output_retries: int = 2
    max_cost: float | None = None

    def __post_init__(self) -> None:
        _count("max_steps", self.max_steps, 1)
        _count("max_tool_calls", self.max_tool_calls, 0)
        if self.max_total_tokens is not None:
            _count("max_total_tokens", self.max_total_tokens, 1)
        _count("max_output_retries", self.max_output_retries, 0)
        wall = self.max_wall_time
        if wall is not None:
            if isinstance(wall, bool) or not isinstance(wall, int | float) or not wall > 0:  # pyright: ignore[reportUnnecessaryIsInstance]
                raise AgentConfigError(
                    f"max_wall_time must be a number of seconds > 0 or None, got {wall!r} "
                    "- at RunLimits.max_wall_time"
                )
            msgspec.structs.force_setattr(self, "max_wall_time", float(wall))
        check_cost(self.max_cost, AgentConfigError, "RunLimits.max_cost")


def check_cost(value: object, error: type[Exception], where: str) -> None:
    """Refuse a cost budget that is not a number of US dollars >= 0 (None: no budget)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise error(f"max_cost must be US dollars >= 0 or None, got {value!r} - at {where}")


def _count(name: str, value: object, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise AgentConfigError(
            f"{name} must be an int >= {least}, got {value!r} - at RunLimits.{name}"
        )

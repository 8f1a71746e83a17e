"""The cost budget of a run: may the next model call be made?"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mxp_agents.adapters import CostEstimator

if TYPE_CHECKING:
    from mxp_agents.adapters import ModelAdapter, ModelRequest

__all__ = ["cost_check"]


def cost_check(
    model: ModelAdapter, spent: float | None, request: ModelRequest, budget: float
) -> str | None:
    """Why the next call must not be made under ``budget`` US dollars, or None if it may.

    The call may go ahead when what the run has spent plus the model's estimate for
    ``request`` (see `CostEstimator`) stays within the budget. A model that cannot price its
    calls cannot be held to a budget: the run stops rather than spend blindly.

    Example:
        >>> cost_check(model, 0.009, request, 0.01)  # doctest: +SKIP
        'the next model call may cost about $0.002000 and the run has spent $0.009000, ...'
    """
    used = spent or 0.0
    if used >= budget:
        return f"the run has spent ${used:.6f}, reaching max_cost=${budget:g}"
    estimate = model.estimate_cost(request) if isinstance(model, CostEstimator) else None
    if estimate is None:
        return (
            f"max_cost=${budget:g} is set but model {model.provider}/{model.model_name} has "
            "no price to estimate its calls with; give its adapter a PriceTable entry"
        )
    if used + estimate > budget:
        return (
            f"the next model call may cost about ${estimate:.6f} and the run has spent "
            f"${used:.6f}, beyond max_cost=${budget:g}"
        )
    return None

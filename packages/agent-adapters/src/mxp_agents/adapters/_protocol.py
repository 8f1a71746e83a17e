"""`ModelAdapter`: the seam between the kernel and a model provider."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from mxp_agents.adapters._events import ModelEvent
    from mxp_agents.adapters._request import ModelRequest
    from mxp_agents.adapters._response import ModelResponse

__all__ = ["CostEstimator", "ModelAdapter"]


@runtime_checkable
class ModelAdapter(Protocol):
    """What the kernel needs from a model: stream an answer, or get it whole.

    ``stream`` is an async generator of `ModelEvent`s ending with one `Finish`; closing it
    (``aclose``, or cancelling the task) closes the underlying provider call. ``complete``
    returns the assembled `ModelResponse` (often ``collect_response(self.stream(request), ...)``).
    Both raise a `ModelError` subclass on failure. ``provider`` names the provider
    (``"openai"``, ``"scripted"``), ``model_name`` the model.

    Example:
        >>> from mxp_agents.adapters.testing import ScriptedModel, Step
        >>> isinstance(ScriptedModel([Step.text("hi")]), ModelAdapter)
        True
    """

    @property
    def provider(self) -> str:
        """The provider's short name, such as ``"openai"`` or ``"scripted"``."""
        ...

    @property
    def model_name(self) -> str:
        """The model's name as the provider knows it, such as ``"gpt-4o-mini"``."""
        ...

    def stream(self, request: ModelRequest) -> AsyncIterator[ModelEvent]:
        """Stream the answer to ``request`` as events; the last one is a `Finish`."""
        ...

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """The whole answer to ``request``."""
        ...


@runtime_checkable
class CostEstimator(Protocol):
    """A model that can guess, before a call, what the call may cost (US dollars).

    Every `ProviderModel` is one; the kernel uses it to stop a run before a call would go
    beyond the run's cost budget. None means the model has no price.

    Example:
        >>> from mxp_agents.adapters.openai import OpenAIModel
        >>> isinstance(OpenAIModel("gpt-4o-mini", api_key="sk-..."), CostEstimator)
        True
    """

    def estimate_cost(self, request: ModelRequest) -> float | None:
        """An upper-bound guess of ``request``'s cost, or None when the model is unpriced."""
        ...

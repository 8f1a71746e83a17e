"""`FallbackModel`: try a chain of models, moving on when one fails in a way you choose."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING, Final, cast

from mxp_agents.adapters._errors import (
    InvalidModelValue,
    MalformedResponseError,
    ModelError,
    ModelTimeoutError,
    RateLimitedError,
    TransientModelError,
)
from mxp_agents.adapters._protocol import CostEstimator, ModelAdapter

if TYPE_CHECKING:
    from mxp_agents.adapters._events import ModelEvent
    from mxp_agents.adapters._request import ModelRequest
    from mxp_agents.adapters._response import ModelResponse

__all__ = ["DEFAULT_FALLBACK_ON", "FallbackModel"]

DEFAULT_FALLBACK_ON: Final[tuple[type[ModelError], ...]] = (
    RateLimitedError,
    TransientModelError,
    ModelTimeoutError,
    MalformedResponseError,
)
"""The errors that move a `FallbackModel` to its next model unless told otherwise: the
provider is busy, down, slow or garbled — another provider may well answer."""

FallbackRule = tuple[type[ModelError], ...] | Callable[[ModelError], bool]


class FallbackModel:
    """A `ModelAdapter` over a chain of models: the first that answers wins.

    Each model is asked in turn; a `ModelError` that matches ``fallback_on`` (a tuple of error
    classes, or a function of the error) moves on to the next model, any other error is
    raised at once. Each model applies its own retries first. A stream moves on only before
    its first event (afterwards the caller has seen part of an answer). When every model
    failed, the last error is raised with a note per model tried. The response keeps the
    ``provider`` and ``model`` of the model that answered.

    Example:
        >>> model = FallbackModel(
        ...     OpenAIModel("gpt-4o-mini"),
        ...     AnthropicModel("claude-haiku-4-5"),
        ...     fallback_on=(RateLimitedError, TransientModelError, ContextLengthExceededError),
        ... )
        >>> response = await model.complete(request)  # doctest: +SKIP
        >>> response.provider  # "anthropic" if OpenAI was rate limited
    """

    def __init__(self, *models: ModelAdapter, fallback_on: FallbackRule = DEFAULT_FALLBACK_ON):
        if not models:
            raise InvalidModelValue("a FallbackModel needs at least one model", "$.models")
        for index, model in enumerate(models):
            if not isinstance(model, ModelAdapter):  # pyright: ignore[reportUnnecessaryIsInstance]
                kind = type(model).__name__
                raise InvalidModelValue(
                    f"expected a ModelAdapter, got {kind}", f"$.models[{index}]"
                )
        rule: object = fallback_on
        if isinstance(rule, tuple):
            for index, kind in enumerate(cast("tuple[object, ...]", rule)):
                if not (isinstance(kind, type) and issubclass(kind, ModelError)):  # pyright: ignore[reportUnnecessaryIsInstance]
                    raise InvalidModelValue(
                        f"expected a ModelError subclass, got {kind!r}", f"$.fallback_on[{index}]"
                    )
        elif not callable(fallback_on):
            raise InvalidModelValue(
                f"expected a tuple of ModelError classes or a function, got {fallback_on!r}",
                "$.fallback_on",
            )
        self.models: Final = models
        """The chain, in the order it is tried."""
        self._rule: FallbackRule = fallback_on

    @property
    def provider(self) -> str:
        """``"fallback"``; each response names the provider that answered.

        Example:
            >>> FallbackModel(TestModel()).provider
            'fallback'
        """
        return "fallback"

    @property
    def model_name(self) -> str:
        """The chain's models joined by ``" > "``.

        Example:
            >>> FallbackModel(TestModel(), TestModel(model_name="b")).model_name
            'test > b'
        """
        return " > ".join(model.model_name for model in self.models)

    def falls_back_on(self, error: ModelError) -> bool:
        """Whether ``error`` moves the chain on to its next model.

        Example:
            >>> FallbackModel(TestModel()).falls_back_on(RateLimitedError("busy"))
            True
        """
        rule = self._rule
        return isinstance(error, rule) if isinstance(rule, tuple) else bool(rule(error))

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """The answer of the first model in the chain that gives one.

        Example:
            >>> response = await FallbackModel(primary, backup).complete(request)
        """
        errors: list[tuple[ModelAdapter, ModelError]] = []
        for model in self.models:
            try:
                return await model.complete(request)
            except ModelError as error:
                if not self.falls_back_on(error):
                    raise
                errors.append((model, error))
        raise _exhausted(errors)

    async def stream(self, request: ModelRequest) -> AsyncGenerator[ModelEvent]:
        """The stream of the first model that starts one; moves on only before the first event.

        Example:
            >>> async for event in FallbackModel(primary, backup).stream(request):
            ...     print(event)
        """
        errors: list[tuple[ModelAdapter, ModelError]] = []
        for model in self.models:
            started = False
            events = model.stream(request)
            try:
                async for event in events:
                    started = True
                    yield event
            except ModelError as error:
                if started or not self.falls_back_on(error):
                    raise
                errors.append((model, error))
                continue
            finally:
                closer = getattr(events, "aclose", None)
                if closer is not None:
                    await closer()
            return
        raise _exhausted(errors)

    def estimate_cost(self, request: ModelRequest) -> float | None:
        """The highest estimate among the chain's models (None if one cannot estimate).

        Example:
            >>> FallbackModel(primary, backup).estimate_cost(request)  # doctest: +SKIP
            0.0021
        """
        estimates: list[float] = []
        for model in self.models:
            if not isinstance(model, CostEstimator):
                return None
            estimate = model.estimate_cost(request)
            if estimate is None:
                return None
            estimates.append(estimate)
        return max(estimates)

    def __repr__(self) -> str:
        return f"FallbackModel({', '.join(repr(model) for model in self.models)})"


def _exhausted(errors: list[tuple[ModelAdapter, ModelError]]) -> ModelError:
    last = errors[-1][1]
    for model, error in errors:
        last.add_note(f"fallback: {model.provider} model {model.model_name!r} failed: {error}")
    return last

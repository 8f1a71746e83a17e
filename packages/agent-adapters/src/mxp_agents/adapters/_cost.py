"""Prices per model and what a call cost: `Price`, `PriceTable`."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final

import msgspec

from mxp_agents.adapters._errors import InvalidModelValue

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mxp_agents.primitives import Usage

__all__ = ["DEFAULT_PRICES", "Price", "PriceTable"]

_PER_TOKEN: Final = 1e-6


class Price(msgspec.Struct, frozen=True, kw_only=True):
    """A model's price in US dollars per 1,000,000 tokens.

    ``cached_input`` (tokens served from a prompt cache) defaults to ``input`` and
    ``reasoning`` (hidden reasoning tokens, part of the output) to ``output``.

    Example:
        >>> price = Price(input=0.15, output=0.60, cached_input=0.075)
        >>> usage = Usage(input_tokens=1000, cached_input_tokens=400, output_tokens=100)
        >>> round(price.cost(usage), 8)
        0.00018
    """

    input: float
    output: float
    cached_input: float | None = None
    reasoning: float | None = None

    def __post_init__(self) -> None:
        for name in ("input", "output", "cached_input", "reasoning"):
            value: object = getattr(self, name)
            if value is None and name in ("cached_input", "reasoning"):
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidModelValue(f"expected a number, got {value!r}", f"$.{name}")
            if not math.isfinite(value) or value < 0:
                raise InvalidModelValue(f"a price must be >= 0, got {value!r}", f"$.{name}")

    def cost(self, usage: Usage) -> float:
        """What ``usage`` costs at this price, in US dollars.

        Example:
            >>> Price(input=1.0, output=2.0).cost(Usage(input_tokens=500_000, output_tokens=0))
            0.5
        """
        cached = min(usage.cached_input_tokens, usage.input_tokens)
        reasoning = min(usage.reasoning_tokens, usage.output_tokens)
        cached_price = self.input if self.cached_input is None else self.cached_input
        reasoning_price = self.output if self.reasoning is None else self.reasoning
        dollars = (
            (usage.input_tokens - cached) * self.input
            + cached * cached_price
            + (usage.output_tokens - reasoning) * self.output
            + reasoning * reasoning_price
        )
        return dollars * _PER_TOKEN


def _p(input: float, output: float, cached: float | None = None) -> Price:
    return Price(input=input, output=output, cached_input=cached)


DEFAULT_PRICES: Final[Mapping[str, Price]] = {
    # Published list prices (USD per 1M tokens) at the time of writing; override them with
    # your own contract prices: PriceTable({"openai/gpt-4o": Price(...)}).
    "openai/gpt-4o": _p(2.50, 10.00, 1.25),
    "openai/gpt-4o-mini": _p(0.15, 0.60, 0.075),
    "openai/gpt-4.1": _p(2.00, 8.00, 0.50),
    "openai/gpt-4.1-mini": _p(0.40, 1.60, 0.10),
    "openai/gpt-4.1-nano": _p(0.10, 0.40, 0.025),
    "openai/gpt-5": _p(1.25, 10.00, 0.125),
    "openai/gpt-5-mini": _p(0.25, 2.00, 0.025),
    "openai/gpt-5-nano": _p(0.05, 0.40, 0.005),
    "openai/o3": _p(2.00, 8.00, 0.50),
    "openai/o4-mini": _p(1.10, 4.40, 0.275),
    "anthropic/claude-opus-4": _p(15.00, 75.00, 1.50),
    "anthropic/claude-sonnet-4": _p(3.00, 15.00, 0.30),
    "anthropic/claude-haiku-4-5": _p(1.00, 5.00, 0.10),
    "anthropic/claude-3-5-haiku": _p(0.80, 4.00, 0.08),
    "gemini/gemini-2.5-pro": _p(1.25, 10.00, 0.31),
    "gemini/gemini-2.5-flash": _p(0.30, 2.50, 0.075),
    "gemini/gemini-2.5-flash-lite": _p(0.10, 0.40, 0.025),
    "gemini/gemini-2.0-flash": _p(0.10, 0.40, 0.025),
    # Models that run on your own hardware cost nothing per token.
    "ollama/": _p(0.0, 0.0),
    "local/": _p(0.0, 0.0),
}
"""The built-in price list, keyed ``provider/model`` (a key matches as a prefix, so dated
names such as ``gpt-4o-2024-08-06`` find ``gpt-4o``; the longest key wins)."""


class PriceTable:
    """Prices by model, with user overrides on top of (or instead of) the built-in list.

    Keys are ``"provider/model"`` or just ``"model"`` (any provider); each key matches as a
    prefix of the model name and the longest match wins. ``cost`` is None for an unknown
    model: the response then reports no cost rather than a wrong one.

    Example:
        >>> table = PriceTable({"openai/my-finetune": Price(input=3.0, output=12.0)})
        >>> table.cost("openai", "my-finetune", Usage(input_tokens=1_000_000))
        3.0
        >>> table.price("openai", "gpt-4o-mini-2024-07-18") == DEFAULT_PRICES["openai/gpt-4o-mini"]
        True
        >>> PriceTable(defaults=False).cost("openai", "gpt-4o", Usage(input_tokens=1)) is None
        True
    """

    def __init__(self, prices: Mapping[str, Price] | None = None, *, defaults: bool = True) -> None:
        merged: dict[str, Price] = dict(DEFAULT_PRICES) if defaults else {}
        for key, price in (prices or {}).items():
            if not isinstance(key, str) or not key:  # pyright: ignore[reportUnnecessaryIsInstance]
                raise InvalidModelValue(f"a price key is a non-empty str, got {key!r}", "$")
            if not isinstance(price, Price):  # pyright: ignore[reportUnnecessaryIsInstance]
                kind = type(price).__name__
                raise InvalidModelValue(f"expected Price, got {kind}", f"$[{key!r}]")
            merged[key] = price
        # Longest keys first, so the first prefix that matches is the most specific one.
        self._keys = sorted(merged, key=len, reverse=True)
        self._prices = merged

    def price(self, provider: str, model: str) -> Price | None:
        """The price of ``provider``'s ``model``, or None when the table does not know it.

        Example:
            >>> PriceTable().price("ollama", "llama3.2")
            Price(input=0.0, output=0.0, cached_input=None, reasoning=None)
        """
        qualified = f"{provider}/{model}"
        for key in self._keys:
            if "/" in key and qualified.startswith(key):
                return self._prices[key]
        for key in self._keys:
            if "/" not in key and model.startswith(key):
                return self._prices[key]
        return None

    def cost(self, provider: str, model: str, usage: Usage) -> float | None:
        """What ``usage`` of ``provider``'s ``model`` cost in US dollars, or None if unpriced.

        Example:
            >>> PriceTable().cost("local", "smollm2", Usage(input_tokens=10))
            0.0
        """
        price = self.price(provider, model)
        return None if price is None else price.cost(usage)

    def with_prices(self, prices: Mapping[str, Price]) -> PriceTable:
        """A new table with ``prices`` added on top of this one's.

        Example:
            >>> PriceTable().with_prices({"gpt-4o": Price(input=1, output=1)}).price("x", "gpt-4o")
            Price(input=1, output=1, cached_input=None, reasoning=None)
        """
        return PriceTable({**self._prices, **prices}, defaults=False)

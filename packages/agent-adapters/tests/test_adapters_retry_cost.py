"""RetryPolicy, Price/PriceTable, and cost on responses and streamed usage."""

from __future__ import annotations

import random

import pytest

from mxp_agents.adapters import (
    DEFAULT_PRICES,
    NO_RETRY,
    AuthenticationError,
    Finish,
    InvalidModelValue,
    ModelResponse,
    Price,
    PriceTable,
    RateLimitedError,
    ResponseAssembler,
    RetryPolicy,
    TransientModelError,
    UsageUpdate,
)
from mxp_agents.primitives import Usage


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(initial_delay=0.5, multiplier=2, max_delay=3, jitter=0, max_attempts=9)
    assert [policy.backoff(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_delay_only_for_retryable_errors_within_attempts() -> None:
    policy = RetryPolicy(max_attempts=3, jitter=0)
    assert policy.delay(1, TransientModelError("down")) == 0.5
    assert policy.delay(2, TransientModelError("down")) == 1.0
    assert policy.delay(3, TransientModelError("down")) is None  # attempts used up
    assert policy.delay(1, AuthenticationError("bad key")) is None  # not retryable
    assert NO_RETRY.delay(1, TransientModelError("down")) is None


def test_jitter_spreads_within_bounds() -> None:
    policy = RetryPolicy(initial_delay=1.0, jitter=0.25)
    rng = random.Random(7)
    waits = [policy.delay(1, TransientModelError("x"), rng) for _ in range(200)]
    assert all(w is not None and 0.75 <= w <= 1.25 for w in waits)
    assert len({round(w or 0, 6) for w in waits}) > 50  # really spread


def test_retry_after_is_a_floor_and_too_long_gives_up() -> None:
    policy = RetryPolicy(initial_delay=0.1, jitter=0, max_retry_after=10)
    assert policy.delay(1, RateLimitedError("slow", retry_after=2.5)) == 2.5
    assert policy.delay(1, RateLimitedError("slow", retry_after=0.01)) == 0.1
    assert policy.delay(1, RateLimitedError("slow", retry_after=60)) is None


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"max_attempts": 0}, "$.max_attempts"),
        ({"max_attempts": True}, "$.max_attempts"),
        ({"initial_delay": -1}, "$.initial_delay"),
        ({"max_delay": float("nan")}, "$.max_delay"),
        ({"jitter": 1.5}, "$.jitter"),
    ],
)
def test_retry_policy_rejects_bad_values(options: dict[str, object], path: str) -> None:
    with pytest.raises(InvalidModelValue) as caught:
        RetryPolicy(**options)  # type: ignore[arg-type]
    assert caught.value.path == path


def test_price_splits_cached_and_reasoning_tokens() -> None:
    price = Price(input=1.0, output=4.0, cached_input=0.25, reasoning=8.0)
    usage = Usage(
        input_tokens=1_000_000,
        cached_input_tokens=400_000,
        output_tokens=100_000,
        reasoning_tokens=50_000,
    )
    assert price.cost(usage) == pytest.approx(0.6 + 0.1 + 0.2 + 0.4)
    plain = Price(input=1.0, output=4.0)  # cached at the input price, reasoning at output
    assert plain.cost(usage) == pytest.approx(1.0 + 0.4)


def test_price_rejects_negative_and_non_numbers() -> None:
    with pytest.raises(InvalidModelValue, match=r"\$\.output"):
        Price(input=1.0, output=-1.0)
    with pytest.raises(InvalidModelValue, match=r"\$\.input"):
        Price(input="1", output=1.0)  # type: ignore[arg-type]


def test_table_prefix_match_longest_wins_and_overrides() -> None:
    table = PriceTable()
    assert table.price("openai", "gpt-4o-mini-2024-07-18") == DEFAULT_PRICES["openai/gpt-4o-mini"]
    assert table.price("openai", "gpt-4o-2024-08-06") == DEFAULT_PRICES["openai/gpt-4o"]
    assert table.price("openai", "unknown-model") is None
    assert table.price("ollama", "anything") == Price(input=0.0, output=0.0)
    mine = Price(input=9.0, output=9.0)
    overridden = PriceTable({"openai/gpt-4o": mine})
    assert overridden.price("openai", "gpt-4o-2024-08-06") == mine
    assert overridden.price("openai", "gpt-4o-mini") == DEFAULT_PRICES["openai/gpt-4o-mini"]
    bare = PriceTable({"my-model": mine}, defaults=False)
    assert bare.price("anyone", "my-model-v2") == mine
    assert bare.price("openai", "gpt-4o") is None
    assert bare.with_prices({"other": mine}).price("x", "other") == mine


def test_table_rejects_bad_entries() -> None:
    with pytest.raises(InvalidModelValue):
        PriceTable({"": Price(input=1, output=1)})
    with pytest.raises(InvalidModelValue):
        PriceTable({"gpt": 1.0})  # type: ignore[dict-item]


def test_assembler_sums_costs_and_keeps_none_when_unpriced() -> None:
    assembler = ResponseAssembler()
    assembler.add(UsageUpdate(Usage(input_tokens=10), cost=0.25))
    assembler.add(UsageUpdate(Usage(output_tokens=5), cost=0.5))
    assembler.add(Finish())
    assert assembler.response().cost == pytest.approx(0.75)
    unpriced = ResponseAssembler()
    unpriced.add(UsageUpdate(Usage(input_tokens=10)))
    unpriced.add(Finish())
    assert unpriced.response().cost is None


def test_response_cost_validated() -> None:
    assert ModelResponse(cost=0.5).cost == 0.5
    with pytest.raises(InvalidModelValue, match=r"\$\.cost"):
        ModelResponse(cost=-1.0)

"""ProviderModel's shared behaviour beyond the conformance suite, FallbackModel, settings."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import trio

from mxp_agents.adapters import (
    AuthenticationError,
    ContextLengthExceededError,
    FallbackModel,
    Finish,
    InvalidModelValue,
    MalformedResponseError,
    ModelError,
    ModelEvent,
    ModelRequest,
    ModelResponse,
    ModelSettings,
    ModelTimeoutError,
    ModelUnavailableError,
    Price,
    PriceTable,
    ProviderModel,
    RateLimitedError,
    TextDelta,
    TransientModelError,
    choose_provider,
    collect_response,
    model_from_settings,
)
from mxp_agents.adapters.testing import ScriptedModel, Step
from mxp_agents.config import Secret
from mxp_agents.primitives import Message

REQUEST = ModelRequest((Message.user("Hi"),), max_output_tokens=1000)


class EventsModel(ProviderModel):
    """Streams a fixed list of events (or raises a fixed error)."""

    provider = "events"

    def __init__(self, events: list[ModelEvent], error: Exception | None = None, **kw: object):
        super().__init__("events-1", **kw)  # type: ignore[arg-type]
        self.events = events
        self.error = error
        self.closed = 0

    async def _complete_once(self, request: ModelRequest) -> ModelResponse:
        if self.error is not None:
            raise self.error
        return await collect_response(self._stream_once(request))

    async def _stream_once(self, request: ModelRequest) -> AsyncIterator[ModelEvent]:
        try:
            for event in self.events:
                if isinstance(event, TextDelta) and event.text == "<stall>":
                    await trio.sleep_forever()
                yield event
            if self.error is not None:
                raise self.error
        finally:
            self.closed += 1

    def _map_error(self, error: Exception) -> ModelError | None:
        if isinstance(error, KeyError):
            return TransientModelError("mapped", provider=self.provider)
        return None


async def test_events_after_finish_and_missing_finish_are_malformed() -> None:
    after = EventsModel([Finish(), TextDelta("late")])
    with pytest.raises(MalformedResponseError, match="after the Finish"):
        await collect_response(after.stream(REQUEST))
    missing = EventsModel([TextDelta("no end")])
    with pytest.raises(MalformedResponseError, match="without a Finish"):
        await collect_response(missing.stream(REQUEST))
    assert after.closed == missing.closed == 1


async def test_unmapped_exceptions_pass_through_unchanged() -> None:
    model = EventsModel([], error=ZeroDivisionError("a bug"))
    with pytest.raises(ZeroDivisionError):
        await model.complete(REQUEST)
    mapped = EventsModel([], error=KeyError("key=sk-abcdefghijklmnop"))
    with pytest.raises(TransientModelError) as caught:
        await mapped.complete(REQUEST)
    # The SDK error is summarised in a redacted note, not chained (it may carry the key).
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    (note,) = caught.value.__notes__
    assert note.startswith("from builtins.KeyError: ")
    assert "sk-abcdefghijklmnop" not in note


async def test_stream_idle_timeout_and_close() -> None:
    model = EventsModel([TextDelta("a"), TextDelta("<stall>")], timeout=0.2)
    got: list[ModelEvent] = []

    async def consume() -> None:
        async for event in model.stream(REQUEST):
            got.append(event)

    with pytest.raises(ModelTimeoutError, match=r"0\.2s"):
        await consume()
    assert got == [TextDelta("a")]
    assert model.closed == 1


async def test_cancelling_the_consumer_closes_the_provider_stream() -> None:
    model = EventsModel([TextDelta("a"), TextDelta("<stall>")], timeout=None)
    with trio.move_on_after(0.1):
        async for _ in model.stream(REQUEST):
            pass
    assert model.closed == 1


def test_constructor_checks_and_repr() -> None:
    with pytest.raises(InvalidModelValue, match=r"\$\.timeout"):
        EventsModel([], timeout=0)
    with pytest.raises(InvalidModelValue, match=r"\$\.retry"):
        EventsModel([], retry=3)
    with pytest.raises(InvalidModelValue, match=r"\$\.prices"):
        EventsModel([], prices={})
    assert repr(EventsModel([])) == "EventsModel(model='events-1')"


def test_estimate_cost_is_an_upper_bound_guess() -> None:
    prices = PriceTable({"events/events-1": Price(input=1.0, output=2.0)}, defaults=False)
    model = EventsModel([], prices=prices)
    request = ModelRequest((Message.user("x" * 4000),), max_output_tokens=500)
    assert model.estimate_cost(request) == pytest.approx((1000 * 1.0 + 500 * 2.0) / 1e6)
    assert EventsModel([], prices=PriceTable(defaults=False)).estimate_cost(request) is None


# -- FallbackModel -------------------------------------------------------------------------


async def test_fallback_moves_on_configured_errors_only() -> None:
    first = ScriptedModel([Step.error(RateLimitedError("busy"))], model_name="first")
    second = ScriptedModel([Step.text("from second")], model_name="second")
    response = await FallbackModel(first, second).complete(REQUEST)
    assert (response.text, response.model) == ("from second", "second")

    auth = ScriptedModel([Step.error(AuthenticationError("bad key"))])
    spare = ScriptedModel([Step.text("unused")])
    with pytest.raises(AuthenticationError):
        await FallbackModel(auth, spare).complete(REQUEST)
    assert spare.requests == []


async def test_fallback_rule_as_function_and_exhaustion_notes() -> None:
    models = [
        ScriptedModel([Step.error(ContextLengthExceededError("too long"))], model_name="a"),
        ScriptedModel([Step.error(ContextLengthExceededError("still"))], model_name="b"),
    ]
    chain = FallbackModel(*models, fallback_on=lambda e: isinstance(e, ContextLengthExceededError))
    assert chain.model_name == "a > b"
    assert chain.provider == "fallback"
    with pytest.raises(ContextLengthExceededError) as caught:
        await chain.complete(REQUEST)
    notes = "\n".join(caught.value.__notes__)
    assert "'a' failed" in notes
    assert "'b' failed" in notes


async def test_fallback_stream_moves_on_before_first_event_only() -> None:
    first = ScriptedModel([Step.error(TransientModelError("down"))], model_name="first")
    second = ScriptedModel([Step.text("streamed")], model_name="second")
    response = await collect_response(FallbackModel(first, second).stream(REQUEST))
    assert response.text == "streamed"

    partial = ScriptedModel([Step.error(TransientModelError("cut"), partial_text="half")])
    unused = ScriptedModel([Step.text("no")])
    with pytest.raises(TransientModelError):
        await collect_response(FallbackModel(partial, unused).stream(REQUEST))
    assert unused.requests == []


def test_fallback_validates() -> None:
    with pytest.raises(InvalidModelValue, match="at least one"):
        FallbackModel()
    with pytest.raises(InvalidModelValue, match=r"\$\.models\[0\]"):
        FallbackModel("gpt")  # type: ignore[arg-type]
    with pytest.raises(InvalidModelValue, match=r"\$\.fallback_on\[0\]"):
        FallbackModel(ScriptedModel([]), fallback_on=(ValueError,))  # type: ignore[arg-type]


# -- settings ------------------------------------------------------------------------------


def test_choose_provider_auto_follows_the_keys() -> None:
    auto = ModelSettings()
    assert choose_provider(auto, env={}) == "local"
    assert choose_provider(auto, env={"OPENAI_API_KEY": "sk-1"}) == "openai"
    assert choose_provider(auto, env={"ANTHROPIC_API_KEY": "k"}) == "anthropic"
    assert choose_provider(auto, env={"GOOGLE_API_KEY": "k"}) == "gemini"
    assert choose_provider(ModelSettings(api_key=Secret("sk-x")), env={}) == "openai"
    assert (
        choose_provider(ModelSettings(provider="ollama"), env={"OPENAI_API_KEY": "k"}) == "ollama"
    )


def test_missing_key_is_a_clear_error() -> None:
    with pytest.raises(ModelUnavailableError, match="ANTHROPIC_API_KEY"):
        model_from_settings(ModelSettings(provider="anthropic"), env={})

"""Failures of models served over MXP (real UDP on 127.0.0.1): served-side errors re-raised as
the same class, busy servers, unreachable and slow servers, wrong peers, the wire bodies, and
the argument checks of `serve_model` and `MxpModel`."""

from __future__ import annotations

import math

import msgspec
import pytest
import trio

import mxp
from mxp import MessageType
from mxp.transport import Endpoint
from mxp_agents.adapters import (
    NO_RETRY,
    AuthenticationError,
    ContentFilteredError,
    ContextLengthExceededError,
    InvalidModelValue,
    InvalidRequestError,
    MalformedResponseError,
    ModelError,
    ModelRequest,
    ModelTimeoutError,
    PermissionDeniedError,
    Price,
    PriceTable,
    RateLimitedError,
    TextDelta,
    TransientModelError,
    collect_response,
)
from mxp_agents.adapters.testing import FunctionModel, ScriptedModel, Step
from mxp_agents.kernel import (
    Agent,
    Kernel,
    KernelConfig,
    KernelConfigError,
    KernelError,
    MxpModel,
    serve_model,
)
from mxp_agents.primitives import Message

KEY = "sk-live-0123456789abcdefghijklmn"


def ask(text: str = "hi") -> ModelRequest:
    return ModelRequest((Message.user(text),))


async def answer(model: MxpModel, *, streamed: bool) -> object:
    if streamed:
        return await collect_response(model.stream(ask()))
    return await model.complete(ask())


class QuotaExceeded(RateLimitedError):
    """A provider's own subclass: travels as its nearest known class."""


SERVED_ERRORS = [
    AuthenticationError(f"invalid key {KEY}", provider="openai", model="gpt-x", status_code=401),
    PermissionDeniedError("no access", provider="openai", model="gpt-x", status_code=403),
    RateLimitedError("slow down", provider="openai", model="gpt-x", retry_after=2.5),
    QuotaExceeded("quota", provider="openai", model="gpt-x", retry_after=30.0, status_code=429),
    ContextLengthExceededError("prompt too long", provider="anthropic", model="claude"),
    ContentFilteredError("blocked", provider="gemini", model="flash"),
    InvalidRequestError("unknown field 'x'", provider="openai", model="gpt-x", status_code=400),
    TransientModelError("overloaded", provider="anthropic", model="claude", status_code=529),
    ModelTimeoutError("no first token within 30s", provider="ollama", model="llama"),
    MalformedResponseError("bad tool JSON", provider="openai", model="gpt-x", retryable=False),
    ModelError("something else", provider="local", model="tiny", retryable=True),
]


@pytest.mark.parametrize("error", SERVED_ERRORS, ids=lambda e: type(e).__name__)
async def test_a_served_model_error_is_raised_again_as_the_same_class(error: ModelError):
    served = ScriptedModel([Step.error(error), Step.error(error)])
    expected = type(error) if type(error) is not QuotaExceeded else RateLimitedError
    async with (
        serve_model(served).running() as server,
        Endpoint.bind("127.0.0.1", 0) as client,
    ):
        model = MxpModel(server.address, endpoint=client, retry=NO_RETRY)
        raised: list[ModelError] = []
        for streamed in (False, True):
            with pytest.raises(ModelError) as caught:
                await answer(model, streamed=streamed)
            raised.append(caught.value)
    for got in raised:
        assert type(got) is expected
        assert (got.message, got.provider, got.model) == (
            error.message,
            error.provider,
            error.model,
        )
        assert (got.retryable, got.status_code) == (error.retryable, error.status_code)
        assert str(got) == str(error)
        assert KEY not in str(got)
        if isinstance(error, RateLimitedError):
            assert isinstance(got, RateLimitedError)
            assert got.retry_after == error.retry_after


async def test_an_error_in_the_middle_of_a_stream_comes_after_its_events():
    dropped = TransientModelError("connection reset", provider="openai", model="gpt-x")
    served = ScriptedModel([Step.error(dropped, partial_text="Hello wor")])
    events: list[object] = []

    async def consume(model: MxpModel) -> None:
        async for event in model.stream(ask()):
            events.append(event)

    async with (
        serve_model(served).running() as server,
        Endpoint.bind("127.0.0.1", 0) as client,
    ):
        model = MxpModel(server.address, endpoint=client, retry=NO_RETRY)
        with pytest.raises(TransientModelError, match="connection reset"):
            await consume(model)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Hello wor"


async def test_a_busy_server_answers_a_retryable_error_with_its_retry_hint():
    release = trio.Event()

    async def slow(request: ModelRequest) -> str:
        await release.wait()
        return "done"

    config = KernelConfig(max_concurrency=1, queue_size=0, retry_after_ms=300)
    async with (
        serve_model(FunctionModel(slow), config=config).running() as server,
        Endpoint.bind("127.0.0.1", 0) as client,
    ):
        model = MxpModel(server.address, endpoint=client, retry=NO_RETRY)
        async with trio.open_nursery() as nursery:
            first: list[str] = []

            async def occupy() -> None:
                first.append((await model.complete(ask())).text)

            nursery.start_soon(occupy)
            with trio.fail_after(5):
                while server.in_flight < 1:  # noqa: ASYNC110 - the server runs in this process
                    await trio.sleep(0.005)
            with pytest.raises(RateLimitedError) as caught:
                await model.complete(ask())
            release.set()
    assert caught.value.retryable
    assert caught.value.retry_after == 0.3
    assert caught.value.provider == "mxp"
    assert "busy" in str(caught.value)
    assert first == ["done"]


async def test_an_unreachable_server_is_a_transient_error_after_the_connect_timeout():
    async with Endpoint.bind("127.0.0.1", 0) as gone:
        address = gone.local_address  # closed below: nothing answers there
    async with Endpoint.bind("127.0.0.1", 0) as client:
        for timeout, connect_timeout, low, high in (
            (0.5, 2.0, 0.2, 0.5),  # the probe waits at most half the model's timeout
            (60.0, 0.3, 0.25, 1.0),
        ):
            model = MxpModel(
                address,
                endpoint=client,
                retry=NO_RETRY,
                timeout=timeout,
                connect_timeout=connect_timeout,
            )
            for streamed in (False, True):
                started = trio.current_time()
                with pytest.raises(TransientModelError, match="no model server answers") as caught:
                    await answer(model, streamed=streamed)
                elapsed = trio.current_time() - started
                assert low <= elapsed < high, (timeout, streamed, elapsed)
                assert caught.value.retryable


async def test_a_slow_model_times_out_and_the_server_gives_the_call_up():
    async def slow(request: ModelRequest) -> str:
        await trio.sleep(30)
        return "late"

    async with (
        serve_model(FunctionModel(slow)).running() as server,
        Endpoint.bind("127.0.0.1", 0) as client,
    ):
        model = MxpModel(server.address, endpoint=client, timeout=0.3, retry=NO_RETRY)
        started = trio.current_time()
        with pytest.raises(ModelTimeoutError):
            await model.complete(ask())
        assert trio.current_time() - started < 1.0
        with trio.fail_after(5):  # the call's deadline (the model's timeout) ends it there too
            while server.in_flight:  # noqa: ASYNC110 - the server runs in this process
                await trio.sleep(0.01)


async def test_a_peer_that_serves_no_model_is_an_invalid_request():
    agent = Agent("plain", model=FunctionModel(str))
    async with (
        Kernel(agent).running() as kernel,
        Endpoint.bind("127.0.0.1", 0) as client,
    ):
        model = MxpModel(kernel.address, endpoint=client)
        with pytest.raises(InvalidRequestError, match="invalid_request") as caught:
            await model.complete(ask())
    assert not caught.value.retryable


async def test_without_an_endpoint_or_registry_the_error_says_what_to_give():
    with pytest.raises(ModelError, match=r"has no MXP endpoint.*pass endpoint="):
        await MxpModel("127.0.0.1:9", retry=NO_RETRY).complete(ask())
    async with Endpoint.bind("127.0.0.1", 0) as client:
        model = MxpModel("model.local.tiny", endpoint=client, retry=NO_RETRY)
        with pytest.raises(ModelError, match=r"has none.*registry="):
            await model.complete(ask())


async def test_the_wire_bodies_of_a_model_server():
    error = RateLimitedError("slow down", provider="openai", model="gpt-x", retry_after=1.5)
    served = ScriptedModel([Step.error(error), Step.text("hello")], model_name="gpt-x")
    async with (
        serve_model(served).running() as server,
        Endpoint.bind("127.0.0.1", 0) as client,
    ):

        async def call(body: bytes) -> mxp.Message:
            message = mxp.Message.new(MessageType.CALL, body)
            return await client.request(message, server.address, timeout=5)

        info = await call(b'{"model_info": true}')
        assert info.type is MessageType.RESPONSE
        assert msgspec.json.decode(info.payload) == {
            "provider": "scripted",
            "model": "gpt-x",
            "capability": "model.scripted.gpt-x",
        }
        refused = await call(b'{"task": "hi"}')
        assert refused.type is MessageType.ERROR
        body = msgspec.json.decode(refused.payload)
        assert body["code"] == "invalid_request"
        assert "this agent serves a model" in body["error"]
        request = msgspec.json.encode({"model_request": ask()})
        failed = await call(request)
        assert failed.type is MessageType.ERROR
        assert msgspec.json.decode(failed.payload) == {
            "error": "openai model 'gpt-x': slow down; retry after 1.5s",
            "code": "model_error",
            "retry_after_ms": 1500,
            "kind": "rate_limited",
            "message": "slow down",
            "retryable": True,
            "retry_after": 1.5,
            "provider": "openai",
            "model": "gpt-x",
        }
        answered = await call(request)
        assert answered.type is MessageType.RESPONSE
        response = msgspec.json.decode(answered.payload)
        assert (response["text"], response["model"], response["provider"]) == (
            "hello",
            "gpt-x",
            "scripted",
        )


async def test_cost_is_the_served_sides_or_priced_by_the_mxp_models_table():
    served = FunctionModel(lambda request: "ok", model_name="echo")  # reports no cost
    prices = PriceTable({"mxp/echo-remote": Price(input=1.0, output=2.0)}, defaults=False)
    async with (
        serve_model(served).running() as server,
        Endpoint.bind("127.0.0.1", 0) as client,
    ):
        model = MxpModel(server.address, model_name="echo-remote", endpoint=client, prices=prices)
        response = await model.complete(ask())
        streamed = await collect_response(model.stream(ask()))
    expected = Price(input=1.0, output=2.0).cost(response.usage)
    assert response.cost is not None
    assert math.isclose(response.cost, expected)
    assert streamed.cost is not None
    assert math.isclose(streamed.cost, expected)
    assert (response.provider, response.model) == ("function", "echo")


async def test_a_host_name_target_is_resolved():
    async with (
        serve_model(FunctionModel(lambda request: "ok")).running() as server,
        Endpoint.bind("127.0.0.1", 0) as client,
    ):
        port = server.address[1]
        for target in (f"localhost:{port}", ("localhost", port)):
            model = MxpModel(target, endpoint=client)
            assert model.model_name == f"localhost:{port}"
            assert (await model.complete(ask())).text == "ok"


def test_mxp_model_targets_and_names():
    assert MxpModel("127.0.0.1:7001").model_name == "127.0.0.1:7001"
    assert MxpModel(("127.0.0.1", 7001)).target == "127.0.0.1:7001"
    assert MxpModel("localhost:7001", model_name="smol").model_name == "smol"
    assert MxpModel("model.local.smollm2").model_name == "model.local.smollm2"
    assert MxpModel("model.local.smollm2").provider == "mxp"
    assert repr(MxpModel("[::1]:7001")) == "MxpModel('[::1]:7001', model='[::1]:7001')"
    for bad in ("Model.Local", "", "host:99999", ("127.0.0.1", "7001"), 7001):
        with pytest.raises(InvalidModelValue, match="target must be"):
            MxpModel(bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidModelValue, match="connect_timeout"):
        MxpModel("127.0.0.1:7001", connect_timeout=0)
    with pytest.raises(InvalidModelValue, match="registry"):
        MxpModel("model.local.smollm2", registry="localhost")


def test_serve_model_capabilities_and_checks():
    assert serve_model(FunctionModel(str, model_name="Qwen/Qwen2.5 0.5B")).capability == (
        "model.function.qwen-qwen2.5-0.5b"
    )
    server = serve_model(
        FunctionModel(str), capability="model.mine", config=KernelConfig(capabilities=("x.y",))
    )
    assert server.kernel.capabilities == ("model.mine", "x.y")
    assert serve_model(FunctionModel(str)).kernel.capabilities == ("model.function.function",)
    with pytest.raises(KernelError, match="not an Agent"):
        _ = server.kernel.agent
    with pytest.raises(KernelConfigError, match="capability"):
        serve_model(FunctionModel(str), capability="Model X")
    with pytest.raises(KernelConfigError, match="ModelAdapter"):
        serve_model("gpt-4o")  # type: ignore[arg-type]
    with pytest.raises(KernelConfigError, match="name"):
        serve_model(FunctionModel(str), name=" ")

"""A provider adapter served over MXP: the real OpenAI SDK talks to a loopback fake OpenAI
server, the model agent serves that adapter, and two agents discovered through the registry
share it — one of them running a tool the provider asked for, across every layer."""

import pytest

from mxp.bodies import format_address
from mxp.registry import RegistryServer
from mxp.transport import Endpoint
from mxp_agents.adapters import NO_RETRY, Price, PriceTable
from mxp_agents.adapters.openai import OpenAIModel
from mxp_agents.adapters.testing.conformance import Reply
from mxp_agents.adapters.testing.fakes import FakeOpenAI
from mxp_agents.kernel import Agent, Kernel, KernelConfig, MxpModel, call_agent, serve_model
from mxp_agents.primitives import ToolCall, Usage
from mxp_agents.tools import tool

CAPABILITY = "model.openai.gpt-4o-mini"
PRICES = PriceTable({"openai/gpt-4o-mini": Price(input=1000.0, output=1000.0)}, defaults=False)


@tool
def shout(text: str) -> str:
    """Upper-case a text.

    Args:
        text: What to shout.
    """
    return text.upper()


async def test_two_agents_share_one_served_provider_model():
    replies = [
        Reply(
            tool_calls=(ToolCall("call_1", "shout", {"text": "hi"}),), usage=Usage(input_tokens=10)
        ),
        Reply(text="It says HI.", usage=Usage(input_tokens=20, output_tokens=5)),
        Reply(text="Plain answer.", usage=Usage(input_tokens=7, output_tokens=3)),
    ]
    fake = FakeOpenAI(replies, api_key="sk-integration-test-key-0001")
    async with (
        fake.serving(),
        RegistryServer.open("127.0.0.1", 0) as registry,
        OpenAIModel(
            api_key="sk-integration-test-key-0001",
            base_url=fake.base_url,
            retry=NO_RETRY,
            prices=PRICES,
        ) as provider,
    ):
        config = KernelConfig(host="127.0.0.1", port=0, registry=format_address(*registry.address))
        shouter = Agent("shouter", model=MxpModel(CAPABILITY), tools=[shout])
        plain = Agent("plain", model=MxpModel(CAPABILITY))
        async with (
            serve_model(provider, config=config).running() as server,
            Kernel(shouter, config=config).running() as first,
            Kernel(plain, config=config).running() as second,
            Endpoint.bind("127.0.0.1", 0) as client,
        ):
            assert server.capability == CAPABILITY
            shouted = await call_agent(client, first.address, "Shout hi.", timeout=20)
            answered = await call_agent(client, second.address, "Say something.", timeout=20)
    assert shouted.ok, shouted.error
    assert shouted.output == "It says HI."
    assert [step.name for step in shouted.tool_calls] == ["shout"]
    assert answered.output == "Plain answer."
    # Priced by the served adapter's table, carried back over both MXP hops: $1 per 1k tokens.
    assert shouted.cost == pytest.approx(0.010 + 0.025)
    assert answered.cost == pytest.approx(0.010)
    # Three provider calls reached the fake, in the provider's wire format, with the key.
    assert len(fake.seen) == 3
    assert fake.seen[1].roles == ("user", "assistant", "tool")
    assert fake.seen[1].texts[-1] == "HI"
    assert all(seen.api_key == "sk-integration-test-key-0001" for seen in fake.seen)

"""The conformance suite against `AnthropicModel` and the real SDK talking to `FakeAnthropic`."""

import pytest

from mxp_agents.adapters.testing import conformance
from mxp_agents.adapters.testing.fakes._anthropic import AnthropicHarness

HARNESS = AnthropicHarness()


@pytest.mark.parametrize("name", conformance.check_names(HARNESS))
async def test_conformance(name: str) -> None:
    await conformance.run_check(name, HARNESS)

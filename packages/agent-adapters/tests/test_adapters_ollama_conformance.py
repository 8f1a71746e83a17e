"""The conformance suite against `OllamaModel` and the real ``ollama`` SDK, talking to
`FakeOllama` on 127.0.0.1."""

import pytest

from mxp_agents.adapters.testing import conformance
from mxp_agents.adapters.testing.fakes._ollama import OllamaHarness

HARNESS = OllamaHarness()


def test_only_what_ollama_lacks_is_left_out() -> None:
    scripted = {name for name, entry in conformance.CHECKS.items() if entry.scripted}
    left_out = scripted - set(conformance.check_names(HARNESS))
    # Ollama has no tool_choice field and reports neither cached nor reasoning tokens.
    assert left_out == {"tool_choice", "cached_tokens", "reasoning_tokens"}


@pytest.mark.parametrize("name", conformance.check_names(HARNESS))
async def test_conformance(name: str) -> None:
    await conformance.run_check(name, HARNESS)

"""The conformance suite against `OpenAIModel` and the real ``openai`` SDK, talking to
`FakeOpenAI` on 127.0.0.1."""

from __future__ import annotations

import pytest

from mxp_agents.adapters.testing import conformance
from mxp_agents.adapters.testing.fakes._openai import OpenAIHarness

HARNESS = OpenAIHarness()


def test_every_scripted_check_applies() -> None:
    scripted = [name for name, entry in conformance.CHECKS.items() if entry.scripted]
    assert conformance.check_names(HARNESS) == scripted


@pytest.mark.parametrize("name", conformance.check_names(HARNESS))
async def test_conformance(name: str) -> None:
    await conformance.run_check(name, HARNESS)

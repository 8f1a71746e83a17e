"""The conformance suite against `GeminiModel` and the real ``google-genai`` SDK under trio,
talking to `FakeGemini` on 127.0.0.1."""

from __future__ import annotations

import pytest

from mxp_agents.adapters.testing import conformance
from mxp_agents.adapters.testing.fakes._gemini import GeminiHarness

HARNESS = GeminiHarness()


def test_every_scripted_check_but_provider_ids_applies() -> None:
    # Gemini's function calls may come without ids, so "tool_call_ids" is not declared.
    scripted = [name for name, entry in conformance.CHECKS.items() if entry.scripted]
    assert conformance.check_names(HARNESS) == scripted
    assert HARNESS.features == conformance.FEATURES - {"tool_call_ids"}


@pytest.mark.parametrize("name", conformance.check_names(HARNESS))
async def test_conformance(name: str) -> None:
    await conformance.run_check(name, HARNESS)

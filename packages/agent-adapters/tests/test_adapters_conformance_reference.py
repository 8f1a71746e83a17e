"""The conformance suite against the reference harness (no network): the suite and the
shared ProviderModel behaviour check each other."""

from __future__ import annotations

import pytest

from mxp_agents.adapters.testing import conformance

HARNESS = conformance.ReplayHarness()


@pytest.mark.parametrize("name", conformance.check_names(HARNESS))
async def test_conformance(name: str) -> None:
    await conformance.run_check(name, HARNESS)

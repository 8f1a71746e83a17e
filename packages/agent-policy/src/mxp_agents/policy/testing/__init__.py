"""The test kit of ``mxp_agents.policy``: the conformance suite an `ApprovalStore` backend
runs against itself (`approval_check_names`, `run_approval_check`).

Example:
    >>> import pytest
    >>> from mxp_agents.policy.testing import approval_check_names, run_approval_check
    >>> @pytest.mark.parametrize("name", approval_check_names())
    ... async def test_my_store(name, tmp_path):
    ...     await run_approval_check(name, lambda clock: MyStore(tmp_path, clock=clock))
"""

from mxp_agents.policy.testing._approval_suite import (
    ApprovalConformanceFailure,
    ApprovalOpener,
    approval_check_names,
    run_approval_check,
)

__all__ = [
    "ApprovalConformanceFailure",
    "ApprovalOpener",
    "approval_check_names",
    "run_approval_check",
]

"""The Rego policy engine: Rego v1 bundles evaluated in-process with regopy (the ``rego``
extra), compiled once, hot-reloaded only after they compile and pass their smoke tests.

Example:
    >>> from mxp_agents.policy._rego import RegoEngine
    >>> engine = RegoEngine.from_bundle("policies/payments")  # doctest: +SKIP
"""

from mxp_agents.policy._rego._bundle import RegoBundle
from mxp_agents.policy._rego._engine import DEFAULT_QUERY, RegoEngine, RegoSample
from mxp_agents.policy._rego._native import EvaluationError, SourceError

RegoEvaluationError = EvaluationError
RegoSourceError = SourceError

__all__ = [
    "DEFAULT_QUERY",
    "RegoBundle",
    "RegoEngine",
    "RegoEvaluationError",
    "RegoSample",
    "RegoSourceError",
]

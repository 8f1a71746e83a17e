"""Benchmark of policy decisions: the rules engine and the Rego engine.

Usage: python scripts/bench/policy.py [--json] [--quick] [--only rules|rego ...]

- rules (`_policy_rules.py`): decisions per second and p50/p99 per decision of a 20-rule policy,
  against a hand-written if-chain for the same policy in the same process; the decision cache.
  Goal: <= 10 us per rule decision.
- rego (`_policy_rego.py`): decisions per second and p50/p99 of a Rego v1 policy evaluated
  in-process, against the raw regopy query in the same process. Goal: <= 150 us per decision.

Figures are medians; ``--quick`` shrinks every size (a smoke run).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import run_areas

AREAS = {
    "rules": "_policy_rules",
    "rego": "_policy_rego",
    "audit": "_policy_audit",
    "approvals": "_policy_approvals",
}

if __name__ == "__main__":
    raise SystemExit(run_areas(__doc__, AREAS, sys.argv[1:]))

"""The rules engine: ordered rules, first match wins, a default decision; loaded from TOML.

Example:
    >>> from mxp_agents.policy._rules import Condition, Rule, RulesEngine, When
    >>> engine = RulesEngine(
    ...     [
    ...         Rule(
    ...             name="big-payments",
    ...             decision="escalate",
    ...             reason="payments over 100 need finance",
    ...             approvers=["finance"],
    ...             when=When(tool="payments.*", args={"amount": Condition(gt=100)}),
    ...         ),
    ...         Rule(name="payments", decision="allow", when=When(tool="payments.*")),
    ...     ],
    ...     default="deny",
    ... )
"""

from mxp_agents.policy._rules._engine import RulesEngine, RulesSource
from mxp_agents.policy._rules._load import RuleLoadError, load_rules
from mxp_agents.policy._rules._spec import Condition, Rule, RulesPolicy, TimeWindow, When
from mxp_agents.policy._rules._verdict import NOT_APPLICABLE, Verdict, not_applicable_decision

__all__ = [
    "NOT_APPLICABLE",
    "Condition",
    "Rule",
    "RuleLoadError",
    "RulesEngine",
    "RulesPolicy",
    "RulesSource",
    "TimeWindow",
    "Verdict",
    "When",
    "load_rules",
    "not_applicable_decision",
]

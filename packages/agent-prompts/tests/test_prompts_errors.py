import pickle

import pytest

from mxp_agents.primitives import MxpAgentsError
from mxp_agents.prompts import (
    ContextBudgetError,
    GuardrailHit,
    GuardrailViolation,
    InvalidArgument,
    MissingVariableError,
    Policy,
    PromptsError,
    TemplateSyntaxError,
    UnknownVariableError,
)

HIT = GuardrailHit(
    kind="email",
    category="pii",
    policy=Policy.BLOCK,
    start=0,
    end=6,
    line=1,
    column=1,
    preview="a…o",
    path="$.to",
)

ERRORS = [
    PromptsError("something went wrong"),
    InvalidArgument("max_tokens must be >= 1, got 0"),
    TemplateSyntaxError("unclosed '{{'", template="t", line=2, column=3, hint="close it"),
    TemplateSyntaxError("declared variable 'x' is not used", template="t"),
    MissingVariableError(["a", "b"], template="t", line=1, column=4),
    MissingVariableError(["u.e"], template="t", line=1, column=1, detail="'u' has no key 'e'"),
    UnknownVariableError(["nmae"], template="t", known=["name"]),
    UnknownVariableError(["x"], template="stack", known=[], where="prompt stack (system)"),
    ContextBudgetError("too big", needed=10, budget=5),
    GuardrailViolation([HIT]),
]


@pytest.mark.parametrize("error", ERRORS, ids=lambda error: type(error).__name__)
def test_errors_derive_from_the_sdk_base_and_pickle(error):
    assert isinstance(error, PromptsError)
    assert isinstance(error, MxpAgentsError)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.__dict__ == error.__dict__


def test_messages_say_what_where_and_how():
    assert str(ERRORS[2]) == "unclosed '{{' - at template 't' line 2, column 3; close it"
    assert str(ERRORS[3]) == "declared variable 'x' is not used - at template 't'"
    assert str(ERRORS[4]) == (
        "missing required variables 'a', 'b' - at template 't' line 1, column 4 (first: 'a'); "
        "pass them to render() or declare a default in optional="
    )
    assert str(ERRORS[6]) == (
        "unknown variable 'nmae' for template 't' (did you mean 'name'?); known: 'name'; "
        "remove it or pass allow_extra=True"
    )
    assert str(ERRORS[7]) == (
        "unknown variable 'x' for prompt stack (system); known: none; "
        "remove it or pass allow_extra=True"
    )
    assert str(ERRORS[9]) == "blocked by guardrails: email 'a…o' at $.to line 1, column 1"
    assert ERRORS[2].reason == "unclosed '{{'"
    assert isinstance(ERRORS[1], ValueError)

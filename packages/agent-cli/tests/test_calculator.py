"""The calculator tool: exact arithmetic, and refusal of anything that is not arithmetic."""

from __future__ import annotations

import math

import pytest
import trio
from hypothesis import given
from hypothesis import strategies as st

from mxp_agents.cli.tools import ToolInputError, calculator, evaluate
from mxp_agents.primitives import ToolCall
from mxp_agents.tools import ToolContext, ToolExecutor, ToolRegistry


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("7 / 2", 3.5),
        ("7 // 2", 3),
        ("7 % 4", 3),
        ("2 ** 10", 1024),
        ("-3 + +4", 1),
        ("sqrt(16) + abs(-2)", 6.0),
        ("max(1, 5, 3) - min(4, 2)", 3),
        ("round(2.567, 2)", 2.57),
        ("2 * pi", 2 * math.pi),
        ("e ** 0", 1.0),
        ("1_000 * 3", 3000),
        ("  12.5e1 ", 125.0),
    ],
)
def test_evaluates_arithmetic(expression: str, expected: float) -> None:
    assert evaluate(expression) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("__import__('os')", "calling '__import__' is not allowed"),
        ("__import__('os').system('true')", "calling \"__import__('os').system\" is not"),
        ("open('/etc/passwd')", "calling 'open' is not allowed"),
        ("(1).__class__", "Attribute expression is not allowed"),
        ("x + 1", "the name 'x' is not allowed"),
        ("'a' * 3", "the literal 'a' is not allowed"),
        ("True + 1", "the literal True is not allowed"),
        ("[1, 2]", "List expression is not allowed"),
        ("[x for x in range(3)]", "ListComp expression is not allowed"),
        ("lambda: 1", "Lambda expression is not allowed"),
        ("1 if 2 else 3", "IfExp expression is not allowed"),
        ("1 < 2", "Compare expression is not allowed"),
        ("1 << 2", "the operator LShift is not allowed"),
        ("~1", "the operator Invert is not allowed"),
        ("abs(x=1)", "a keyword argument is not allowed"),
        ("sqrt.__call__(4)", "calling 'sqrt.__call__' is not allowed"),
        ("max(*[1, 2])", "Starred expression is not allowed"),
        ("1j", "the literal 1j is not allowed"),
        ("9 ** 9 ** 9", "the exponent 387420489 is too large"),
        ("10 ** 999 * 10 ** 999 * 10 ** 999", "the result is too large"),
        ("(10 ** 500) ** 10", "the result is too large"),
        ("1 / 0", "division by zero"),
        ("(-8) ** 0.5", "complex number"),
        ("1e308 * 10", "not a finite number"),
        ("sqrt(-1)", "sqrt(): math domain error"),
        ("max()", "max():"),
        ("1 +", "not a valid expression"),
        ("", "the expression is empty"),
        ("1 + " * 200 + "1", "at most 500 allowed"),
        ("import os", "not a valid expression"),
    ],
)
def test_refuses_unsafe_or_bad_expressions(expression: str, message: str) -> None:
    with pytest.raises(ToolInputError) as caught:
        evaluate(expression)
    assert message in str(caught.value)


@given(st.integers(-(10**6), 10**6), st.integers(-(10**6), 10**6))
def test_matches_python_for_integer_arithmetic(a: int, b: int) -> None:
    assert evaluate(f"{a} + {b} * 3 - ({a})") == a + b * 3 - a
    if b:
        assert evaluate(f"({a}) // ({b})") == a // b
        assert evaluate(f"({a}) % ({b})") == a % b


@given(st.text(max_size=60))
def test_never_raises_anything_but_tool_input_error(text: str) -> None:
    try:
        value = evaluate(text)
    except ToolInputError:
        return
    assert isinstance(value, int | float)


async def test_as_a_tool_through_the_executor() -> None:
    executor = ToolExecutor(ToolRegistry([calculator]))
    ok = await executor.execute(ToolCall("c1", "calculator", {"expression": "(17 + 25) * 3"}))
    assert (ok.content, ok.is_error) == ("126", False)
    refused = await executor.execute(ToolCall("c2", "calculator", {"expression": "open('x')"}))
    assert refused.is_error
    assert "calling 'open' is not allowed" in refused.content


def test_calculator_is_a_documented_tool() -> None:
    assert calculator.name == "calculator"
    assert calculator.schema["required"] == ["expression"]
    assert "arithmetic" in calculator.description
    assert trio.run(calculator.invoke, {"expression": "6 * 7"}, ToolContext(call_id="c1")) == "42"

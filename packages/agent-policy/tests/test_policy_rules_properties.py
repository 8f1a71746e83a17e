"""Property tests of the rules engine against plain reference implementations written here."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mxp_agents.policy import InvokeTool, PolicyContext, PolicyDecision, PolicyRequest
from mxp_agents.policy._rules import Condition, Rule, RulesEngine, When

ABSENT = object()

# ---------------------------------------------------------------- reference implementations


def ref_glob(pattern: str, text: str) -> bool:
    """fnmatch semantics, by recursion: * any run, ? one char, [set] / [!set] with ranges."""
    if not pattern:
        return not text
    head = pattern[0]
    if head == "*":
        return any(ref_glob(pattern[1:], text[i:]) for i in range(len(text) + 1))
    if not text:
        return False
    if head == "?":
        return ref_glob(pattern[1:], text[1:])
    if head == "[":
        close = pattern.index("]", 2 if pattern[1:2] != "!" else 3)
        body = pattern[1:close]
        negate = body.startswith("!")
        body = body[1:] if negate else body
        hit = False
        i = 0
        while i < len(body):
            if i + 2 < len(body) and body[i + 1] == "-":
                hit = hit or body[i] <= text[0] <= body[i + 2]
                i += 3
            else:
                hit = hit or body[i] == text[0]
                i += 1
        return hit != negate and ref_glob(pattern[close + 1 :], text[1:])
    return head == text[0] and ref_glob(pattern[1:], text[1:])


def is_number(value: object) -> bool:
    return type(value) in (int, float)


def ref_equal(a: object, b: object) -> bool:
    if type(a) is bool or type(b) is bool:
        return type(a) is bool and type(b) is bool and a == b
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    return is_number(a) and is_number(b) and a == b


def ref_condition(op: str, operand: Any, value: object) -> bool:
    if op == "exists":
        return (value is not ABSENT) == operand
    if value is ABSENT:
        return False
    if op in ("gt", "ge", "lt", "le"):
        if not is_number(value):
            return False
        v: float = value  # type: ignore[assignment]
        return {"gt": v > operand, "ge": v >= operand, "lt": v < operand, "le": v <= operand}[op]
    if op == "eq":
        return ref_equal(value, operand)
    if op == "ne":
        return not ref_equal(value, operand)
    if op == "in":
        return any(ref_equal(value, item) for item in operand)
    return isinstance(value, str) and any(ref_glob(p, value) for p in operand)


# ---------------------------------------------------------------- strategies

ALPHABET = "ab."
chars = st.sampled_from(ALPHABET)
char_class = st.builds(
    lambda negate, items: "[" + ("!" if negate else "") + "".join(items) + "]",
    st.booleans(),
    st.lists(st.one_of(chars, st.just("a-b"), st.just(".-a")), min_size=1, max_size=3),
)
glob_token = st.one_of(chars, chars, st.just("*"), st.just("?"), char_class)
globs = st.lists(glob_token, min_size=1, max_size=6).map("".join)
texts = st.text(alphabet=ALPHABET, max_size=7)
scalars = st.one_of(
    st.booleans(),
    st.integers(-5, 5),
    st.floats(-5, 5, allow_nan=False).map(lambda f: round(f, 1)),
    st.sampled_from(["a", "b", "ab", "5", ""]),
)
values = st.one_of(
    st.just(ABSENT), scalars, st.floats(allow_nan=True), st.lists(st.integers(0, 2), max_size=2)
)
numbers = st.one_of(st.integers(-5, 5), st.floats(-5, 5, allow_nan=False))


@st.composite
def conditions(draw: st.DrawFn) -> tuple[str, Any]:
    op = draw(st.sampled_from(["gt", "ge", "lt", "le", "eq", "ne", "in", "glob", "exists"]))
    if op in ("gt", "ge", "lt", "le"):
        return op, draw(numbers)
    if op in ("eq", "ne"):
        return op, draw(scalars)
    if op == "in":
        return op, draw(st.lists(scalars, min_size=1, max_size=4))
    if op == "glob":
        return op, draw(st.lists(globs, min_size=1, max_size=3))
    return op, draw(st.booleans())


def engine_for(when: When) -> RulesEngine:
    return RulesEngine([Rule(name="r", decision="allow", when=when)], default=None)


def matched(engine: RulesEngine, request: PolicyRequest) -> bool:
    return engine.judge(request).applicable


# ---------------------------------------------------------------- matching


@given(st.lists(globs, min_size=1, max_size=3), texts)
@settings(max_examples=400)
def test_tool_globs_match_like_the_reference(patterns: list[str], name: str) -> None:
    if not name:
        name = "."  # tool names are never blank
    engine = engine_for(When(tool=patterns))
    expected = any(ref_glob(p, name) for p in patterns)
    assert matched(engine, PolicyRequest("a", InvokeTool(name))) == expected


@given(conditions(), values)
@settings(max_examples=600)
def test_conditions_match_like_the_reference(condition: tuple[str, Any], value: object) -> None:
    op, operand = condition
    engine = engine_for(When(args={"x": {op: operand}}))
    arguments = {} if value is ABSENT else {"x": value}
    expected = ref_condition(op, operand, value)
    assert matched(engine, PolicyRequest("a", InvokeTool("t", arguments=arguments))) == expected


@given(st.lists(conditions(), min_size=1, max_size=3, unique_by=lambda c: c[0]), values)
def test_all_operators_of_a_condition_must_hold(ops: list[tuple[str, Any]], value: object) -> None:
    if any(op == "exists" and operand is False for op, operand in ops) and len(ops) > 1:
        return  # refused at load time
    engine = engine_for(When(args={"x": dict(ops)}))
    arguments = {} if value is ABSENT else {"x": value}
    expected = all(ref_condition(op, operand, value) for op, operand in ops)
    assert matched(engine, PolicyRequest("a", InvokeTool("t", arguments=arguments))) == expected


@given(scalars, scalars)
def test_plain_value_is_equality(operand: object, value: object) -> None:
    engine = engine_for(When(metadata={"k": operand}))
    request = PolicyRequest("a", InvokeTool("t"), PolicyContext({"k": value}))
    assert matched(engine, request) == ref_equal(value, operand)


def test_nan_never_compares() -> None:
    engine = engine_for(When(args={"x": Condition(ge=0)}))
    assert not matched(engine, PolicyRequest("a", InvokeTool("t", arguments={"x": math.nan})))


# ---------------------------------------------------------------- ordering

TOOLS = ["a", "ab", "b", "ba", "bb", "a.b"]
PATTERNS = ["a*", "b*", "ab", "*", "?b", "*.*", "[!a]*"]
DECISIONS = [
    PolicyDecision.allow(),
    PolicyDecision.deny("no"),
    PolicyDecision.escalate("ask", ["ops"]),
]


@st.composite
def rule_specs(draw: st.DrawFn) -> list[tuple[str, int | None, PolicyDecision]]:
    count = draw(st.integers(0, 8))
    return [
        (
            draw(st.sampled_from(PATTERNS)),
            draw(st.one_of(st.none(), st.integers(0, 4))),
            draw(st.sampled_from(DECISIONS)),
        )
        for _ in range(count)
    ]


def build(
    specs: list[tuple[str, int | None, PolicyDecision]], names: list[str] | None = None
) -> RulesEngine:
    rules = []
    for index, (pattern, above, decision) in enumerate(specs):
        args = None if above is None else {"n": Condition(gt=above)}
        rules.append(
            Rule(
                name=names[index] if names else f"r{index}",
                decision=decision.kind.value,  # type: ignore[arg-type]
                reason=decision.reason,
                approvers=list(decision.approvers),
                when=When(tool=pattern, args=args),
            )
        )
    return RulesEngine(rules, default="deny", default_reason="default")


def ref_matches(spec: tuple[str, int | None, PolicyDecision], name: str, n: int) -> bool:
    pattern, above, _ = spec
    return ref_glob(pattern, name) and (above is None or n > above)


@given(rule_specs(), st.sampled_from(TOOLS), st.integers(0, 5))
@settings(max_examples=300)
def test_first_match_wins_else_default(
    specs: list[tuple[str, int | None, PolicyDecision]], name: str, n: int
) -> None:
    request = PolicyRequest("a", InvokeTool(name, arguments={"n": n}))
    verdict = build(specs).judge(request)
    first = next((i for i, spec in enumerate(specs) if ref_matches(spec, name, n)), None)
    if first is None:
        assert verdict.rule is None
        assert verdict.decision == PolicyDecision.deny("default")
    else:
        assert verdict.rule == f"r{first}"
        assert verdict.decision == specs[first][2]


@given(rule_specs(), st.sampled_from(TOOLS), st.integers(0, 5), st.data())
@settings(max_examples=300)
def test_moving_a_non_matching_rule_changes_nothing(
    specs: list[tuple[str, int | None, PolicyDecision]], name: str, n: int, data: st.DataObject
) -> None:
    request = PolicyRequest("a", InvokeTool(name, arguments={"n": n}))
    misses = [i for i, spec in enumerate(specs) if not ref_matches(spec, name, n)]
    if not misses:
        return
    names = [f"r{i}" for i in range(len(specs))]
    before = build(specs, names).judge(request)
    moved = data.draw(st.sampled_from(misses))
    target = data.draw(st.integers(0, len(specs) - 1))
    order = [i for i in range(len(specs)) if i != moved]
    order.insert(target, moved)
    after = build([specs[i] for i in order], [names[i] for i in order]).judge(request)
    assert after == before


@given(rule_specs(), st.sampled_from(TOOLS))
def test_no_match_gives_the_default(
    specs: list[tuple[str, int | None, PolicyDecision]], name: str
) -> None:
    keep = [spec for spec in specs if not ref_glob(spec[0], name)]
    verdict = build(keep).judge(PolicyRequest("a", InvokeTool(name, arguments={"n": 5})))
    assert verdict.rule is None
    assert verdict.decision == PolicyDecision.deny("default")

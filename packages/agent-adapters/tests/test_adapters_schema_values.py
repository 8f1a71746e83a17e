"""`example_for_schema` and TestModel's arguments: generated values validate against schemas.

Schemas come from msgspec types (`msgspec.json.schema`), and msgspec decodes the generated JSON
into the type, which checks every constraint; hypothesis builds the types. (``datetime`` and
``time`` are left out: msgspec describes them as a plain ``{"type": "string"}``, so no schema
reader can know they must be timestamps.)
"""

from __future__ import annotations

import datetime
import enum
import itertools
import re
import uuid
from typing import Annotated, Any, Literal

import msgspec
import pytest
import trio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mxp_agents.adapters import InvalidModelValue, ModelRequest, ResponseFormat
from mxp_agents.adapters.testing import TestModel, example_for_schema
from mxp_agents.primitives import Message, ToolDefinition

_names = itertools.count()


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Cat(msgspec.Struct, tag="cat"):
    lives: Annotated[int, msgspec.Meta(ge=1, le=9)]


class Dog(msgspec.Struct, tag="dog"):
    good: bool = True


class Node(msgspec.Struct):
    name: str
    children: list[Node] | None = None
    parent: Node | None = None


class Everything(msgspec.Struct, forbid_unknown_fields=True):
    count: Annotated[int, msgspec.Meta(ge=10, le=12)]
    ratio: Annotated[float, msgspec.Meta(gt=0.0, lt=1.0)]
    step: Annotated[int, msgspec.Meta(multiple_of=5, ge=1)]
    code: Annotated[str, msgspec.Meta(min_length=6, max_length=8)]
    short: Annotated[str, msgspec.Meta(max_length=2)]
    flag: bool
    nothing: None
    day: datetime.date
    span: datetime.timedelta
    id: uuid.UUID
    blob: bytes
    color: Color
    mode: Literal["fast", "slow"]
    const: Literal["only"]
    pets: list[Cat | Dog]
    pair: tuple[int, str]
    tags: set[str]
    scores: dict[str, int]
    matrix: Annotated[list[list[int]], msgspec.Meta(min_length=2, max_length=2)]
    tree: Node
    maybe: int | None = None


def struct_of(*field_types: Any, optional: tuple[bool, ...] = ()) -> type[msgspec.Struct]:
    fields: list[Any] = []
    for index, field_type in enumerate(field_types):
        if index < len(optional) and optional[index]:
            fields.append((f"f{index}", field_type, None))
        else:
            fields.append((f"f{index}", field_type))
    # Required fields first: a Struct cannot have a required field after a defaulted one.
    fields.sort(key=lambda field: len(field) == 3)
    return msgspec.defstruct(f"Generated{next(_names)}", fields, forbid_unknown_fields=True)


def tool_parameters(struct: type[msgspec.Struct]) -> dict[str, Any]:
    """The object schema of ``struct`` with its ``$defs``, as a tool's parameters."""
    schema = msgspec.json.schema(struct)
    defs = schema["$defs"]
    return {**defs[struct.__name__], "$defs": defs}


_leaves = st.one_of(
    st.sampled_from(
        [
            int,
            float,
            str,
            bool,
            type(None),
            datetime.date,
            datetime.timedelta,
            uuid.UUID,
            bytes,
            Color,
            Literal["a", "b", "c"],
            set[int],
        ]
    ),
    st.tuples(st.integers(-1000, 1000), st.integers(0, 50)).map(
        lambda bounds: Annotated[int, msgspec.Meta(ge=bounds[0], le=bounds[0] + bounds[1])]
    ),
    st.tuples(st.floats(-100, 100), st.floats(0.5, 50)).map(
        lambda bounds: Annotated[float, msgspec.Meta(gt=bounds[0], lt=bounds[0] + bounds[1])]
    ),
    st.tuples(st.integers(0, 10), st.integers(0, 10)).map(
        lambda n: Annotated[str, msgspec.Meta(min_length=n[0], max_length=n[0] + n[1])]
    ),
)


def _extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        children.map(lambda item: list[item]),
        children.map(lambda item: item | None),
        children.map(lambda item: dict[str, item]),
        st.tuples(children, children).map(lambda items: tuple[items[0], items[1]]),
        st.tuples(children, st.integers(0, 3)).map(
            lambda item: Annotated[list[item[0]], msgspec.Meta(min_length=item[1])]
        ),
        st.lists(st.tuples(children, st.booleans()), min_size=1, max_size=4).map(
            lambda fields: struct_of(
                *(field for field, _ in fields), optional=tuple(flag for _, flag in fields)
            )
        ),
    )


types = st.recursive(_leaves, _extend, max_leaves=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field_types=st.lists(types, min_size=1, max_size=4), seed=st.integers(0, 2**32))
def test_tool_arguments_validate_against_generated_schemas(field_types, seed):
    struct = struct_of(*field_types)
    tool = ToolDefinition(name="generated", parameters=tool_parameters(struct))
    request = ModelRequest((Message.user("go"),), tools=(tool,))
    response = trio.run(TestModel(seed=seed).complete, request)
    (call,) = response.tool_calls
    assert call.raw_arguments is not None
    msgspec.json.decode(call.raw_arguments, type=struct)  # raises if a constraint is broken


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answer_type=types, seed=st.integers(0, 2**32))
def test_response_format_answers_validate_against_generated_schemas(answer_type, seed):
    request = ModelRequest(
        (Message.user("answer in JSON"),),
        response_format=ResponseFormat.for_type(answer_type, name="answer"),
    )
    response = trio.run(TestModel(seed=seed).complete, request)
    response.parsed_json(answer_type)  # raises if the JSON does not fit


@pytest.mark.parametrize("seed", range(25))
def test_a_schema_with_every_feature(seed):
    value = example_for_schema(tool_parameters(Everything), seed=seed)
    decoded = msgspec.convert(value, Everything, strict=False)
    assert 10 <= decoded.count <= 12
    assert 0.0 < decoded.ratio < 1.0
    assert decoded.step % 5 == 0
    assert 6 <= len(decoded.code) <= 8
    assert decoded.const == "only"
    assert len(decoded.matrix) == 2


@pytest.mark.parametrize("seed", range(25))
def test_recursive_schemas_end(seed):
    value = example_for_schema(msgspec.json.schema(Node), seed=seed)
    msgspec.convert(value, Node)


@pytest.mark.parametrize(
    ("schema", "check"),
    [
        ({"type": "string", "format": "email"}, re.compile(r"[a-z]+\d+@example\.com").fullmatch),
        ({"type": "string", "format": "date"}, re.compile(r"\d{4}-\d{2}-\d{2}").fullmatch),
        ({"type": "string", "format": "date-time"}, datetime.datetime.fromisoformat),
        ({"type": "string", "format": "uuid"}, uuid.UUID),
        ({"type": "string", "format": "uri"}, re.compile(r"https://example\.com/\w+").fullmatch),
        ({"type": "string", "enum": ["x", "y"]}, {"x", "y"}.__contains__),
        ({"const": {"a": [1]}}, lambda value: value == {"a": [1]}),
        ({"type": "null"}, lambda value: value is None),
        ({"type": ["null", "integer"]}, lambda value: isinstance(value, int)),
        ({"type": "boolean"}, lambda value: isinstance(value, bool)),
        ({"type": "integer", "minimum": 5, "maximum": 5}, lambda value: value == 5),
        ({"type": "integer", "exclusiveMinimum": 4, "exclusiveMaximum": 6}, (5).__eq__),
        ({"type": "number", "minimum": 1.5, "maximum": 1.5}, (1.5).__eq__),
        ({"type": "integer", "minimum": 7}, lambda value: 7 <= value <= 107),
        ({"type": "integer", "maximum": -7}, lambda value: -107 <= value <= -7),
        ({"anyOf": [{"type": "integer"}, {"type": "string"}]}, lambda value: type(value) is int),
        ({"oneOf": [{"type": "string"}, {"type": "integer"}]}, lambda value: type(value) is str),
        (
            {
                "allOf": [
                    {"type": "object", "properties": {"a": {"const": 1}}, "required": ["a"]},
                    {"properties": {"b": {"const": 2}}, "required": ["b"]},
                ]
            },
            lambda value: value == {"a": 1, "b": 2},
        ),
        (
            {"type": "array", "items": {"type": "integer"}, "minItems": 4, "maxItems": 4},
            lambda value: len(value) == 4 and all(type(item) is int for item in value),
        ),
        (
            {"type": "array", "items": {"enum": [1, 2, 3]}, "minItems": 3, "uniqueItems": True},
            lambda value: sorted(value) == [1, 2, 3],
        ),
        (
            {"type": "object", "properties": {"x": {"type": "string"}}, "required": ["x", "y"]},
            lambda value: {"x", "y"} <= value.keys(),
        ),
        ({}, lambda value: value is not None),
        (
            {"$defs": {"A": {"type": "integer", "minimum": 3, "maximum": 3}}, "$ref": "#/$defs/A"},
            (3).__eq__,
        ),
    ],
)
def test_hand_written_schemas(schema, check):
    for seed in range(10):
        assert check(example_for_schema(schema, seed=seed))


def test_the_same_seed_gives_the_same_value():
    schema = tool_parameters(Everything)
    assert example_for_schema(schema, seed=3) == example_for_schema(schema, seed=3)
    values = {msgspec.json.encode(example_for_schema(schema, seed=seed)) for seed in range(5)}
    assert len(values) > 1


def test_a_ref_that_does_not_resolve():
    schema = {"type": "object", "properties": {"a": {"$ref": "#/$defs/Missing"}}, "required": ["a"]}
    with pytest.raises(InvalidModelValue) as caught:
        example_for_schema(schema)
    assert str(caught.value) == "cannot resolve $ref '#/$defs/Missing' in the schema - at $.a"

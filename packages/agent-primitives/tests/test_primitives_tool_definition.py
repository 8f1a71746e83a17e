"""ToolDefinition: name rules, schema shape and JSON round-trip."""

from __future__ import annotations

import pytest

from mxp_agents.primitives import InvalidMessage, ToolDefinition, from_json, to_json

SCHEMA = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}


def test_round_trips_through_json() -> None:
    definition = ToolDefinition(name="add_2", description="Add.", parameters=SCHEMA)
    assert from_json(to_json(definition), ToolDefinition) == definition


def test_defaults_to_an_empty_object_schema() -> None:
    assert ToolDefinition(name="ping").parameters == {"type": "object", "properties": {}}


@pytest.mark.parametrize("name", ["", "has space", "dotted.name", "x" * 65, "ünicode"])
def test_bad_names_are_rejected(name: str) -> None:
    with pytest.raises(InvalidMessage, match=r"tool name must be 1-64 characters .* - at \$\.name"):
        ToolDefinition(name=name)


def test_parameters_must_be_an_object_schema() -> None:
    with pytest.raises(InvalidMessage, match=r"got 'array' - at \$\.parameters\.type"):
        ToolDefinition(name="t", parameters={"type": "array"})
    with pytest.raises(InvalidMessage, match=r"got array - at \$\.parameters"):
        ToolDefinition(name="t", parameters=[])  # type: ignore[arg-type]


def test_decoding_applies_the_rules_with_a_path() -> None:
    with pytest.raises(Exception, match=r"tool name must be .* - at \$\.name"):
        from_json(b'{"name": "a b"}', ToolDefinition)

import msgspec
import pytest

from mxp_agents.primitives import (
    Capability,
    CapabilityId,
    DecodeError,
    InvalidCapability,
    InvalidCapabilityId,
    from_json,
    to_json,
)
from mxp_agents.primitives.testing import assert_json_round_trip, make_capability


def test_builds_with_sorted_unique_scopes():
    capability = Capability(
        id=CapabilityId("plan.execute"),
        name="Planner",
        description="Plan execution",
        version="1.0.0",
        scopes=("write:plans", "read:tasks", "write:plans"),
    )
    assert capability.scopes == ("read:tasks", "write:plans")
    assert capability.description == "Plan execution"


def test_scopes_given_as_a_list_are_stored_as_a_tuple():
    capability = make_capability(scopes=["b", "a"])
    assert capability.scopes == ("a", "b")
    assert hash(capability) == hash(make_capability(scopes=("a", "b")))


def test_json_matches_the_reference_runtime_field_for_field():
    capability = make_capability("plan.execute", name="Planner", scopes=["read:tasks"])
    assert to_json(capability) == (
        b'{"id":"plan.execute","name":"Planner","description":null,"version":"1.0.0",'
        b'"scopes":["read:tasks"]}'
    )
    assert_json_round_trip(capability)
    assert_json_round_trip(make_capability(description="does things"))


def test_decodes_reference_json_without_description():
    data = b'{"id":"a.b","name":"A","version":"2","scopes":["x"]}'
    assert from_json(data, Capability) == make_capability(
        "a.b", name="A", version="2", scopes=["x"]
    )


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"id": "Bad"}, InvalidCapabilityId, "invalid capability id 'Bad': identifier must"),
        ({"id": ""}, InvalidCapabilityId, "identifier cannot be empty - at $.id"),
        ({"name": ""}, InvalidCapability, "name cannot be empty - at $.name"),
        ({"name": " \t"}, InvalidCapability, "name cannot be empty - at $.name"),
        (
            {"name": "n" * 97},
            InvalidCapability,
            "name length must be <= 96 (got 97 bytes) - at $.name",
        ),
        (
            {"name": "é" * 49},
            InvalidCapability,
            "name length must be <= 96 (got 98 bytes) - at $.name",
        ),
        ({"version": ""}, InvalidCapability, "version cannot be empty - at $.version"),
        ({"version": "  "}, InvalidCapability, "version cannot be empty - at $.version"),
        ({"scopes": ()}, InvalidCapability, "at least one scope must be specified - at $.scopes"),
        ({"scopes": ("a", "")}, InvalidCapability, "scope cannot be empty - at $.scopes[1]"),
        ({"scopes": (" ",)}, InvalidCapability, "scope cannot be empty - at $.scopes[0]"),
        (
            {"scopes": ("s" * 65,)},
            InvalidCapability,
            "scope length must be <= 64 (got 65 bytes) - at $.scopes[0]",
        ),
        ({"scopes": "read"}, InvalidCapability, "expected array, got str - at $.scopes"),
        ({"scopes": ("a", 3)}, InvalidCapability, "expected str, got int - at $.scopes[1]"),
        ({"name": None}, InvalidCapability, "expected str, got null - at $.name"),
        ({"description": 5}, InvalidCapability, "expected str, got int - at $.description"),
        ({"id": 5}, InvalidCapabilityId, "invalid capability id: expected str, got int - at $.id"),
    ],
)
def test_every_rule_is_checked_on_construction(changes, error, message):
    fields = {"id": "ok", "name": "Name", "version": "1", "scopes": ("read",)} | changes
    with pytest.raises(error) as caught:
        Capability(**fields)
    assert message in str(caught.value)


def test_limits_are_inclusive():
    capability = make_capability(name="n" * 96, scopes=["s" * 64])
    assert len(capability.name) == 96


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (
            b'{"id":"a","name":"A","version":"1","scopes":["x",""]}',
            InvalidCapability,
            "scope cannot be empty - at $.scopes[1]",
        ),
        (
            b'{"id":"A!","name":"A","version":"1","scopes":["x"]}',
            InvalidCapabilityId,
            "(found 'A' at index 0) - at $.id",
        ),
        (
            b'{"id":"a","name":"A","version":"1","scopes":[]}',
            InvalidCapability,
            "at least one scope must be specified - at $.scopes",
        ),
        (
            b'{"id":"a","name":"A","version":"1"}',
            DecodeError,
            "object missing required field 'scopes' - at $",
        ),
        (
            b'{"id":"a","name":7,"version":"1","scopes":["x"]}',
            DecodeError,
            "expected str, got int - at $.name",
        ),
    ],
)
def test_decoding_applies_the_same_rules(data, error, message):
    with pytest.raises(error) as caught:
        from_json(data, Capability)
    assert str(caught.value).endswith(message)


def test_plain_msgspec_decoding_also_validates_and_reports_the_path():
    data = b'[{"id":"a","name":"A","version":"1","scopes":["x",""]}]'
    with pytest.raises(msgspec.ValidationError) as caught:
        msgspec.json.decode(data, type=list[Capability])
    assert "scope cannot be empty" in str(caught.value)
    assert "$[0]" in str(caught.value)
    assert isinstance(caught.value.__cause__, InvalidCapability)


def test_replace_revalidates():
    capability = make_capability()
    with pytest.raises(InvalidCapability, match="name cannot be empty"):
        msgspec.structs.replace(capability, name="")


def test_capabilities_are_frozen():
    capability = make_capability()
    with pytest.raises(AttributeError):
        capability.name = "other"  # type: ignore[misc]

import uuid

import msgspec
import pytest

from mxp_agents.primitives import AgentManifest, Capability, ToolCall
from mxp_agents.primitives.testing import (
    assert_json_round_trip,
    make_agent_id,
    make_capability,
    make_manifest,
    make_tool_call,
)


def test_make_agent_id_is_fixed_for_a_number_and_random_otherwise():
    assert make_agent_id(1) == uuid.UUID(int=1)
    assert make_agent_id() != make_agent_id()


def test_factories_build_valid_values_with_defaults():
    capability = make_capability()
    assert isinstance(capability, Capability)
    assert (capability.id, capability.scopes) == ("test.capability", ("test:read",))
    manifest = make_manifest()
    assert isinstance(manifest, AgentManifest)
    assert manifest.capability_ids == ("test.capability",)
    assert make_manifest().id != manifest.id
    assert make_manifest(capabilities=[]).capabilities == ()
    call = make_tool_call()
    assert isinstance(call, ToolCall)
    assert (call.id, call.name, call.arguments) == ("call_1", "echo", {})


def test_factories_still_apply_the_rules():
    from mxp_agents.primitives import InvalidCapability, InvalidManifest

    with pytest.raises(InvalidCapability):
        make_capability(scopes=[])
    with pytest.raises(InvalidManifest):
        make_manifest(tags=[""])


class Lossy(msgspec.Struct):
    items: list[int]

    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = None  # type: ignore[assignment]


def test_assert_json_round_trip_returns_the_copy_and_fails_on_a_difference():
    manifest = make_manifest()
    copy = assert_json_round_trip(manifest)
    assert copy == manifest
    assert copy is not manifest
    with pytest.raises(AssertionError, match=r'json:   \{"items":\[1\]\}'):
        assert_json_round_trip(Lossy([1]))

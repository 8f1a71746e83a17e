import msgspec
import pytest

from mxp_agents.primitives import (
    AgentManifest,
    DecodeError,
    InvalidCapability,
    InvalidCapabilityId,
    InvalidManifest,
    from_json,
    parse_agent_id,
    to_json,
)
from mxp_agents.primitives.testing import (
    assert_json_round_trip,
    make_agent_id,
    make_capability,
    make_manifest,
)

AGENT = "67e55044-10b1-426f-9247-bb680e5fe0c8"


def test_minimal_manifest_leaves_empty_fields_out_of_json_like_the_reference():
    manifest = AgentManifest(id=parse_agent_id(AGENT), name="demo", version="1.2.3")
    assert to_json(manifest) == f'{{"id":"{AGENT}","name":"demo","version":"1.2.3"}}'.encode()
    assert_json_round_trip(manifest)


def test_full_manifest_round_trips_in_reference_field_order():
    manifest = make_manifest(
        id=parse_agent_id(AGENT),
        name="demo",
        version="1.2.3",
        description="demo agent",
        capabilities=[make_capability("test.cap", name="Test", scopes=["read:test"])],
        tags=["alpha", "alpha", "beta"],
    )
    assert (
        to_json(manifest)
        == (
            f'{{"id":"{AGENT}","name":"demo","version":"1.2.3","description":"demo agent",'
            '"capabilities":[{"id":"test.cap","name":"Test","description":null,"version":"1.0.0",'
            '"scopes":["read:test"]}],"tags":["alpha","alpha","beta"]}'
        ).encode()
    )
    assert assert_json_round_trip(manifest).tags == ("alpha", "alpha", "beta")


def test_decodes_json_written_by_the_reference_runtime():
    data = (
        f'{{"id":"{AGENT}","name":"demo","version":"1.2.3","description":"demo agent",'
        '"capabilities":[{"id":"test.cap","name":"Test","description":null,"version":"1.0.0",'
        '"scopes":["read:test"]}],"tags":["alpha"]}'
    )
    manifest = from_json(data, AgentManifest)
    assert manifest.capability_ids == ("test.cap",)
    assert str(manifest.id) == AGENT


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "manifest name cannot be empty - at $.name"),
        ({"name": "   "}, "manifest name cannot be empty - at $.name"),
        ({"version": ""}, "manifest version cannot be empty - at $.version"),
        ({"tags": ("a", " ")}, "manifest tag cannot be empty - at $.tags[1]"),
        ({"tags": "a"}, "expected array, got str - at $.tags"),
        ({"description": 1}, "expected str, got int - at $.description"),
        (
            {"capabilities": ({"id": "a"},)},
            "expected Capability, got object - at $.capabilities[0]",
        ),
        (
            {"id": AGENT},
            "expected an AgentId (uuid.UUID), got str; build one with parse_agent_id()",
        ),
    ],
)
def test_every_rule_is_checked_on_construction(changes, message):
    fields = {"id": make_agent_id(1), "name": "demo", "version": "1"} | changes
    with pytest.raises(InvalidManifest) as caught:
        AgentManifest(**fields)
    assert message in str(caught.value)


def test_lists_are_stored_as_tuples():
    manifest = AgentManifest(
        id=make_agent_id(1),
        name="a",
        version="1",
        capabilities=[make_capability()],  # type: ignore[arg-type]
        tags=["x"],  # type: ignore[arg-type]
    )
    assert manifest.capabilities == (make_capability(),)
    assert manifest.tags == ("x",)


@pytest.mark.parametrize(
    ("capability", "error", "message"),
    [
        (
            '{"id":"a","name":"A","version":"1","scopes":["x",""]}',
            InvalidCapability,
            "scope cannot be empty - at $.capabilities[1].scopes[1]",
        ),
        (
            '{"id":"Nope","name":"A","version":"1","scopes":["x"]}',
            InvalidCapabilityId,
            "- at $.capabilities[1].id",
        ),
        (
            '{"id":"a","name":"","version":"1","scopes":["x"]}',
            InvalidCapability,
            "name cannot be empty - at $.capabilities[1].name",
        ),
        (
            '{"id":"a","name":"A","version":"1"}',
            DecodeError,
            "field 'scopes' - at $.capabilities[1]",
        ),
    ],
)
def test_decoding_reports_nested_errors_at_their_full_path(capability, error, message):
    good = '{"id":"ok","name":"A","version":"1","scopes":["x"]}'
    data = f'{{"id":"{AGENT}","name":"demo","version":"1","capabilities":[{good},{capability}]}}'
    with pytest.raises(error) as caught:
        from_json(data, AgentManifest)
    assert str(caught.value).endswith(message)


def test_decoding_reports_manifest_errors_at_their_path():
    with pytest.raises(InvalidManifest, match=r"manifest tag cannot be empty - at \$\.tags\[0\]$"):
        from_json(f'{{"id":"{AGENT}","name":"d","version":"1","tags":[""]}}', AgentManifest)
    with pytest.raises(DecodeError, match=r"^invalid UUID - at \$\.id$"):
        from_json('{"id":"agent-1","name":"d","version":"1"}', AgentManifest)


def test_decoded_list_of_manifests_reroots_errors():
    data = f'[{{"id":"{AGENT}","name":"","version":"1"}}]'
    with pytest.raises(InvalidManifest, match=r"manifest name cannot be empty - at \$\[0\]\.name$"):
        from_json(data, list[AgentManifest])


def test_capability_ids_in_order():
    manifest = make_manifest(capabilities=[make_capability("b"), make_capability("a")])
    assert manifest.capability_ids == ("b", "a")


def test_manifest_is_frozen_and_replace_revalidates():
    manifest = make_manifest()
    with pytest.raises(AttributeError):
        manifest.name = "x"  # type: ignore[misc]
    with pytest.raises(InvalidManifest):
        msgspec.structs.replace(manifest, version=" ")

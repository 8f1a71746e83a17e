import re
import uuid

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mxp_agents.primitives import (
    MAX_CAPABILITY_ID_LEN,
    AgentId,
    CapabilityId,
    InvalidAgentId,
    InvalidCapabilityId,
    PrimitivesError,
    from_json,
    parse_agent_id,
    parse_capability_id,
    random_agent_id,
    to_json,
)

VALID_ID = re.compile(r"[a-z0-9._-]{1,64}")


class Holder(msgspec.Struct):
    agent: AgentId
    capability: CapabilityId


def test_random_agent_ids_are_distinct_version_4_uuids():
    first, second = random_agent_id(), random_agent_id()
    assert first != second
    assert isinstance(first, uuid.UUID)
    assert first.version == 4


def test_agent_id_str_is_canonical_hyphenated_lowercase():
    agent = parse_agent_id("6F9619FF8B86D011B42D00C04FC964FF")
    assert str(agent) == "6f9619ff-8b86-d011-b42d-00c04fc964ff"


@pytest.mark.parametrize(
    "text",
    [
        "67e55044-10b1-426f-9247-bb680e5fe0c8",
        "67E55044-10B1-426F-9247-BB680E5FE0C8",
        "67e5504410b1426f9247bb680e5fe0c8",
        "{67e55044-10b1-426f-9247-bb680e5fe0c8}",
        "urn:uuid:67e55044-10b1-426f-9247-bb680e5fe0c8",
    ],
)
def test_parse_agent_id_accepts_the_reference_forms(text):
    assert parse_agent_id(text) == uuid.UUID("67e55044-10b1-426f-9247-bb680e5fe0c8")


@pytest.mark.parametrize("text", ["", "agent-7", "67e55044-10b1-426f-9247", "g" * 32])
def test_parse_agent_id_rejects_non_uuids_with_a_clear_error(text):
    with pytest.raises(InvalidAgentId) as caught:
        parse_agent_id(text)
    assert str(caught.value).startswith(f"invalid agent id {text!r}: expected a UUID such as")
    assert isinstance(caught.value, PrimitivesError)
    assert isinstance(caught.value, ValueError)


def test_parse_agent_id_rejects_non_text():
    with pytest.raises(InvalidAgentId, match="expected str, got int"):
        parse_agent_id(5)  # type: ignore[arg-type]


def test_ids_are_msgspec_struct_fields_and_round_trip_as_json_strings():
    agent = parse_agent_id("67e55044-10b1-426f-9247-bb680e5fe0c8")
    holder = Holder(agent, parse_capability_id("code.review"))
    data = to_json(holder)
    assert data == b'{"agent":"67e55044-10b1-426f-9247-bb680e5fe0c8","capability":"code.review"}'
    decoded = msgspec.json.decode(data, type=Holder)
    assert decoded == holder
    assert isinstance(decoded.agent, uuid.UUID)
    assert from_json(data, Holder) == holder


def test_agent_id_field_rejects_bad_uuid_text_with_its_path():
    with pytest.raises(PrimitivesError, match=r"^invalid UUID - at \$\.agent$"):
        from_json(b'{"agent": "nope", "capability": "x"}', Holder)


@pytest.mark.parametrize("text", ["a", "plan.execute", "read_tasks-2", "0", "a" * 64, "._-"])
def test_valid_capability_ids(text):
    assert parse_capability_id(text) == text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "identifier cannot be empty"),
        ("a" * 65, "identifier length must be <= 64 (got 65 bytes)"),
        ("é" * 33, "identifier length must be <= 64 (got 66 bytes)"),
        (
            "Plan",
            "identifier must contain lowercase alphanumeric, dash, underscore, or dot "
            "(found 'P' at index 0)",
        ),
        (
            "plan execute",
            "identifier must contain lowercase alphanumeric, dash, underscore, or dot "
            "(found ' ' at index 4)",
        ),
        (
            "plan/x",
            "identifier must contain lowercase alphanumeric, dash, underscore, or dot "
            "(found '/' at index 4)",
        ),
    ],
)
def test_invalid_capability_ids_say_why(text, reason):
    with pytest.raises(InvalidCapabilityId) as caught:
        parse_capability_id(text)
    assert caught.value.reason.endswith(f": {reason}")
    assert caught.value.path is None
    assert str(caught.value).startswith("invalid capability id '")


def test_long_invalid_capability_ids_are_cut_in_the_message():
    with pytest.raises(InvalidCapabilityId) as caught:
        parse_capability_id("x" * 500)
    assert len(str(caught.value)) < 200
    assert "identifier length must be <= 64 (got 500 bytes)" in str(caught.value)


def test_capability_id_rejects_non_text():
    with pytest.raises(InvalidCapabilityId, match="expected str, got null"):
        parse_capability_id(None)  # type: ignore[arg-type]


@given(st.from_regex(VALID_ID, fullmatch=True))
def test_every_id_in_the_alphabet_and_length_is_accepted(text):
    assert parse_capability_id(text) == text
    assert msgspec.json.decode(msgspec.json.encode(text), type=CapabilityId) == text


@given(st.text(max_size=80))
def test_an_id_is_accepted_exactly_when_it_follows_the_rules(text):
    if VALID_ID.fullmatch(text) is not None:
        assert parse_capability_id(text) == text
    else:
        with pytest.raises(InvalidCapabilityId, match=r"^invalid capability id "):
            parse_capability_id(text)


@given(st.from_regex(VALID_ID, fullmatch=True), st.integers(1, 40))
def test_ids_longer_than_the_limit_fail_on_length(text, extra):
    too_long = (text * 65)[: MAX_CAPABILITY_ID_LEN + extra]
    with pytest.raises(InvalidCapabilityId, match="identifier length must be <= 64"):
        parse_capability_id(too_long)


@given(
    st.from_regex(re.compile(r"[a-z0-9._-]{0,30}"), fullmatch=True),
    st.characters().filter(lambda char: VALID_ID.fullmatch(char) is None),
    st.from_regex(re.compile(r"[a-z0-9._-]{0,30}"), fullmatch=True),
)
def test_a_character_outside_the_alphabet_is_named_with_its_index(head, bad, tail):
    with pytest.raises(InvalidCapabilityId) as caught:
        parse_capability_id(head + bad + tail)
    assert f"(found {bad!r} at index {len(head)})" in caught.value.reason

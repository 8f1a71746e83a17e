"""MemoryRecord: defaults, validation on construction and decoding, text for embedding."""

from __future__ import annotations

import uuid

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mxp_agents.memory import InvalidRecord, MemoryChannel, MemoryRecord

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def test_defaults_fill_id_and_timestamp() -> None:
    first = MemoryRecord(MemoryChannel.INPUT, "a")
    second = MemoryRecord(MemoryChannel.INPUT, "a")
    assert isinstance(first.id, uuid.UUID)
    assert first.id != second.id
    assert first.timestamp > 1.7e9
    assert (first.tags, first.metadata, first.embedding, first.run_id, first.step) == (
        (),
        {},
        None,
        None,
        None,
    )


def test_strings_and_lists_are_coerced() -> None:
    record = MemoryRecord(
        "tool",  # type: ignore[arg-type]
        {"n": 1},
        tags=["a", "b"],  # type: ignore[arg-type]
        embedding=[1, 2.5],  # type: ignore[arg-type]
        id="6f1c9e55-0000-4000-8000-000000000001",  # type: ignore[arg-type]
    )
    assert record.channel is MemoryChannel.TOOL
    assert record.tags == ("a", "b")
    assert record.embedding == (1.0, 2.5)
    assert record.id == uuid.UUID("6f1c9e55-0000-4000-8000-000000000001")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tags": ("ok", " ")}, r"tag must not be blank - at \$\.tags\[1\]"),
        ({"tags": ("ok", 3)}, r"expected str, got int - at \$\.tags\[1\]"),
        ({"tags": "abc"}, r"tags must be a tuple of str, got str - at \$\.tags"),
        ({"label": "x"}, r"only the custom channel takes a label"),
        ({"step": -1}, r"step must be an int >= 0, got -1 - at \$\.step"),
        ({"step": True}, r"step must be an int >= 0"),
        ({"run_id": ""}, r"run_id must not be blank - at \$\.run_id"),
        ({"agent_id": 5}, r"expected str, got int - at \$\.agent_id"),
        (
            {"embedding": [1.0, float("nan")]},
            r"expected a finite float, got nan - at \$\.embedding\[1\]",
        ),
        ({"embedding": ["x"]}, r"expected float, got str - at \$\.embedding\[0\]"),
        ({"embedding": []}, r"embedding must not be empty"),
        ({"metadata": {1: "x"}}, r"metadata keys must be str"),
        ({"metadata": []}, r"expected object, got array - at \$\.metadata"),
        ({"id": "not-a-uuid"}, r"id must be a UUID"),
        ({"timestamp": float("inf")}, r"timestamp must be finite"),
        ({"timestamp": -1}, r"timestamp must be finite Unix seconds >= 0"),
    ],
)
def test_bad_fields_name_their_path(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidRecord, match=message):
        MemoryRecord(MemoryChannel.INPUT, "x", **kwargs)  # type: ignore[arg-type]


def test_custom_channel_needs_a_non_blank_label() -> None:
    with pytest.raises(InvalidRecord, match=r"a custom channel needs a label - at \$\.label"):
        MemoryRecord(MemoryChannel.CUSTOM, "x")
    with pytest.raises(InvalidRecord, match="label must not be blank"):
        MemoryRecord(MemoryChannel.CUSTOM, "x", label="  ")
    assert MemoryRecord(MemoryChannel.CUSTOM, "x", label="notes").label == "notes"
    with pytest.raises(InvalidRecord, match=r"channel must be one of .*got 'bogus'"):
        MemoryRecord("bogus", "x")  # type: ignore[arg-type]


def test_decoding_applies_the_same_rules_with_paths() -> None:
    with pytest.raises(msgspec.ValidationError, match="tag must not be blank"):
        msgspec.json.decode(b'{"channel":"input","payload":1,"tags":[""]}', type=MemoryRecord)
    with pytest.raises(msgspec.ValidationError, match=r"Invalid enum value 'x' - at `\$.channel`"):
        msgspec.json.decode(b'{"channel":"x","payload":1}', type=MemoryRecord)


@given(payload=json_values, tags=st.lists(st.text(min_size=1).filter(str.strip), max_size=3))
def test_msgpack_and_json_round_trip(payload: object, tags: list[str]) -> None:
    record = MemoryRecord(MemoryChannel.SYSTEM, payload, tags=tuple(tags), run_id="r", step=2)
    assert msgspec.msgpack.decode(msgspec.msgpack.encode(record), type=MemoryRecord) == record
    assert msgspec.json.decode(msgspec.json.encode(record), type=MemoryRecord) == record


def test_text_for_embedding() -> None:
    class Note(msgspec.Struct):
        text: str
        n: int

    assert MemoryRecord(MemoryChannel.INPUT, "plain").text() == "plain"
    assert MemoryRecord(MemoryChannel.INPUT, {"text": "inner", "x": 1}).text() == "inner"
    assert MemoryRecord(MemoryChannel.INPUT, Note("struct", 1)).text() == "struct"
    assert MemoryRecord(MemoryChannel.INPUT, "héllo".encode()).text() == "héllo"
    assert MemoryRecord(MemoryChannel.INPUT, [1, {"a": None}]).text() == '[1,{"a":null}]'


def test_sensitive_flag() -> None:
    assert MemoryRecord(MemoryChannel.INPUT, "x", tags=("sensitive",)).sensitive
    assert not MemoryRecord(MemoryChannel.INPUT, "x", tags=("public",)).sensitive

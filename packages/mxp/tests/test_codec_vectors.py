"""Every reference vector decodes (or fails) exactly as the Rust reference codec says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import mxp


def test_vectors_cover_every_type_and_error_variant(all_vectors: list[dict[str, Any]]) -> None:
    types = {v["fields"]["message_type"] for v in all_vectors if v["valid"]}
    assert len(types) >= 7
    variants = {v["error"]["variant"] for v in all_vectors if not v["valid"]}
    assert variants == {
        "BufferTooSmall",
        "InvalidMagic",
        "ReservedFieldNonZero",
        "InvalidMessageType",
        "InvalidFlags",
        "PayloadTooLarge",
        "ChecksumMismatch",
    }


def test_packaged_copy_matches_the_shared_vectors(vector_paths: tuple[Path, Path | None]) -> None:
    copy, shared = vector_paths
    if shared is None:
        pytest.skip("no shared/mxp/vectors.json beside this checkout; the packaged copy is used")
    assert json.loads(copy.read_text()) == json.loads(shared.read_text())


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_valid_vector_decodes_to_its_fields(valid_vector: dict[str, Any], kind: type) -> None:
    vector = valid_vector
    fields = vector["fields"]
    message = mxp.decode(kind(bytes.fromhex(vector["hex"])))
    assert message.type is mxp.MessageType(fields["type_byte"])
    assert message.type.value == fields["type_byte"]
    assert message.flags == fields["flags"]
    assert sorted(str(flag.name) for flag in message.flags) == sorted(fields["flags_decoded"])
    assert message.message_id == fields["message_id"]
    assert message.trace_id == fields["trace_id"]
    assert message.payload.hex() == fields["payload_hex"]
    assert type(message.payload) is bytes


def test_valid_vector_encodes_to_the_same_bytes(valid_vector: dict[str, Any]) -> None:
    vector = valid_vector
    fields = vector["fields"]
    message = mxp.Message(
        mxp.MessageType(fields["type_byte"]),
        bytes.fromhex(fields["payload_hex"]),
        flags=mxp.Flags(fields["flags"]),
        message_id=fields["message_id"],
        trace_id=fields["trace_id"],
    )
    frame = mxp.encode(message)
    assert frame.hex() == vector["hex"]
    assert frame[-8:] == int(fields["checksum"], 16).to_bytes(8, "little")


def test_trailing_bytes_are_ignored(valid_vector: dict[str, Any]) -> None:
    frame = bytes.fromhex(valid_vector["hex"])
    assert mxp.decode(frame + b"\x00garbage") == mxp.decode(frame)


def test_invalid_vector_raises_the_reference_error(invalid_vector: dict[str, Any]) -> None:
    expected = invalid_vector["error"]
    with pytest.raises(mxp.MxpError) as caught:
        mxp.decode(bytes.fromhex(invalid_vector["hex"]))
    error = caught.value
    assert type(error).__name__ == expected["variant"]
    assert str(error) == expected["display"]
    for name, value in expected.items():
        if name not in ("variant", "display"):
            assert getattr(error, name) == value, name

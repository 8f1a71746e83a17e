"""Property and fuzz tests of the codec: round-trips; any bytes give a Message or an MxpError."""

from __future__ import annotations

import struct
import tracemalloc
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mxp

U64 = st.integers(min_value=0, max_value=2**64 - 1)
TYPES = st.sampled_from(list(mxp.MessageType))
FLAGS = st.integers(min_value=0, max_value=15).map(mxp.Flags)
MESSAGES = st.builds(
    mxp.Message,
    TYPES,
    st.binary(max_size=2048),
    flags=FLAGS,
    message_id=U64,
    trace_id=U64,
)


@given(MESSAGES)
def test_encode_decode_round_trip(message: mxp.Message) -> None:
    frame = mxp.encode(message)
    assert len(frame) == mxp.MIN_FRAME_SIZE + len(message.payload)
    assert mxp.decode(frame) == message
    assert mxp.decode(memoryview(frame)) == message
    assert mxp.decode(bytearray(frame) + b"tail") == message


@given(MESSAGES)
def test_header_layout_is_little_endian_iBBHQQQ(message: mxp.Message) -> None:
    frame = mxp.encode(message)
    magic, type_, flags, reserved, message_id, trace_id, size = struct.unpack_from(
        "<IBBHQQQ", frame
    )
    assert frame[:4] == bytes.fromhex("3150584d")
    assert (magic, type_, flags, reserved) == (mxp.MAGIC, message.type, message.flags, 0)
    assert (message_id, trace_id, size) == (
        message.message_id,
        message.trace_id,
        len(message.payload),
    )


def _decode_or_error(data: bytes) -> mxp.Message | mxp.MxpError:
    try:
        return mxp.decode(data)
    except mxp.MxpError as error:  # any other exception type fails the test
        return error


@given(st.binary(max_size=512))
def test_random_bytes_give_a_message_or_an_mxp_error(data: bytes) -> None:
    _decode_or_error(data)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    MESSAGES,
    st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=8),
    st.integers(min_value=0, max_value=4096),
)
def test_mutated_frames_give_a_message_or_an_mxp_error(
    message: mxp.Message, flips: list[tuple[int, int]], cut: int
) -> None:
    frame = bytearray(mxp.encode(message))
    for position, value in flips:
        frame[position % len(frame)] = value
    result = _decode_or_error(bytes(frame[: max(0, len(frame) - cut % (len(frame) + 1))]))
    if isinstance(result, mxp.Message):
        assert mxp.encode(result) == bytes(frame[: mxp.MIN_FRAME_SIZE + len(result.payload)])


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_a_huge_announced_length_allocates_nothing_large(payload_len: int) -> None:
    header = struct.pack("<IBBHQQQ", mxp.MAGIC, 0x10, 0, 0, 1, 2, payload_len)
    data = header + b"\x00" * 64
    tracemalloc.start()
    try:
        _decode_or_error(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", mxp.BufferTooSmall(40, 0)),
        (b"\x00" * 39, mxp.BufferTooSmall(40, 39)),
        (b"\x00" * 40, mxp.InvalidMagic(0)),
    ],
)
def test_check_order_starts_with_length_then_magic(data: bytes, error: mxp.MxpError) -> None:
    with pytest.raises(type(error)) as caught:
        mxp.decode(data)
    assert str(caught.value) == str(error)


def _frame(**fields: Any) -> bytes:
    values = {"magic": mxp.MAGIC, "type": 0x10, "flags": 0, "reserved": 0, "len": 0, **fields}
    header = struct.pack(
        "<IBBHQQQ",
        values["magic"],
        values["type"],
        values["flags"],
        values["reserved"],
        1,
        2,
        values["len"],
    )
    return header + b"\x00" * 8


@pytest.mark.parametrize(
    ("fields", "variant"),
    [
        ({"magic": 1, "reserved": 1, "type": 0, "flags": 0xFF}, "InvalidMagic"),
        ({"reserved": 1, "type": 0, "flags": 0xFF, "len": 2**40}, "ReservedFieldNonZero"),
        ({"type": 0, "flags": 0xFF, "len": 2**40}, "InvalidMessageType"),
        ({"flags": 0x80, "len": 2**40}, "InvalidFlags"),
        ({"len": 2**24 + 1}, "PayloadTooLarge"),
        ({"len": 2**24}, "BufferTooSmall"),
        ({"len": 0}, "ChecksumMismatch"),
    ],
)
def test_each_check_wins_over_the_later_ones(fields: dict[str, int], variant: str) -> None:
    with pytest.raises(mxp.MxpError) as caught:
        mxp.decode(_frame(**fields))
    assert type(caught.value).__name__ == variant


def test_truncated_payload_reports_the_needed_length() -> None:
    frame = mxp.encode(mxp.Message(mxp.MessageType.CALL, b"hello", message_id=1, trace_id=2))
    with pytest.raises(mxp.BufferTooSmall) as caught:
        mxp.decode(frame[:-1])
    assert (caught.value.needed, caught.value.got) == (45, 44)


def test_largest_payload_round_trips_and_one_more_byte_is_refused() -> None:
    payload = b"\xab" * mxp.MAX_PAYLOAD_SIZE
    message = mxp.Message.new(mxp.MessageType.STREAM_CHUNK, payload)
    assert mxp.decode(mxp.encode(message)).payload == payload
    with pytest.raises(mxp.PayloadTooLarge) as caught:
        mxp.Message.new(mxp.MessageType.STREAM_CHUNK, payload + b"\x00")
    assert str(caught.value) == "payload too large: 16777217 bytes (max 16777216)"


def test_errors_pickle_with_their_fields() -> None:
    import pickle

    for error in (
        mxp.BufferTooSmall(40, 3),
        mxp.InvalidMagic(7),
        mxp.ReservedFieldNonZero("header.reserved", 2),
        mxp.InvalidMessageType(4),
        mxp.InvalidFlags(16),
        mxp.PayloadTooLarge(10, 5),
        mxp.ChecksumMismatch(1, 2),
    ):
        clone = pickle.loads(pickle.dumps(error))
        assert type(clone) is type(error)
        assert str(clone) == str(error)

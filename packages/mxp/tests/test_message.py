"""Message construction: validation, ids, replies and immutability."""

from __future__ import annotations

import pickle

import pytest

import mxp


def test_new_draws_random_64_bit_ids() -> None:
    messages = [mxp.Message.new(mxp.MessageType.CALL, b"x") for _ in range(200)]
    ids = {m.message_id for m in messages}
    traces = {m.trace_id for m in messages}
    assert len(ids) == 200
    assert len(traces) == 200
    assert any(i >= 2**63 for i in ids)  # uses the whole 64-bit range


def test_new_keeps_a_given_trace_id() -> None:
    assert mxp.Message.new(mxp.MessageType.EVENT, trace_id=42).trace_id == 42


def test_reply_keeps_message_id_and_trace_id() -> None:
    request = mxp.Message.new(mxp.MessageType.CALL, b"q")
    reply = request.reply(mxp.MessageType.RESPONSE, b"a", flags=mxp.Flags.FINAL)
    assert (reply.message_id, reply.trace_id) == (request.message_id, request.trace_id)
    assert (reply.type, reply.payload, reply.flags) == (
        mxp.MessageType.RESPONSE,
        b"a",
        mxp.Flags.FINAL,
    )


def test_ints_and_buffers_are_normalised() -> None:
    message = mxp.Message(0x10, bytearray(b"ab"), flags=4, message_id=1, trace_id=2)  # type: ignore[arg-type]
    assert message.type is mxp.MessageType.CALL
    assert message.flags is mxp.Flags.REQUIRES_ACK
    assert type(message.payload) is bytes


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        ({"type": 0x04}, TypeError, "type: expected an mxp.MessageType"),
        ({"type": True}, TypeError, "type: expected an mxp.MessageType"),
        ({"flags": 0x10}, mxp.InvalidFlags, "invalid flags value: 0b00010000"),
        ({"flags": 256}, TypeError, "flags: expected mxp.Flags"),
        ({"message_id": -1}, ValueError, "message_id: expected an unsigned 64-bit int"),
        ({"trace_id": 2**64}, ValueError, "trace_id: expected an unsigned 64-bit int"),
        ({"payload": "text"}, TypeError, "payload: expected bytes, bytearray or memoryview"),
    ],
)
def test_bad_fields_are_rejected_with_their_name(
    kwargs: dict[str, object], error: type[Exception], text: str
) -> None:
    fields: dict[str, object] = {
        "type": mxp.MessageType.CALL,
        "payload": b"",
        "flags": 0,
        "message_id": 1,
        "trace_id": 2,
        **kwargs,
    }
    with pytest.raises(error, match=text):
        mxp.Message(**fields)  # type: ignore[arg-type]


def test_messages_are_immutable_and_compare_by_value() -> None:
    a = mxp.Message(mxp.MessageType.CALL, b"x", message_id=1, trace_id=2)
    b = mxp.Message(mxp.MessageType.CALL, b"x", message_id=1, trace_id=2)
    assert a == b
    assert hash(a) == hash(b)
    with pytest.raises(AttributeError):
        a.payload = b"y"  # type: ignore[misc]
    assert a.with_flags(mxp.Flags.FINAL).flags is mxp.Flags.FINAL
    assert pickle.loads(pickle.dumps(a)) == a


def test_repr_is_short_for_big_payloads() -> None:
    text = repr(mxp.Message(mxp.MessageType.CALL, b"x" * 1000, message_id=1, trace_id=2))
    assert "(+968 bytes)" in text
    assert len(text) < 200

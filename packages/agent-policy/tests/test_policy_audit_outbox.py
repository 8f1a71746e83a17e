"""The durable outbox: order, retries with backoff, restarts, torn writes, a SIGKILLed sender."""

from __future__ import annotations

import os
import signal
import struct
import sys
from typing import TYPE_CHECKING

import pytest
import trio
import trio.testing

from mxp_agents.policy import AuditError, InvalidPolicy
from mxp_agents.policy._audit import Backoff, Outbox

if TYPE_CHECKING:
    from pathlib import Path


class Collect:
    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.sent: list[bytes] = []
        self.attempts: list[float] = []

    async def __call__(self, item: bytes) -> None:
        self.attempts.append(trio.current_time())
        if self.failures:
            self.failures -= 1
            raise ConnectionError("governance agent unreachable")
        self.sent.append(item)


async def test_items_go_out_in_order_and_are_acknowledged(tmp_path: Path) -> None:
    send = Collect()
    async with Outbox(tmp_path / "box") as outbox:
        for index in range(5):
            await outbox.put(b"item-%d" % index)
        assert outbox.pending() == 5
        await outbox.deliver(send, until_empty=True)
        assert outbox.pending() == 0
        assert outbox.delivered == 5
    assert send.sent == [b"item-%d" % index for index in range(5)]
    async with Outbox(tmp_path / "box") as outbox:
        assert outbox.pending() == 0


async def test_undelivered_items_survive_a_restart(tmp_path: Path) -> None:
    async with Outbox(tmp_path / "box") as outbox:
        for index in range(4):
            await outbox.put(b"item-%d" % index)
    send = Collect()
    async with Outbox(tmp_path / "box") as outbox:
        assert outbox.pending() == 4
        await outbox.deliver(send, until_empty=True)
    assert send.sent == [b"item-%d" % index for index in range(4)]


async def test_failures_are_retried_with_capped_exponential_backoff(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    send = Collect(failures=5)
    async with Outbox(tmp_path / "box") as outbox:
        await outbox.put(b"a")
        await outbox.put(b"b")
        await outbox.deliver(
            send, backoff=Backoff(initial=1.0, maximum=4.0, multiplier=2.0), until_empty=True
        )
        assert outbox.failures == 5
        assert outbox.last_error == "ConnectionError: governance agent unreachable"
    gaps = [
        later - earlier for earlier, later in zip(send.attempts, send.attempts[1:], strict=False)
    ]
    assert gaps[:5] == pytest.approx([1.0, 2.0, 4.0, 4.0, 4.0])
    assert send.sent == [b"a", b"b"]


async def test_bounded_attempts_raise_and_keep_the_item(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    async with Outbox(tmp_path / "box") as outbox:
        await outbox.put(b"a")
        with pytest.raises(AuditError, match=r"item 0 not delivered after 3 attempts \(it stays"):
            await outbox.deliver(
                Collect(failures=10), backoff=Backoff(attempts=3), until_empty=True
            )
        assert outbox.pending() == 1
    async with Outbox(tmp_path / "box") as outbox:
        assert outbox.pending() == 1


async def test_a_hanging_send_times_out_and_is_retried(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    calls: list[bytes] = []

    async def send(item: bytes) -> None:
        calls.append(item)
        if len(calls) == 1:
            await trio.sleep_forever()

    async with Outbox(tmp_path / "box") as outbox:
        await outbox.put(b"a")
        await outbox.deliver(send, send_timeout=5.0, until_empty=True)
        assert outbox.last_error is not None
        assert outbox.last_error.startswith("TooSlowError")
    assert calls == [b"a", b"a"]


async def test_deliver_waits_for_new_items_and_cancels_cleanly(tmp_path: Path) -> None:
    send = Collect()
    async with Outbox(tmp_path / "box") as outbox, trio.open_nursery() as nursery:
        nursery.start_soon(outbox.deliver, send)
        await trio.testing.wait_all_tasks_blocked()
        with pytest.raises(AuditError, match="already being delivered"):
            await outbox.deliver(send)
        await outbox.put(b"late")
        while outbox.pending():
            await trio.testing.wait_all_tasks_blocked()
        nursery.cancel_scope.cancel()
    assert send.sent == [b"late"]


async def test_torn_frame_and_torn_ack_are_cut(tmp_path: Path) -> None:
    box = tmp_path / "box"
    async with Outbox(box) as outbox:
        for index in range(3):
            await outbox.put(b"item-%d" % index)
        await outbox.deliver(Collect(), backoff=Backoff(attempts=1), until_empty=True)
        await outbox.put(b"item-3")
    with (box / "items.log").open("ab") as items:
        items.write(struct.pack("<QII", 4, 100, 0) + b"partial")  # a put cut by a crash
    with (box / "acks.log").open("r+b") as acks:
        acks.truncate(8 * 3 - 3)  # the last ack half written: item 2 is sent again
    send = Collect()
    async with Outbox(box) as outbox:
        assert outbox.recovered_torn_bytes == struct.calcsize("<QII") + 7 + 5
        assert outbox.pending() == 2
        await outbox.deliver(send, until_empty=True)
        await outbox.put(b"item-4")
        assert outbox.pending() == 1
    assert send.sent == [b"item-2", b"item-3"]


async def test_damage_before_valid_frames_is_an_error(tmp_path: Path) -> None:
    box = tmp_path / "box"
    async with Outbox(box) as outbox:
        await outbox.put(b"first")
        await outbox.put(b"second")
    data = bytearray((box / "items.log").read_bytes())
    data[17] ^= 0xFF
    (box / "items.log").write_bytes(bytes(data))
    with pytest.raises(AuditError, match=r"items\.log is damaged at byte 0"):
        await Outbox(box).open()


async def test_drained_outbox_is_compacted_and_keeps_numbering(tmp_path: Path) -> None:
    box = tmp_path / "box"
    async with Outbox(box, compact_bytes=64) as outbox:
        for index in range(6):
            await outbox.put(b"item-%d" % index)
        await outbox.deliver(Collect(), until_empty=True)
        assert (box / "items.log").stat().st_size == 0
        assert (box / "acks.log").read_bytes() == struct.pack("<Q", 5)
        await outbox.put(b"item-6")
    assert struct.unpack_from("<Q", (box / "items.log").read_bytes())[0] == 6
    send = Collect()
    async with Outbox(box) as outbox:
        await outbox.deliver(send, until_empty=True)
    assert send.sent == [b"item-6"]


async def test_misuse_is_refused(tmp_path: Path) -> None:
    async with Outbox(tmp_path / "box") as outbox:
        with pytest.raises(AuditError, match="already open"):
            await Outbox(tmp_path / "box").open()
        with pytest.raises(InvalidPolicy, match=r"expected bytes, got str - at \$\.item"):
            await outbox.put("text")  # type: ignore[arg-type]
    with pytest.raises(AuditError, match="not open"):
        await Outbox(tmp_path / "box").put(b"x")
    with pytest.raises(InvalidPolicy, match=r"at \$\.backoff\.maximum"):
        Backoff(initial=2.0, maximum=1.0)
    with pytest.raises(InvalidPolicy, match=r"at \$\.backoff\.attempts"):
        Backoff(attempts=0)


CHILD = """
import sys, trio
from mxp_agents.policy._audit import Backoff, Outbox

async def main(directory, port):
    async with Outbox(directory) as outbox:
        for index in range(10):
            await outbox.put(b"item-%d" % index)
        stream = await trio.open_tcp_stream("127.0.0.1", port)
        async def send(item):
            await stream.send_all(len(item).to_bytes(4, "big") + item)
            reply = await stream.receive_some(1)
            if reply != b"+":
                raise ConnectionError(f"refused: {reply!r}")
        await outbox.deliver(send, backoff=Backoff(initial=0.001, maximum=0.01))

trio.run(main, sys.argv[1], int(sys.argv[2]))
"""


async def receive_exactly(stream: trio.SocketStream, size: int, buffer: bytearray) -> bytes:
    while len(buffer) < size:
        chunk = await stream.receive_some()
        if not chunk:
            raise EOFError("sender closed the connection")
        buffer += chunk
    data = bytes(buffer[:size])
    del buffer[:size]
    return data


async def test_sigkilled_sender_loses_nothing_and_duplicates_only_the_item_in_flight(
    tmp_path: Path,
) -> None:
    box = tmp_path / "box"
    received: list[bytes] = []
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with trio.fail_after(30):
        process = await trio.lowlevel.open_process(
            [sys.executable, "-c", CHILD, str(box), str(port)], env=env
        )
        try:
            stream = await listeners[0].accept()
            buffer = bytearray()
            replies = iter([b"-", b"-", b"+", b"+", b"+", b"+"])  # two refusals, four acks
            while True:
                size = int.from_bytes(await receive_exactly(stream, 4, buffer), "big")
                received.append(await receive_exactly(stream, size, buffer))
                reply = next(replies, None)
                if reply is None:
                    process.send_signal(signal.SIGKILL)  # item-4 is in flight, unacknowledged
                    break
                await stream.send_all(reply)
            assert await process.wait() == -signal.SIGKILL
        finally:
            if process.returncode is None:
                process.kill()
            await process.wait()
            for listener in listeners:
                await listener.aclose()
    send = Collect()
    async with Outbox(box) as outbox:
        assert outbox.pending() == 6
        await outbox.deliver(send, until_empty=True)
    expected = [b"item-%d" % index for index in range(10)]
    assert received == [expected[0], expected[0], *expected[:5]]
    delivered = [*received[2:], *send.sent]  # the acknowledged attempts, then after the restart
    assert delivered == [*expected[:5], *expected[4:]]
    assert delivered.count(b"item-4") == 2
    assert all(delivered.count(item) == 1 for item in expected if item != b"item-4")

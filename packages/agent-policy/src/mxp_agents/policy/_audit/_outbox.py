"""`Outbox`: a durable queue for an audit sink that must deliver (the MXP governance sink):
items survive restarts, go out in order, are retried with backoff and never dropped."""

from __future__ import annotations

import collections
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Self

import msgspec
import trio

from mxp_agents.policy._audit._durable import GroupCommit, fsync_directory, lock_file, write_all
from mxp_agents.policy._audit._outbox_files import encode_ack, encode_frame, recover, rewrite_acks
from mxp_agents.policy._errors import AuditError, InvalidPolicy

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from types import TracebackType

__all__ = ["Backoff", "Outbox"]

_log = logging.getLogger("mxp_agents.policy.audit")


class Backoff(msgspec.Struct, frozen=True, kw_only=True):
    """Retry delays: ``initial`` seconds, times ``multiplier`` per failure, at most
    ``maximum``; ``attempts`` (None: forever) bounds the tries of one item, after which
    `Outbox.deliver` raises, keeping the item queued.

    Example:
        >>> [Backoff(initial=0.5, maximum=2.0).delay(n) for n in (1, 2, 3, 4)]
        [0.5, 1.0, 2.0, 2.0]
    """

    initial: float = 0.1
    maximum: float = 30.0
    multiplier: float = 2.0
    attempts: int | None = None

    def __post_init__(self) -> None:
        if not self.initial > 0:
            raise InvalidPolicy(f"must be > 0, got {self.initial}", "$.backoff.initial")
        if not self.maximum >= self.initial:
            raise InvalidPolicy(f"must be >= initial, got {self.maximum}", "$.backoff.maximum")
        if not self.multiplier >= 1:
            raise InvalidPolicy(f"must be >= 1, got {self.multiplier}", "$.backoff.multiplier")
        if self.attempts is not None and self.attempts < 1:
            raise InvalidPolicy(f"must be >= 1, got {self.attempts}", "$.backoff.attempts")

    def delay(self, failures: int) -> float:
        """Seconds to wait after the ``failures``-th failure in a row.

        Example:
            >>> Backoff().delay(1)
            0.1
        """
        return min(self.maximum, self.initial * self.multiplier ** min(failures - 1, 64))


class Outbox:
    """A durable FIFO of byte strings in ``directory`` (one process at a time).

    `put` returns once the item is on stable storage; `deliver` sends the oldest item with
    ``send``, records the acknowledgement durably, then the next; a failed or timed-out send
    is retried after `Backoff` delays. Delivery is at-least-once: an item sent but not yet
    acknowledged when the process dies is sent again after the restart (only that one).
    Acknowledged items are cut from disk when the queue drains past ``compact_bytes``.

    Example:
        >>> async with Outbox("state/outbox") as outbox:
        ...     await outbox.put(b'{"decision":"Deny"}')
        ...     await outbox.deliver(send, until_empty=True)
    """

    def __init__(self, directory: str | os.PathLike[str], *, compact_bytes: int = 1 << 20) -> None:
        self.directory = Path(directory)
        self.compact_bytes = compact_bytes
        self.recovered_torn_bytes = 0
        self.delivered = 0
        self.failures = 0
        self.last_error: str | None = None
        self._lock_fd = -1
        self._items: GroupCommit | None = None
        self._acks_fd = -1
        self._pending: collections.deque[tuple[int, bytes]] = collections.deque()
        self._next_seq = 0
        self._acked = -1
        self._arrived = trio.Event()
        self._delivering = False

    def pending(self) -> int:
        """How many items wait for delivery.

        Example:
            >>> outbox.pending()  # doctest: +SKIP
            0
        """
        return len(self._pending)

    async def open(self) -> Self:
        """Lock the directory and load what is still undelivered.

        Example:
            >>> outbox = await Outbox("state/outbox").open()  # doctest: +SKIP
        """
        if self._items is not None:
            raise AuditError(f"outbox {str(self.directory)!r} is already open")
        self._lock_fd = await trio.to_thread.run_sync(lock_file, self.directory / "LOCK", "outbox")
        try:
            items_fd, self._acks_fd = await trio.to_thread.run_sync(self._open_files)
            self._items = GroupCommit(items_fd, f"{self.directory}/items.log", written=0)
            found = await trio.to_thread.run_sync(
                recover, items_fd, self._acks_fd, str(self.directory)
            )
        except BaseException:
            await self.aclose()
            raise
        self._items.written = self._items.synced = found.items_size
        self._pending.extend(found.pending)
        self._next_seq, self._acked = found.next_seq, found.acked
        self.recovered_torn_bytes = found.torn
        if found.torn:
            _log.warning(
                "outbox %s: cut %d torn bytes (a write interrupted by a crash)",
                self.directory,
                found.torn,
            )
        return self

    async def put(self, item: bytes) -> None:
        """Queue ``item``; returns once it is durable.

        Example:
            >>> await outbox.put(b"event body")  # doctest: +SKIP
        """
        if not isinstance(item, bytes):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidPolicy(f"expected bytes, got {type(item).__name__}", "$.item")
        items = self._opened()
        items.check()
        seq = self._next_seq
        frame = encode_frame(seq, item)
        try:
            write_all(items.fd, frame)
        except OSError as error:
            try:
                os.ftruncate(items.fd, items.written)
            except OSError:
                items.failed = error
            raise AuditError(f"cannot write to outbox {str(self.directory)!r}: {error}") from None
        self._next_seq = seq + 1
        items.written += len(frame)
        self._pending.append((seq, item))
        self._arrived.set()
        await items.commit(items.written)

    async def deliver(
        self,
        send: Callable[[bytes], Awaitable[None]],
        *,
        backoff: Backoff | None = None,
        send_timeout: float = 30.0,
        until_empty: bool = False,
    ) -> None:
        """Send items in order until cancelled (or, with ``until_empty``, until none is left).

        ``send(item)`` must return only once the receiver has the item and raise otherwise;
        it is given ``send_timeout`` seconds. With ``backoff.attempts`` set, raises
        `AuditError` (the item stays queued) when one item failed that many times in a row.

        Example:
            >>> with trio.move_on_after(60):  # doctest: +SKIP
            ...     await outbox.deliver(send)
        """
        self._opened()
        if self._delivering:
            raise AuditError(f"outbox {str(self.directory)!r} is already being delivered")
        retry = backoff or Backoff()
        self._delivering = True
        try:
            failed = 0
            while True:
                if not self._pending:
                    if until_empty:
                        return
                    self._arrived = trio.Event()
                    await self._arrived.wait()
                    continue
                seq, item = self._pending[0]
                try:
                    with trio.fail_after(send_timeout):
                        await send(item)
                except Exception as error:
                    failed += 1
                    self.failures += 1
                    self.last_error = f"{type(error).__name__}: {error}"
                    if retry.attempts is not None and failed >= retry.attempts:
                        raise AuditError(
                            f"outbox {str(self.directory)!r}: item {seq} not delivered after "
                            f"{failed} attempts (it stays queued): {self.last_error}"
                        ) from error
                    delay = retry.delay(failed)
                    _log.warning(
                        "outbox %s: sending item %d failed (attempt %d, retry in %.3gs): %s",
                        self.directory,
                        seq,
                        failed,
                        delay,
                        self.last_error,
                    )
                    await trio.sleep(delay)
                    continue
                failed = 0
                await self._acknowledge(seq)
        finally:
            self._delivering = False

    async def _acknowledge(self, seq: int) -> None:
        items = self._opened()
        try:
            await trio.to_thread.run_sync(_append_synced, self._acks_fd, encode_ack(seq))
        except OSError as error:
            items.failed = error
            raise AuditError(
                f"cannot record a delivery in outbox {str(self.directory)!r}: {error}"
            ) from None
        self._pending.popleft()
        self._acked = seq
        self.delivered += 1
        if not self._pending and items.synced == items.written >= self.compact_bytes:
            os.ftruncate(items.fd, 0)  # on the trio thread: no put can slip in between
            items.written = items.synced = 0
            old, self._acks_fd = self._acks_fd, -1
            os.close(old)
            self._acks_fd = await trio.to_thread.run_sync(rewrite_acks, self.directory, seq)

    async def aclose(self) -> None:
        """Close the files and release the directory; idempotent.

        Example:
            >>> await outbox.aclose()  # doctest: +SKIP
        """
        items, self._items = self._items, None
        for fd in (items.fd if items else -1, self._acks_fd, self._lock_fd):
            if fd >= 0:
                os.close(fd)
        self._acks_fd = self._lock_fd = -1

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _open_files(self) -> tuple[int, int]:
        flags = os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
        fds = (
            os.open(self.directory / "items.log", flags, 0o644),
            os.open(self.directory / "acks.log", flags, 0o644),
        )
        fsync_directory(self.directory)
        return fds

    def _opened(self) -> GroupCommit:
        if self._items is None:
            raise AuditError(f"outbox {str(self.directory)!r} is not open; use 'async with'")
        return self._items


def _append_synced(fd: int, data: bytes) -> None:
    write_all(fd, data)
    os.fdatasync(fd)

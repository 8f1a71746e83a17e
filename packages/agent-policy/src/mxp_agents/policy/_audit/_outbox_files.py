"""The on-disk state of an `Outbox` directory.

``items.log``: frames ``seq (u64) | length (u32) | crc32 (u32) | payload``, appended by ``put``.
``acks.log``: one ``seq (u64)`` per delivered item, appended (and synced) by ``deliver``.
An item is pending while its seq is above the last ack. A torn frame or ack at the end (a
crash during the write that never returned) is cut off; damage followed by valid frames is
an `AuditError`, never skipped.
"""

from __future__ import annotations

import os
import struct
import zlib
from typing import TYPE_CHECKING, Final

from mxp_agents.policy._audit._durable import fsync_directory
from mxp_agents.policy._errors import AuditError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["ACK", "HEADER", "Recovered", "encode_ack", "encode_frame", "recover", "rewrite_acks"]

HEADER: Final = struct.Struct("<QII")
ACK: Final = struct.Struct("<Q")


def encode_frame(seq: int, payload: bytes) -> bytes:
    """The ``items.log`` frame of item ``seq``.

    Example:
        >>> len(encode_frame(0, b"abc"))
        19
    """
    head = struct.pack("<QI", seq, len(payload))
    return head + struct.pack("<I", zlib.crc32(payload, zlib.crc32(head))) + payload


def encode_ack(seq: int) -> bytes:
    """The ``acks.log`` record saying item ``seq`` was delivered.

    Example:
        >>> encode_ack(1)
        b'\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00'
    """
    return ACK.pack(seq)


class Recovered:
    """What `recover` found: pending items (seq, payload) in order, the last ack, the next
    seq, the files' sizes and the torn bytes cut off.

    Example:
        >>> recover(items_fd, acks_fd, "outbox").pending  # doctest: +SKIP
        []
    """

    def __init__(self) -> None:
        self.pending: list[tuple[int, bytes]] = []
        self.acked = -1
        self.next_seq = 0
        self.items_size = 0
        self.acks_size = 0
        self.torn = 0


def recover(items_fd: int, acks_fd: int, where: str) -> Recovered:
    """Read both files (blocking), cutting torn tails.

    Example:
        >>> recover(items_fd, acks_fd, "state/outbox").next_seq  # doctest: +SKIP
        10
    """
    found = Recovered()
    acks = _read_all(acks_fd)
    whole = len(acks) - len(acks) % ACK.size
    if whole != len(acks):
        found.torn += len(acks) - whole
        os.ftruncate(acks_fd, whole)
        os.fdatasync(acks_fd)
    for (seq,) in ACK.iter_unpack(acks[:whole]):
        found.acked = max(found.acked, seq)
    found.acks_size = whole
    data = _read_all(items_fd)
    position, last = 0, -1
    while position < len(data):
        if len(data) - position < HEADER.size:
            break
        seq, length, crc = HEADER.unpack_from(data, position)
        end = position + HEADER.size + length
        if end > len(data):
            break
        payload = data[position + HEADER.size : end]
        if zlib.crc32(payload, zlib.crc32(data[position : position + 12])) != crc or seq <= last:
            if end == len(data):
                break  # a garbage last frame: torn
            raise AuditError(
                f"outbox {where}: items.log is damaged at byte {position} (frame checksum or "
                "order); valid frames follow, so nothing is cut: restore it from a backup"
            )
        last = seq
        if seq > found.acked:
            found.pending.append((seq, payload))
        position = end
    if position != len(data):
        found.torn += len(data) - position
        os.ftruncate(items_fd, position)
        os.fdatasync(items_fd)
    found.items_size = position
    found.next_seq = max(last, found.acked) + 1
    return found


def rewrite_acks(directory: Path, last: int) -> int:
    """Replace ``acks.log`` with the single record ``last`` (atomically: a temporary file,
    fsync, rename, directory fsync) and return a new append fd on it.

    Example:
        >>> fd = rewrite_acks(Path("state/outbox"), 41)  # doctest: +SKIP
    """
    temporary = directory / "acks.log.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        os.write(fd, encode_ack(last))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, directory / "acks.log")
    fsync_directory(directory)
    return os.open(directory / "acks.log", os.O_RDWR | os.O_APPEND | os.O_CLOEXEC)


def _read_all(fd: int) -> bytes:
    size = os.fstat(fd).st_size
    chunks: list[bytes] = []
    position = 0
    while position < size:
        chunk = os.pread(fd, min(size - position, 1 << 20), position)
        if not chunk:
            break
        chunks.append(chunk)
        position += len(chunk)
    return b"".join(chunks)

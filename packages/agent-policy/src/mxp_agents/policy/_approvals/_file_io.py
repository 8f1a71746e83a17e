"""The blocking half of `FileApprovalStore`: one JSON file per approval, written atomically
(temporary file, fsync, rename, directory fsync), and an exclusive ``flock`` on the directory's
``.lock`` file around every read-modify-write, so that processes sharing the directory never
both decide one approval. Run these functions through ``trio.to_thread``."""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import time
from typing import TYPE_CHECKING, Final

import msgspec

from mxp_agents.policy._approval_api import ApprovalRecord
from mxp_agents.policy._approvals._rules import ID_PATTERN
from mxp_agents.policy._errors import ApprovalError

if TYPE_CHECKING:
    from collections.abc import Generator
    from pathlib import Path

__all__ = ["ApprovalFiles"]

_SUFFIX: Final = ".json"
_LOCK_NAME: Final = ".lock"
_FILE_MODE: Final = 0o660  # minus the umask: shared by the agent's and the operator's group
_LOCK_RETRY: Final = 0.002
_decoder: Final = msgspec.json.Decoder(ApprovalRecord)
_encoder: Final = msgspec.json.Encoder()


class ApprovalFiles:
    """The files of one approvals directory (blocking calls only).

    Example:
        >>> files = ApprovalFiles(Path("approvals"), lock_timeout=10.0)  # doctest: +SKIP
        >>> with files.locked():  # doctest: +SKIP
        ...     files.write(record)
    """

    __slots__ = ("_ready", "directory", "lock_timeout")

    def __init__(self, directory: Path, *, lock_timeout: float) -> None:
        self.directory = directory
        self.lock_timeout = lock_timeout
        self._ready = False

    def ensure(self) -> None:
        """Create the directory (and its parents) if missing; `ApprovalError` if impossible."""
        if self._ready:
            return
        try:
            if not self.directory.is_dir():
                self.directory.mkdir(mode=0o770, parents=True, exist_ok=True)
                _fsync_directory(self.directory.parent)
        except OSError as error:
            raise ApprovalError(
                f"cannot create the approvals directory {self.directory}: {error.strerror}"
            ) from None
        self._ready = True

    def path(self, approval_id: str) -> Path:
        """The file of ``approval_id`` (a checked id: it cannot leave the directory)."""
        return self.directory / f"{approval_id}{_SUFFIX}"

    def read(self, approval_id: str) -> ApprovalRecord | None:
        """The stored record, or None when there is no such file."""
        path = self.path(approval_id)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise ApprovalError(f"cannot read approval file {path}: {error.strerror}") from None
        record = _decode(path, data)
        if record.request.id != approval_id:
            raise ApprovalError(
                f"approval file {path} holds approval {record.request.id!r}, not "
                f"{approval_id!r} (was it renamed?)"
            )
        return record

    def read_all(self) -> list[ApprovalRecord]:
        """Every stored record (in no order); an unreadable or foreign-named file is an error."""
        if not self.directory.is_dir():
            return []
        records: list[ApprovalRecord] = []
        try:
            names = sorted(os.listdir(self.directory))
        except OSError as error:
            raise ApprovalError(
                f"cannot list the approvals directory {self.directory}: {error.strerror}"
            ) from None
        for name in names:
            if name.startswith(".") or not name.endswith(_SUFFIX):
                continue  # the lock file, temporary files of writes in flight
            stem = name.removesuffix(_SUFFIX)
            if not ID_PATTERN.fullmatch(stem):
                raise ApprovalError(
                    f"approval file {self.directory / name} is not named <approval id>.json"
                )
            record = self.read(stem)
            if record is not None:  # None: removed by hand since listed
                records.append(record)
        return records

    def write(self, record: ApprovalRecord) -> None:
        """Replace the record's file atomically and durably: a reader sees the old file or the
        new one, never a part, and a crash after this returns keeps the new one."""
        self.ensure()
        path = self.path(record.request.id)
        data = msgspec.json.format(_encoder.encode(record), indent=2) + b"\n"
        temporary = self.directory / f".{record.request.id}.{secrets.token_hex(6)}.tmp"
        try:
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(descriptor, view) :]
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
            os.replace(temporary, path)
            _fsync_directory(self.directory)
        except OSError as error:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise ApprovalError(f"cannot write approval file {path}: {error.strerror}") from None

    @contextlib.contextmanager
    def locked(self) -> Generator[None]:
        """Hold the directory's exclusive lock (``flock`` on ``.lock``), waiting at most
        ``lock_timeout`` seconds for another process to release it."""
        self.ensure()
        lock_path = self.directory / _LOCK_NAME
        try:
            descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, _FILE_MODE)
        except OSError as error:
            raise ApprovalError(
                f"cannot open the lock file {lock_path}: {error.strerror}"
            ) from None
        try:
            _acquire(descriptor, lock_path, self.lock_timeout)
            try:
                yield
            finally:
                fcntl.flock(descriptor, fcntl.LOCK_UN)
        finally:
            os.close(descriptor)


def _acquire(descriptor: int, lock_path: Path, timeout: float) -> None:
    give_up = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= give_up:
                raise ApprovalError(
                    f"{lock_path} stayed locked by another process for {timeout:g} s; is a "
                    "decision stuck? (the lock is released when its process exits)"
                ) from None
            time.sleep(_LOCK_RETRY)  # a worker thread's bounded retry, never the event loop


def _decode(path: Path, data: bytes) -> ApprovalRecord:
    try:
        return _decoder.decode(data)
    except (msgspec.DecodeError, ValueError) as error:
        raise ApprovalError(
            f"approval file {path} is not a valid approval record: {error}"
        ) from None


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)

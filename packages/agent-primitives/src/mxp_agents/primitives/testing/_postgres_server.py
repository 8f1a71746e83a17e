"""`TemporaryPostgres`: a throwaway PostgreSQL server on 127.0.0.1, from the system's binaries.

Standard library only, so any package's tests can use it (the async context manager imports
trio when it is entered, under trio)."""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Final, Self

from mxp_agents.primitives._errors import PrimitivesError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from types import TracebackType

__all__ = ["TemporaryPostgres", "TemporaryPostgresError", "find_postgres_binaries"]

_INSTALL_HINT: Final = (
    "install the PostgreSQL server: `sudo apt-get install postgresql` (Debian/Ubuntu; the "
    "binaries land in /usr/lib/postgresql/<version>/bin), or set MXP_POSTGRES_BIN to the "
    "directory holding initdb and pg_ctl"
)
_SERVICE_USER: Final = "postgres"  # the system user Debian's postgresql package creates


class TemporaryPostgresError(PrimitivesError):
    """The temporary server could not be found, started or stopped; the message says why.

    Example:
        >>> issubclass(TemporaryPostgresError, PrimitivesError)
        True
    """


def find_postgres_binaries(bin_dir: str | Path | None = None) -> Path:
    """The directory holding ``initdb`` and ``pg_ctl``: ``bin_dir``, ``$MXP_POSTGRES_BIN``,
    the newest ``/usr/lib/postgresql/*/bin``, or the PATH; `TemporaryPostgresError` if none.

    Example:
        >>> find_postgres_binaries()  # doctest: +SKIP
        PosixPath('/usr/lib/postgresql/15/bin')
    """
    candidates: list[Path] = []
    chosen = bin_dir if bin_dir is not None else os.environ.get("MXP_POSTGRES_BIN")
    if chosen:
        candidates.append(Path(chosen))
    else:
        versions = Path("/usr/lib/postgresql").glob("*/bin")
        candidates.extend(sorted(versions, key=_version_key, reverse=True))
        on_path = shutil.which("pg_ctl")
        if on_path:
            candidates.append(Path(on_path).resolve().parent)
    for directory in candidates:
        if all(os.access(directory / tool, os.X_OK) for tool in ("initdb", "pg_ctl")):
            return directory
    where = ", ".join(map(str, candidates)) or "/usr/lib/postgresql/*/bin and the PATH"
    raise TemporaryPostgresError(f"PostgreSQL's initdb and pg_ctl not found in {where}; "
                                 f"{_INSTALL_HINT}")  # fmt: skip


class TemporaryPostgres:
    """A PostgreSQL server for tests: ``initdb`` into a temporary directory, listening only on
    127.0.0.1 on a free port (its unix socket inside that directory), stopped and deleted on
    exit. Superuser ``postgres`` with a random password (host connections use SCRAM). As root
    the server runs as the ``postgres`` system user, since PostgreSQL refuses to run as root.

    Use it as a context manager, sync (a module-scoped pytest fixture) or async (under trio,
    which runs the blocking start and stop in a worker thread).
    ``fsync=False`` is faster and survives everything but a machine crash.

    Example:
        >>> with TemporaryPostgres() as server:  # doctest: +SKIP
        ...     journal = await PostgresJournal.open(server.dsn)
    """

    host: Final = "127.0.0.1"
    user: Final = "postgres"
    dbname: Final = "postgres"

    def __init__(
        self,
        *,
        bin_dir: str | Path | None = None,
        fsync: bool = True,
        settings: Mapping[str, str] | None = None,
        timeout: float = 60.0,
    ) -> None:
        self._bin = find_postgres_binaries(bin_dir)
        self._fsync = fsync
        self._settings = dict(settings or {})
        self._timeout = timeout
        self.password = secrets.token_urlsafe(18)
        self.port: int | None = None
        self.directory: Path | None = None

    @property
    def dsn(self) -> str:
        """A libpq connection string for the running server (it holds the password)."""
        if self.port is None:
            raise TemporaryPostgresError("the temporary PostgreSQL server is not running")
        return (
            f"host={self.host} port={self.port} user={self.user} "
            f"password={self.password} dbname={self.dbname} connect_timeout=10"
        )

    def start(self) -> None:
        """initdb and start (blocking); `TemporaryPostgresError` with the server log on failure."""
        if self.directory is not None:
            raise TemporaryPostgresError("the temporary PostgreSQL server is already started")
        prefix, owner = _run_as()
        directory = Path(tempfile.mkdtemp(prefix="mxp-pg-"))
        self.directory = directory
        try:
            if owner is not None:
                os.chown(directory, owner.pw_uid, owner.pw_gid)
            self._initdb(prefix, owner)
            self._start_server(prefix)
        except BaseException:
            self.port = None
            self._remove()
            raise

    def _start_server(self, prefix: Sequence[str]) -> None:
        assert self.directory is not None
        for _ in range(3):  # another process may take the free port first
            self.port = _free_port()
            (self.directory / "data" / "postgresql.auto.conf").write_text(self._config())
            if self._pg_ctl(prefix, "start", "-l", str(self.directory / "server.log")):
                return
            log = self._log_tail()
            if "could not bind" not in log and "already in use" not in log:
                break
        raise TemporaryPostgresError(f"PostgreSQL did not start:\n{self._log_tail()}")

    def stop(self) -> None:
        """Stop the server (immediate shutdown) and delete its directory (blocking)."""
        if self.directory is None:
            return
        try:
            if self.port is not None and not self._pg_ctl(_run_as()[0], "stop", "-m", "immediate"):
                self._kill()
        finally:
            self.port = None
            self._remove()

    def _initdb(self, prefix: Sequence[str], owner: pwd.struct_passwd | None) -> None:
        assert self.directory is not None
        pwfile = self.directory / "pwfile"
        pwfile.write_text(self.password + "\n")
        pwfile.chmod(0o600)
        if owner is not None:
            os.chown(pwfile, owner.pw_uid, owner.pw_gid)
        command = [
            *prefix,
            str(self._bin / "initdb"),
            "-D",
            str(self.directory / "data"),
            "-U",
            self.user,
            f"--pwfile={pwfile}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ]
        result = self._run(command)
        pwfile.unlink()
        if result.returncode != 0:
            raise TemporaryPostgresError(
                f"initdb failed (exit {result.returncode}):\n{result.stdout[-2000:]}"
            )

    def _config(self) -> str:
        assert self.directory is not None
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.directory),
            "fsync": "on" if self._fsync else "off",
            "max_connections": "50",
            "shared_buffers": "32MB",
            **self._settings,
        }
        return "".join(f"{key} = '{value}'\n" for key, value in settings.items())

    def _pg_ctl(self, prefix: Sequence[str], action: str, *extra: str) -> bool:
        assert self.directory is not None
        command = [*prefix, str(self._bin / "pg_ctl"), action, "-D", str(self.directory / "data")]
        command += ["-w", "-t", str(round(self._timeout)), *extra]
        return self._run(command).returncode == 0

    def _run(self, command: list[str]) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                command,
                cwd=self.directory,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=self._timeout + 10,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise TemporaryPostgresError(f"{Path(command[-1]).name}: {error}") from None

    def _kill(self) -> None:
        """Last resort when pg_ctl cannot stop it: SIGKILL the postmaster we started."""
        assert self.directory is not None
        pid_file = self.directory / "data" / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError, IndexError):
            os.kill(int(pid_file.read_text().splitlines()[0]), signal.SIGKILL)

    def _log_tail(self) -> str:
        assert self.directory is not None
        try:
            return (self.directory / "server.log").read_text(errors="replace")[-2000:]
        except OSError:
            return "(no server log)"

    def _remove(self) -> None:
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        import trio  # only the async form needs it, and it runs under trio

        await trio.to_thread.run_sync(self.start)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        import trio

        with trio.CancelScope(shield=True):  # the server must stop even when cancelled
            await trio.to_thread.run_sync(self.stop)

    def __repr__(self) -> str:
        where = f"{self.host}:{self.port}" if self.port is not None else "stopped"
        return f"TemporaryPostgres({where}, bin={str(self._bin)!r})"


def _run_as() -> tuple[list[str], pwd.struct_passwd | None]:
    """The command prefix that drops root to the ``postgres`` user, and that user (as root)."""
    if os.geteuid() != 0:
        return [], None
    try:
        owner = pwd.getpwnam(_SERVICE_USER)
    except KeyError:
        raise TemporaryPostgresError(
            "PostgreSQL refuses to run as root and there is no 'postgres' system user to run "
            f"it as; {_INSTALL_HINT} (the package creates that user), or run the tests as "
            "another user"
        ) from None
    runuser = shutil.which("runuser") or shutil.which("runuser", path="/usr/sbin:/sbin")
    if runuser is None:
        raise TemporaryPostgresError("running PostgreSQL as root needs `runuser` (util-linux)")
    return [runuser, "-u", _SERVICE_USER, "--"], owner


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in path.parent.name.split(".") if part.isdigit())

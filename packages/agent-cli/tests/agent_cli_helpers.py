"""Helpers to run ``mxp-agents`` as real subprocesses (``python -m mxp_agents.cli``)."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import trio

CLI = [sys.executable, "-m", "mxp_agents.cli"]
HERE = Path(__file__).resolve().parent
_SERIAL = itertools.count()


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a CLI subprocess: no MXP_AGENTS_* leaking in, wide tables, the
    tests folder importable (for the entry points in ``sample_agents.py``)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MXP_AGENTS_")}
    env["COLUMNS"] = "200"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
    env.update(extra or {})
    return env


def run_cli(
    *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the CLI to completion (blocking; for commands that end by themselves)."""
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=cli_env(env),
        cwd=cwd,
    )


async def run_cli_async(
    *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run the CLI to completion without blocking trio (for use next to running servers)."""
    return await trio.run_process(
        [*CLI, *args],
        capture_stdout=True,
        capture_stderr=True,
        check=False,
        env=cli_env(env),
        cwd=cwd,
    )


class Server:
    """A CLI subprocess that serves until stopped; stdout read line by line."""

    def __init__(self, process: trio.Process, stderr_path: Path) -> None:
        self.process = process
        self.stderr_path = stderr_path
        self._buffer = b""
        self.lines: list[str] = []

    async def readline(self) -> str:
        stdout = self.process.stdout
        assert stdout is not None
        while b"\n" not in self._buffer:
            chunk = await stdout.receive_some()
            if not chunk:
                raise AssertionError(
                    f"the server exited before printing a line; stderr:\n{self.stderr()}"
                )
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        text = line.decode()
        self.lines.append(text)
        return text

    async def address(self) -> str:
        """The IP:PORT at the end of the first line."""
        return (await self.readline()).rsplit(" ", 1)[1]

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    async def stop(self) -> tuple[int, str]:
        """Ctrl-C (SIGINT), wait for the exit; the status and the rest of stdout."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)
        rest = self._buffer
        stdout = self.process.stdout
        assert stdout is not None
        with trio.fail_after(20):
            while chunk := await stdout.receive_some():
                rest += chunk
            status = await self.process.wait()
        return status, rest.decode()


@asynccontextmanager
async def serving(
    tmp_path: Path, *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> AsyncIterator[Server]:
    """Start ``mxp-agents ARGS``; kill it on exit if it still runs."""
    stderr_path = tmp_path / f"stderr-{next(_SERIAL)}.txt"
    with open(stderr_path, "wb") as stderr:  # noqa: ASYNC230 - a local file, opened once
        process = await trio.lowlevel.open_process(
            [*CLI, *args], stdout=subprocess.PIPE, stderr=stderr, env=cli_env(env), cwd=cwd
        )
    server = Server(process, stderr_path)
    try:
        yield server
    finally:
        if process.returncode is None:
            process.kill()
            with trio.move_on_after(10):
                await process.wait()
        assert process.stdout is not None
        await process.stdout.aclose()

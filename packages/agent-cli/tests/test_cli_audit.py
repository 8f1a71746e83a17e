"""``mxp-agents audit verify``: intact, tampered, torn and missing audit logs."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from agent_cli_helpers import run_cli

from mxp_agents.cli import main
from mxp_agents.policy import AuditEvent, InvokeTool, PolicyDecision, PolicyRequest
from mxp_agents.policy._audit import HashChainLog

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

AGENT = "0190c3a0-0000-7000-8000-000000000001"


async def write_log(path: Path, count: int) -> list[bytes]:
    async with HashChainLog(path) as log:
        for index in range(count):
            request = PolicyRequest(AGENT, InvokeTool("pay", arguments={"amount": index}))
            await log.record(
                AuditEvent.of(request, PolicyDecision.deny(f"no {index}"), timestamp=1.0)
            )
    return path.read_bytes().splitlines(keepends=True)  # noqa: ASYNC240 - a small test file


async def test_intact_log_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "audit.log"
    await write_log(path, 3)
    assert main(["audit", "verify", str(path)]) == 0
    assert f"{path}: 3 entries, chain intact, head " in capsys.readouterr().out


async def test_tampered_log_lists_each_problem_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "audit.log"
    lines = await write_log(path, 6)
    lines[1] = lines[1].replace(b'"no 1"', b'"ok 1"')
    del lines[4]
    path.write_bytes(b"".join(lines))
    assert main(["audit", "verify", str(path)]) == 1
    captured = capsys.readouterr()
    assert f"{path}: line 2: edited: its hash does not match its content" in captured.out
    assert f"{path}: line 5: removed: seq 4 missing before this line" in captured.out
    assert "2 problem(s) in 5 entries: the audit log was tampered with" in captured.err


async def test_torn_tail_is_a_warning_not_tampering(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "audit.log"
    lines = await write_log(path, 2)
    path.write_bytes(b"".join(lines) + lines[0][:30])
    assert main(["audit", "verify", str(path), "--json"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["problems"] == []
    assert report["torn"] == {"line": 3, "size": 30}
    assert main(["audit", "verify", str(path)]) == 0
    assert "warning: line 3: torn: 30 bytes without a newline" in capsys.readouterr().err


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "verify", str(tmp_path / "none.log")]) == 2
    assert "error: no audit log at" in capsys.readouterr().err


async def test_the_installed_command_reports_a_reordered_log(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    lines = await write_log(path, 4)
    lines[1], lines[2] = lines[2], lines[1]
    path.write_bytes(b"".join(lines))
    done = run_cli("audit", "verify", str(path))
    assert done.returncode == 1, done.stderr
    assert "reordered: seq 2 is out of order: it belongs after line 3 (seq 1)" in done.stdout

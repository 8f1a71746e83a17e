"""FileApprovalStore: the conformance suite, deciders in other processes (a waiting store sees
their decision; racing deciders: one wins), the file format and its damage, settings."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from subprocess import PIPE

import pytest
import trio

from mxp_agents.config import Secret, load_section
from mxp_agents.policy import (
    ApprovalError,
    ApprovalRequest,
    ApprovalStatus,
    InvalidPolicy,
    InvokeTool,
    fingerprint,
)
from mxp_agents.policy._approvals import (
    ApprovalSettings,
    FileApprovalStore,
    default_approval_directory,
    open_approval_store,
)
from mxp_agents.policy.testing import approval_check_names, run_approval_check
from mxp_agents.primitives import Clock

# Decides one approval from a separate Python process, as the CLI or a governance agent would.
DECIDER = textwrap.dedent(
    """
    import sys, trio
    from mxp_agents.policy import ApprovalError
    from mxp_agents.policy._approvals import FileApprovalStore

    directory, approval_id, verdict, by, fp, *on_cue = sys.argv[1:]
    async def main():
        store = FileApprovalStore(directory)
        if on_cue:  # say ready, then decide when the test says go (deciders start together)
            print("ready", flush=True)
            sys.stdin.readline()
        try:
            record = await store.decide(approval_id, approve=verdict == "approve", by=by,
                                        fingerprint=fp)
        except ApprovalError as error:
            print(error)
            raise SystemExit(3)
        print(record.status)
    trio.run(main)
    """
)


@pytest.mark.parametrize("name", approval_check_names())
async def test_file_store_conformance(name: str, tmp_path: Path) -> None:
    def open_store(clock: Clock) -> FileApprovalStore:
        return FileApprovalStore(tmp_path / "approvals", clock=clock, poll_interval=0.01)

    await run_approval_check(name, open_store)


def pay(approval_id: str = "pay-1", *, amount: int = 120, ttl: float = 60.0) -> ApprovalRequest:
    action = InvokeTool("pay", arguments={"amount": amount})
    now = time.time()
    return ApprovalRequest(
        id=approval_id,
        agent_id="agent-1",
        action=action,
        fingerprint=fingerprint("agent-1", action),
        reason="payments over 100 need finance",
        approvers=("finance",),
        created=now,
        deadline=now + ttl,
    )


async def decide_in_process(directory: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return await trio.run_process(
        [sys.executable, "-c", DECIDER, str(directory), *args],
        capture_stdout=True,
        capture_stderr=True,
        check=False,
    )


@pytest.mark.parametrize("verdict", ["approve", "deny"])
async def test_a_waiting_agent_sees_a_decision_made_in_another_process(
    tmp_path: Path, verdict: str
) -> None:
    store = FileApprovalStore(tmp_path, poll_interval=0.01)
    asked = await store.submit(pay())
    results = []
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:

            async def waiter() -> None:
                results.append(await store.wait("pay-1"))

            nursery.start_soon(waiter)
            done = await decide_in_process(
                tmp_path, "pay-1", verdict, "finance", asked.request.fingerprint
            )
    assert done.returncode == 0, done.stdout + done.stderr
    expected = ApprovalStatus.APPROVED if verdict == "approve" else ApprovalStatus.DENIED
    assert results[0].status is expected
    assert results[0].decided_by == "finance"


async def test_racing_deciders_in_separate_processes_one_wins(tmp_path: Path) -> None:
    asked = await FileApprovalStore(tmp_path).submit(pay())
    fp = asked.request.fingerprint
    deciders: list[trio.Process] = []
    with trio.fail_after(60):
        for number in range(4):
            verdict = "approve" if number % 2 else "deny"
            command = [sys.executable, "-c", DECIDER, str(tmp_path), "pay-1", verdict, "finance"]
            deciders.append(
                await trio.lowlevel.open_process(
                    [*command, fp, "on-cue"], stdin=PIPE, stdout=PIPE, stderr=PIPE
                )
            )
        for process in deciders:  # all four are up and about to decide
            assert await _line(process) == b"ready\n"
        for process in deciders:
            assert process.stdin is not None
            await process.stdin.send_all(b"go\n")
        outputs = [(await process.wait(), await _rest(process)) for process in deciders]
    codes = sorted(code for code, _ in outputs)
    assert codes == [0, 3, 3, 3], outputs
    refusals = [text for code, text in outputs if code == 3]
    assert all("already" in text for text in refusals), refusals


async def _line(process: trio.Process) -> bytes:
    assert process.stdout is not None
    line = b""
    while not line.endswith(b"\n"):
        chunk = await process.stdout.receive_some(1)
        assert chunk, f"a decider exited early: {line!r}"
        line += chunk
    return line


async def _rest(process: trio.Process) -> str:
    assert process.stdout is not None
    chunks = []
    while chunk := await process.stdout.receive_some():
        chunks.append(chunk)
    return b"".join(chunks).decode()


async def test_another_calls_fingerprint_is_refused_across_processes(tmp_path: Path) -> None:
    await FileApprovalStore(tmp_path).submit(pay())
    other = pay(amount=121).fingerprint
    done = await decide_in_process(tmp_path, "pay-1", "approve", "finance", other)
    assert done.returncode == 3
    assert b"is for a different call" in done.stdout
    assert (await FileApprovalStore(tmp_path).get("pay-1")).status is ApprovalStatus.PENDING


async def test_one_readable_json_file_per_approval_and_no_leftovers(tmp_path: Path) -> None:
    store = FileApprovalStore(tmp_path / "nested" / "approvals")
    asked = await store.submit(pay())
    await store.decide("pay-1", approve=True, by="finance", fingerprint=asked.request.fingerprint)
    names = sorted(path.name for path in store.directory.iterdir())
    assert names == [".lock", "pay-1.json"]
    stored = json.loads((store.directory / "pay-1.json").read_text())
    assert stored["status"] == "approved"
    action = {"kind": "invoke_tool", "name": "pay", "version": None, "arguments": {"amount": 120}}
    assert stored["request"]["action"] == action


async def test_a_damaged_file_is_an_error_naming_it(tmp_path: Path) -> None:
    store = FileApprovalStore(tmp_path)
    await store.submit(pay())
    (tmp_path / "pay-1.json").write_text('{"request": {"id": "pay-1"}, "status": "approved"}')
    with pytest.raises(ApprovalError, match=r"pay-1\.json is not a valid approval record"):
        await store.get("pay-1")
    with pytest.raises(ApprovalError, match=r"pay-1\.json"):
        await store.list()
    (tmp_path / "pay-1.json").unlink()
    (tmp_path / "pay 2.json").write_text("{}")
    with pytest.raises(ApprovalError, match=r"not named <approval id>\.json"):
        await store.list()


async def test_a_renamed_file_is_refused(tmp_path: Path) -> None:
    store = FileApprovalStore(tmp_path)
    await store.submit(pay())
    (tmp_path / "pay-1.json").rename(tmp_path / "pay-9.json")
    with pytest.raises(ApprovalError, match=r"holds approval 'pay-1', not 'pay-9'"):
        await store.get("pay-9")


async def test_ids_cannot_leave_the_directory(tmp_path: Path) -> None:
    store = FileApprovalStore(tmp_path / "approvals")
    for bad in ("../escape", ".hidden", "a/b", ""):
        with pytest.raises(ApprovalError, match="invalid approval id"):
            await store.get(bad)
    assert not (tmp_path / "escape.json").exists()


async def test_a_held_lock_times_out_with_a_clear_error(tmp_path: Path) -> None:
    import fcntl
    import os

    store = FileApprovalStore(tmp_path, lock_timeout=0.05)
    asked = await store.submit(pay())
    descriptor = os.open(tmp_path / ".lock", os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        fp = asked.request.fingerprint
        with pytest.raises(ApprovalError, match=r"stayed locked by another process"):
            await store.decide("pay-1", approve=True, by="finance", fingerprint=fp)
    finally:
        os.close(descriptor)


def test_bad_options_name_the_option(tmp_path: Path) -> None:
    with pytest.raises(InvalidPolicy, match=r"\$\.poll_interval"):
        FileApprovalStore(tmp_path, poll_interval=0)
    with pytest.raises(InvalidPolicy, match=r"\$\.lock_timeout"):
        FileApprovalStore(tmp_path, lock_timeout=float("nan"))


async def test_unknown_status_filter_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidPolicy, match=r"unknown approval status 'open'.*\$\.status"):
        await FileApprovalStore(tmp_path).list("open")  # type: ignore[arg-type]


def test_settings_choose_the_store(tmp_path: Path) -> None:
    env = {"MXP_AGENTS_APPROVALS__STORE": str(tmp_path)}
    settings = load_section(ApprovalSettings, "approvals", env=env)
    store = open_approval_store(settings)
    assert isinstance(store, FileApprovalStore)
    assert store.directory == tmp_path
    default = default_approval_directory({"XDG_STATE_HOME": str(tmp_path)})
    assert default == tmp_path / "mxp-agents" / "approvals"
    with_dsn = ApprovalSettings(dsn=Secret("host=127.0.0.1 password=hunter2"), table="gov")
    postgres = open_approval_store(with_dsn)
    assert type(postgres).__name__ == "PostgresApprovalStore"
    assert "hunter2" not in repr(postgres)

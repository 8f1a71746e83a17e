"""``mxp-agents approvals``: list, show, approve and deny against a real store; the decision
bound to the shown fingerprint; refusals (exit 1) and bad options (exit 2); the store chosen
by option, environment, config file or default; an agent waiting in another process resumes
when the CLI decides."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import trio
from agent_cli_helpers import run_cli_async

from mxp_agents.cli import main
from mxp_agents.policy import ApprovalRecord, ApprovalRequest, ApprovalStatus, InvokeTool
from mxp_agents.policy import fingerprint as fingerprint_of
from mxp_agents.policy._approvals import FileApprovalStore


@pytest.fixture(autouse=True)
def _no_configured_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("STORE", "DSN", "TABLE"):
        monkeypatch.delenv(f"MXP_AGENTS_APPROVALS__{name}", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def pay(
    approval_id: str = "pay-1", *, amount: int = 120, age: float = 0.0, ttl: float = 600.0
) -> ApprovalRequest:
    action = InvokeTool("pay", arguments={"amount": amount, "to": "acme"})
    created = time.time() - age
    return ApprovalRequest(
        id=approval_id,
        agent_id="agent-1",
        action=action,
        fingerprint=fingerprint_of("agent-1", action),
        reason="payments over 100 need finance",
        approvers=("finance", "cfo"),
        run_id="run-9",
        created=created,
        deadline=created + ttl,
    )


def seed(directory: Path, *requests: ApprovalRequest) -> None:
    async def submit() -> None:
        store = FileApprovalStore(directory)
        for request in requests:
            await store.submit(request)

    trio.run(submit)


def stored(directory: Path, approval_id: str = "pay-1") -> ApprovalRecord:
    return trio.run(FileApprovalStore(directory).get, approval_id)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["approvals", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_show_and_approve_bound_to_the_shown_fingerprint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asked = pay()
    seed(tmp_path, asked, pay("pay-2", amount=5000, age=10))
    code, out, _ = cli(capsys, "list", "--store", str(tmp_path))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["ID", "STATUS", "AGENT"]
    assert [line.split()[0] for line in lines[1:]] == ["pay-2", "pay-1"]  # oldest first
    assert asked.fingerprint[:12] in out

    code, out, _ = cli(capsys, "show", "pay-1", "--store", str(tmp_path))
    assert code == 0
    assert f"fingerprint  {asked.fingerprint}" in out
    assert '"arguments":{"amount":120,"to":"acme"}' in out
    assert "approvers    finance, cfo" in out

    seen = asked.fingerprint[:10]
    code, out, _ = cli(capsys, "approve", "pay-1", "--by", "cfo", "--note", "budget ok",
                       "--fingerprint", seen, "--store", str(tmp_path))  # fmt: skip
    assert (code, out.strip()) == (0, "approved pay-1 (tool `pay`) by cfo")
    record = stored(tmp_path)
    assert (record.status, record.decided_by, record.note) == ("approved", "cfo", "budget ok")

    code, out, _ = cli(capsys, "list", "--status", "pending", "--json", "--store", str(tmp_path))
    assert code == 0
    assert [item["request"]["id"] for item in json.loads(out)] == ["pay-2"]


def test_deny_records_the_denial(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed(tmp_path, pay())
    code, out, _ = cli(capsys, "deny", "pay-1", "--by", "finance", "--store", str(tmp_path))
    assert (code, out.strip()) == (0, "denied pay-1 (tool `pay`) by finance")
    assert stored(tmp_path).status is ApprovalStatus.DENIED
    code, out, _ = cli(capsys, "show", "pay-1", "--json", "--store", str(tmp_path))
    assert json.loads(out)["decided_by"] == "finance"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["approve", "nope", "--by", "cfo"], "no approval 'nope'"),
        (["approve", "pay-1", "--by", "mallory"], "'mallory' may not decide it"),
        (["approve", "pay-1", "--by", "cfo", "--fingerprint", "0123456789"], "different call"),
        (["deny", "old-1", "--by", "cfo"], "expired at"),
        (["show", "nope"], "no approval 'nope'"),
    ],
)
def test_refusals_exit_1_and_change_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    seed(tmp_path, pay(), pay("old-1", age=700))
    code, _, err = cli(capsys, *argv, "--store", str(tmp_path))
    assert code == 1
    assert message in err
    assert stored(tmp_path).status is ApprovalStatus.PENDING


def test_a_second_decision_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed(tmp_path, pay())
    assert cli(capsys, "deny", "pay-1", "--by", "cfo", "--store", str(tmp_path))[0] == 0
    code, _, err = cli(capsys, "approve", "pay-1", "--by", "finance", "--store", str(tmp_path))
    assert code == 1
    assert "was already denied by cfo" in err
    assert stored(tmp_path).status is ApprovalStatus.DENIED


def test_bad_options_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path)
    code, _, err = cli(capsys, "list", "--status", "open", "--store", store)
    assert code == 2
    assert "--status must be one of pending, approved, denied, expired, got 'open'" in err
    code, _, err = cli(capsys, "list", "--store", store, "--dsn", "host=127.0.0.1")
    assert code == 2
    assert "not both" in err
    code, _, err = cli(capsys, "approve", "pay-1", "--by", "cfo", "--fingerprint", "ab12")
    assert code == 2
    assert "--fingerprint must be 8 to 64 hex characters" in err
    config = tmp_path / "mxp.toml"
    config.write_text('[approvals]\nstroe = "/srv/approvals"\n')
    code, _, err = cli(capsys, "list", "--config", str(config))
    assert code == 2
    assert "stroe" in err


def test_the_store_comes_from_env_config_or_the_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    default = tmp_path / "state" / "mxp-agents" / "approvals"
    by_env, by_file = tmp_path / "env", tmp_path / "file"
    seed(default, pay("in-default"))
    seed(by_env, pay("in-env"))
    seed(by_file, pay("in-file"))
    config = tmp_path / "mxp.toml"
    config.write_text(f'[approvals]\nstore = "{by_file}"\n')

    assert "in-default" in cli(capsys, "list")[1]
    assert "in-file" in cli(capsys, "list", "--config", str(config))[1]
    monkeypatch.setenv("MXP_AGENTS_APPROVALS__STORE", str(by_env))
    assert "in-env" in cli(capsys, "list")[1]
    assert "in-env" in cli(capsys, "list", "--config", str(config))[1]  # env over file
    assert "in-file" in cli(capsys, "list", "--store", str(by_file))[1]  # option over all


def test_an_unreachable_database_fails_without_showing_the_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    dsn = "host=127.0.0.1 port=1 user=ops password=Sekr3t-pw connect_timeout=2"
    code, out, err = cli(capsys, "list", "--dsn", dsn)
    assert code == 1
    assert "Sekr3t-pw" not in out + err
    assert "error:" in err


@pytest.mark.parametrize("verdict", ["approve", "deny"])
async def test_an_agent_waiting_in_another_process_resumes_on_the_cli_decision(
    tmp_path: Path, verdict: str
) -> None:
    store = FileApprovalStore(tmp_path, poll_interval=0.01)
    await store.submit(pay())
    results: list[ApprovalRecord] = []
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:

            async def agent() -> None:
                results.append(await store.wait("pay-1"))

            nursery.start_soon(agent)
            done = await run_cli_async(
                "approvals", verdict, "pay-1", "--by", "finance", "--store", str(tmp_path)
            )
    assert done.returncode == 0, done.stderr.decode()
    expected = ApprovalStatus.APPROVED if verdict == "approve" else ApprovalStatus.DENIED
    assert (results[0].status, results[0].decided_by) == (expected, "finance")

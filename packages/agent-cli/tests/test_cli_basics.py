"""The command line itself: help, version, exit statuses for bad arguments."""

from __future__ import annotations

import pytest
from agent_cli_helpers import run_cli

from mxp_agents.cli import main


def test_help_lists_every_command() -> None:
    done = run_cli("--help")
    assert done.returncode == 0, done.stderr
    for command in ("registry", "run", "call", "agents", "demo", "--version", "--log-level"):
        assert command in done.stdout


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "0.2.0"


@pytest.mark.parametrize(
    "argv",
    [
        ["no-such-command"],
        ["call"],
        ["call", "127.0.0.1:9"],
        ["registry", "--port", "many"],
        ["--log-level", "loud", "agents"],
    ],
)
def test_bad_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err.strip()


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["registry", "--port", "70000"]) == 2
    assert "--port must be in 0..65535, got 70000" in capsys.readouterr().err
    assert main(["agents", "--timeout", "0"]) == 2
    assert "--timeout must be > 0" in capsys.readouterr().err

"""``mxp-agents demo``: one process, a registry, two agents, delegation and the trace tree."""

from __future__ import annotations

from pathlib import Path

import pytest
from agent_cli_helpers import run_cli

from mxp_agents.cli import main
from mxp_agents.cli._demo_agents import DEMO_TASK, find_expression, find_file
from mxp_agents.cli._demo_checks import served_model_checks, trace_checks

KEY_VARIABLES = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY")
NO_KEYS = dict.fromkeys(KEY_VARIABLES, "")


def test_demo_subprocess_prints_the_answer_and_the_trace(tmp_path: Path) -> None:
    done = run_cli("demo", "--model", "scripted", "--workdir", str(tmp_path / "work"))
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "model: scripted (no LLM configured)" in out
    assert (tmp_path / "work" / "notes.txt").is_file()
    for line_start in (
        "registry     127.0.0.1:",
        "worker       127.0.0.1:",
        "coordinator  127.0.0.1:",
    ):
        assert any(line.startswith(line_start) for line in out.splitlines()), line_start
    assert "the registry lists: coordinator, worker" in out
    # the streamed answer, then the relayed result of both of the worker's tools
    assert "→ tool ask_worker" in out
    assert "The calculator gives 1104." in out
    assert "The file says: An MXP frame is a 32-byte header" in out
    # the trace tree: coordinator run -> tool call -> delegation -> (MXP hop) worker run -> tools
    tree = out[out.index("trace (OpenTelemetry spans") :]
    order = [
        "mxp.call",
        "agent.run",
        "agent.tool_call",
        "mxp.delegate",
        "⇢ over MXP mxp.call",
        "agent.run",
        "agent.tool_call",
    ]
    position = 0
    for marker in order:
        position = tree.index(marker, position) + 1
    assert "agent=worker" in tree
    assert "tool=calculator" in tree
    assert "tool=read_file" in tree
    assert "capability=math.calculate to=worker" in tree
    trace_ids = {word for word in tree.split() if word.startswith("trace_id=0x")}
    assert len(trace_ids) == 1
    assert "✗" not in out
    assert "✓ one MXP trace_id across coordinator and worker" in out
    assert out.rstrip().splitlines()[-1].startswith("OK - demo finished in")


def test_demo_rejects_a_file_as_workdir(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x", encoding="utf-8")
    done = run_cli("demo", "--workdir", str(tmp_path / "f"))
    assert done.returncode == 2
    assert "is not a folder" in done.stderr


def test_demo_rejects_an_unknown_model() -> None:
    done = run_cli("demo", "--model", "gpt")
    assert done.returncode == 2
    assert "--model: model: 'gpt' is not an entry point" in done.stderr


@pytest.mark.parametrize(
    ("text", "expression"),
    [
        (DEMO_TASK, "(32 + 512 + 8) * 2"),
        ("what is 6*7?", "6*7"),
        ("add 1 and 2", None),
        ("(1 + 2", None),
        ("compute 2 ** 10 and 3 + 4 * 5", "3 + 4 * 5"),
    ],
)
def test_find_expression(text: str, expression: str | None) -> None:
    assert find_expression(text) == expression


def test_find_file() -> None:
    assert find_file(DEMO_TASK) == "notes.txt"
    assert find_file("read data/report.md now") == "report.md"
    assert find_file("no file here") is None


def test_trace_checks_fail_without_spans() -> None:
    checks = trace_checks([], 1)
    assert checks
    assert not any(check.passed for check in checks)
    assert not any(check.passed for check in served_model_checks([]))


def test_demo_with_a_model_from_an_entry_point(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--model", "mxp_agents.adapters.testing:TestModel"]) == 0
    out = capsys.readouterr().out
    assert "model: test (no LLM configured), served over MXP as model.test.test" in out
    assert "model        127.0.0.1:" in out
    assert "⇢ over MXP mxp.call" in out
    assert "✓ both agents called the served model" in out
    assert "OK - demo finished" in out


def test_demo_uses_the_local_model_by_default(tmp_path: Path) -> None:
    """No API key and no --model: the local SmolLM2 model, served over MXP to both agents."""
    pytest.importorskip("llama_cpp", reason="the local model needs the 'local' extra")
    env = {
        "OPENAI_API_KEY": "",
        "ANTHROPIC_API_KEY": "",
        "GEMINI_API_KEY": "",
        "GOOGLE_API_KEY": "",
    }
    done = run_cli("demo", "--workdir", str(tmp_path / "work"), env=env, timeout=600)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "model: local/" in out
    assert "served over MXP as model.local." in out
    assert "→ tool ask_worker" in out  # the coordinator's first call is forced to delegate
    assert "✓ the worker's tool calls are in its run" in out
    assert "✓ one MXP trace_id across coordinator and worker" in out
    assert "✓ both agents called the served model" in out
    assert "the coordinator's run ended:" in out


def test_demo_says_what_to_do_without_any_model(tmp_path: Path) -> None:
    env = {**NO_KEYS, "MXP_AGENTS_MODEL__MODEL_PATH": str(tmp_path / "missing.gguf")}
    done = run_cli("demo", env=env)
    assert done.returncode == 1
    assert "mxp-agents demo --model scripted" in done.stderr

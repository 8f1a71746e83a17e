"""Loading agent specs: TOML files and entry points, and the errors that exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from agent_cli_helpers import HERE

from mxp_agents.cli import SpecError, main
from mxp_agents.cli._spec import load_spec
from mxp_agents.kernel import KernelConfig

GOOD = """\
[agent]
name = "calc"
capabilities = ["math.calculate"]
tools = ["mxp_agents.cli.tools:calculator", "mxp_agents.cli.tools:file_reader"]
model = "scripted"

[[agent.steps]]
tool_calls = [{ name = "calculator", arguments = { expression = "6 * 7" } }]

[[agent.steps]]
text = "42"

[kernel]
port = 7001
max_concurrency = 4
"""


def write(tmp_path: Path, text: str, name: str = "agent.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_toml_spec_layers(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    loaded = load_spec(str(path), env={"MXP_AGENTS_KERNEL__MAX_CONCURRENCY": "2"})
    assert loaded.agent.name == "calc"
    assert loaded.source == f"file {path}"
    assert loaded.model == "scripted (no LLM configured)"
    assert (loaded.config.port, loaded.config.max_concurrency) == (7001, 2)
    assert sorted(tool.name for tool in loaded.agent.executor.registry.list()) == [
        "calculator",
        "read_file",
    ]
    overridden = load_spec(str(path), env={}, overrides={"port": 0, "registry": "127.0.0.1:9"})
    assert (overridden.config.port, overridden.config.registry) == (0, "127.0.0.1:9")


async def test_scripted_model_replays_for_every_run(tmp_path: Path) -> None:
    loaded = load_spec(str(write(tmp_path, GOOD)), env={})
    for _ in range(3):
        result = await loaded.agent.run("what is 6 * 7?")
        assert result.ok, result.error
        assert result.output == "42"
        assert result.tool_calls[0].result.content == "42"


async def test_running_out_of_steps_ends_the_run_with_a_model_error(tmp_path: Path) -> None:
    text = GOOD.replace('[[agent.steps]]\ntext = "42"\n', "")
    loaded = load_spec(str(write(tmp_path, text)), env={})
    result = await loaded.agent.run("what is 6 * 7?")
    assert result.stop_reason == "model_error"
    assert "the scripted model has 1 step(s) but the run asked for step 2" in str(result.error)


def test_test_model_and_relative_paths(tmp_path: Path) -> None:
    write(tmp_path, '[agent]\nname = "t"\ntools = ["mxp_agents.cli.tools:calculator"]\n')
    loaded = load_spec("agent.toml", cwd=tmp_path, env={})
    assert loaded.model == "test (no LLM configured)"
    assert loaded.config == KernelConfig()


def test_tools_and_models_next_to_the_spec_are_importable(tmp_path: Path) -> None:
    (tmp_path / "my_spec_tools.py").write_text(
        "from mxp_agents.tools import tool\n"
        "from mxp_agents.adapters.testing import TestModel\n\n"
        "@tool\n"
        "def shout(text: str) -> str:\n"
        "    '''Shout.\n\n    Args:\n        text: What to shout.\n    '''\n"
        "    return text.upper()\n\n"
        "def tools():\n    return [shout]\n\n"
        "def model():\n    return TestModel(model_name='custom')\n",
        encoding="utf-8",
    )
    spec = write(
        tmp_path,
        '[agent]\nname = "s"\ntools = ["my_spec_tools:tools"]\nmodel = "my_spec_tools:model"\n',
    )
    loaded = load_spec(str(spec), env={})
    assert [tool.name for tool in loaded.agent.executor.registry.list()] == ["shout"]
    assert loaded.model == "custom (no LLM configured)"


def test_entry_points() -> None:
    assert load_spec("agent_cli_samples:calc_agent", env={}, cwd=HERE).agent.name == "sample-calc"
    assert load_spec("agent_cli_samples:agent", env={}, cwd=HERE).agent.name == "sample-calc"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[agent\nname = 1", "invalid TOML"),
        ("[agent]\nnme = 'x'", "unknown key 'nme' - at $.agent.nme"),
        ("[kernel]\nport = 1", "missing required value - at $.agent.name"),
        ("[agent]\nname = 'x'\nmodel = 'scripted'", 'model = "scripted" needs the answers'),
        (
            "[agent]\nname = 'x'\n[[agent.steps]]\ntext = 'hi'",
            '[[agent.steps]] are only used with model = "scripted"',
        ),
        ("[agent]\nname = 'x'\nmodel = 'scripted'\n[[agent.steps]]\n", "a scripted step needs"),
        ("[agent]\nname = 'x'\ntools = ['no_such_module_xyz:tool']", "tools[0]: cannot import"),
        ("[agent]\nname = 'x'\ntools = ['mxp_agents.cli.tools:nope']", "has no attribute 'nope'"),
        ("[agent]\nname = 'x'\ntools = ['not an entry point']", "is not an entry point"),
        ("[agent]\nname = 'x'\ntools = ['agent_cli_samples:not_an_agent']", "not a tool"),
        (
            "[agent]\nname = 'x'\ntools = ['mxp_agents.cli.tools:calculator', "
            "'mxp_agents.cli.tools:calculator']",
            "more than one tool is named ['calculator']",
        ),
        ("[agent]\nname = 'x'\nmodel = 'agent_cli_samples:not_an_agent'", "not a model adapter"),
        ("[agent]\nname = 'x'\nmodel = 'agent_cli_samples:broken'", "no model configured"),
        ("[agent]\nname = 'x'\ncapabilities = ['Bad Cap']", "agent:"),
        ("[agent]\nname = 'x'\n[kernel]\nport = 'x'", "expected int, got str - at $.kernel.port"),
        ("[agent]\nname = 'x'\n[kernel]\nmax_concurrency = 0", "max_concurrency"),
        ("[agent]\nname = 'x'\n[kernel]\nwho = 1", "unknown key 'who' - at $.kernel.who"),
    ],
)
def test_spec_errors_name_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    monkeypatch.syspath_prepend(str(HERE))
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as caught:
        load_spec(str(path), env={})
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("missing.toml", "missing.toml"),
        ("nothing-like-a-spec", "neither a TOML file"),
        ("no_such_module_xyz:agent", "no module named 'no_such_module_xyz'"),
        ("agent_cli_samples:nope", "has no attribute 'nope'"),
        ("agent_cli_samples:not_an_agent", "gives a int, not an Agent"),
        ("agent_cli_samples:broken", "calling it failed: RuntimeError: no model configured"),
    ],
)
def test_entry_point_errors(spec: str, message: str) -> None:
    with pytest.raises(SpecError) as caught:
        load_spec(spec, env={}, cwd=HERE)
    assert message in str(caught.value)


def test_bad_kernel_value_from_env_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, GOOD)
    monkeypatch.setenv("MXP_AGENTS_KERNEL__PORT", "eighty")
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"error: file {path}: kernel settings: expected int, got str" in err
    assert "at $.kernel.port (from env MXP_AGENTS_KERNEL__PORT)" in err


def test_spec_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = write(tmp_path, "[agent\n")
    assert main(["run", str(bad)]) == 2
    assert f"(from file {bad}, line 1" in capsys.readouterr().err
    unknown = write(tmp_path, "[agent]\nname='x'\ntools=['nope_mod_xyz:t']\n", "u.toml")
    assert main(["run", str(unknown)]) == 2
    err = capsys.readouterr().err
    assert f"file {unknown}: agent: tools[0]: cannot import 'nope_mod_xyz'" in err

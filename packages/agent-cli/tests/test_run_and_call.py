"""``mxp-agents run`` (TOML spec and entry point) and ``mxp-agents call``, as subprocesses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import trio
from agent_cli_helpers import run_cli_async, serving

from mxp.bodies import format_address
from mxp.registry import RegistryClient
from mxp.transport import Endpoint
from mxp_agents.cli import main
from mxp_agents.cli._spec import load_spec
from mxp_agents.kernel import Kernel, call_agent

SPEC = """\
[agent]
name = "toml-calc"
instructions = "You compute."
description = "computes from a TOML spec"
capabilities = ["math.calculate"]
tools = ["mxp_agents.cli.tools:calculator"]
model = "scripted"

[[agent.steps]]
text = "Let me compute that. "
tool_calls = [{ name = "calculator", arguments = { expression = "(17 + 25) * 3" } }]

[[agent.steps]]
text = "The answer is 126."

[kernel]
host = "127.0.0.1"
port = 0
version = "1.2.3"
"""


async def test_toml_spec_registers_and_answers_calls(tmp_path: Path) -> None:
    spec = tmp_path / "agent.toml"
    spec.write_text(SPEC, encoding="utf-8")
    with trio.fail_after(90):
        async with serving(tmp_path, "registry", "--port", "0") as registry:
            registry_address = await registry.address()
            async with serving(tmp_path, "run", str(spec), "--registry", registry_address) as agent:
                first = await agent.readline()
                assert first.startswith("mxp-agents agent toml-calc listening on 127.0.0.1:")
                address = first.rsplit(" ", 1)[1]
                details = [await agent.readline() for _ in range(6)]
                assert f"  spec: file {spec}" in details
                assert "  model: scripted (no LLM configured)" in details
                assert "  capabilities: math.calculate" in details
                assert "  tools: calculator" in details
                assert f"  registry: registered with {registry_address}" in details

                async with Endpoint.bind("127.0.0.1", 0) as endpoint:
                    found = await RegistryClient(endpoint, registry_address).discover(
                        "math.calculate"
                    )
                    assert [(a.name, a.address, a.version) for a in found] == [
                        ("toml-calc", address, "1.2.3")
                    ]
                    assert found[0].description == "computes from a TOML spec"
                    # The script replays from its first step on every call.
                    for _ in range(2):
                        response = await call_agent(endpoint, address, "what is 42 * 3?")
                        assert response.ok
                        assert response.output == "The answer is 126."
                        assert [call.name for call in response.tool_calls] == ["calculator"]

                streamed = await run_cli_async("call", address, "what is 42 * 3?")
                out = streamed.stdout.decode()
                assert streamed.returncode == 0, streamed.stderr
                lines = out.splitlines()
                assert lines[0].startswith("run ")
                assert "on agent 'toml-calc'" in lines[0]
                assert "Let me compute that. " in out
                assert out.index("→ tool calculator") < out.index("← tool calculator ✓ done")
                assert out.index("← tool calculator") < out.index("The answer is 126.")
                assert "tool steps:\n  1. calculator (call_1_1) ok" in out
                assert "completed in 2 step(s)" in out
                assert "output:" not in out  # the streamed text was the output

                listed = await run_cli_async("agents", "--registry", registry_address)
                assert "toml-calc" in listed.stdout.decode()

                status, rest = await agent.stop()
                assert status == 0, agent.stderr()
                assert "mxp-agents agent toml-calc stopped" in rest
            status, _ = await registry.stop()
            assert status == 0
            assert "toml-calc" in registry.stderr()


async def test_entry_point_spec_and_json_call(tmp_path: Path) -> None:
    with trio.fail_after(60):
        async with serving(tmp_path, "run", "agent_cli_samples:calc_agent", "--port", "0") as agent:
            first = await agent.readline()
            assert first.startswith("mxp-agents agent sample-calc listening on 127.0.0.1:")
            address = first.rsplit(" ", 1)[1]
            done = await run_cli_async(
                "call", address, "compute 6 * 7", "--no-stream", "--json", "--timeout", "20"
            )
            assert done.returncode == 0, done.stderr
            response = json.loads(done.stdout)
            assert response["type"] == "response"
            assert response["output"] == "The result is 42."
            assert response["stop_reason"] == "completed"
            assert response["tool_calls"] == [{"id": "c1", "name": "calculator", "is_error": False}]
            assert response["trace_id"] > 0

            plain = await run_cli_async("call", address, "compute 2 ** 10", "--no-stream")
            out = plain.stdout.decode()
            assert plain.returncode == 0, plain.stderr
            assert "output:\nThe result is 1024." in out
            assert "1. calculator (c1) ok" in out

            status, _ = await agent.stop()
            assert status == 0


async def test_entry_point_naming_an_agent_instance_and_env_port(tmp_path: Path) -> None:
    with trio.fail_after(60):
        async with serving(
            tmp_path, "run", "agent_cli_samples:agent", env={"MXP_AGENTS_KERNEL__PORT": "0"}
        ) as agent:
            address = await agent.address()
            async with Endpoint.bind("127.0.0.1", 0) as endpoint:
                response = await call_agent(endpoint, address, "7 * 6")
            assert response.output == "The result is 42."
            status, _ = await agent.stop()
            assert status == 0


async def test_call_without_an_agent_fails_with_status_1() -> None:
    with trio.fail_after(30):
        done = await run_cli_async("call", "127.0.0.1:9", "hello", "--timeout", "0.5")
    assert done.returncode == 1
    assert "no answer from 127.0.0.1:9 within 0.5 s; is an agent running there?" in (
        done.stderr.decode()
    )


async def test_call_of_a_run_that_does_not_complete_exits_1(tmp_path: Path) -> None:
    short = SPEC.replace('[[agent.steps]]\ntext = "The answer is 126."\n', "")
    spec = tmp_path / "short.toml"
    spec.write_text(short, encoding="utf-8")
    loaded = load_spec(str(spec), env={})
    with trio.fail_after(60):
        async with Kernel(loaded.agent, config=loaded.config).running() as kernel:
            done = await run_cli_async("call", format_address(*kernel.address), "6 * 7?")
    out = done.stdout.decode()
    assert done.returncode == 1
    assert "model_error in 2 step(s)" in out
    assert "the scripted model has 1 step(s) but the run asked for step 2" in out


def test_run_with_an_unreachable_registry_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "agent.toml"
    spec.write_text(SPEC, encoding="utf-8")
    monkeypatch.setenv("MXP_AGENTS_KERNEL__REGISTRY_CLIENT__REGISTER_TIMEOUT", "0.3")
    assert main(["run", str(spec), "--registry", "127.0.0.1:9"]) == 1
    err = capsys.readouterr().err
    assert "could not register with the registry at 127.0.0.1:9 within 0.3 s" in err

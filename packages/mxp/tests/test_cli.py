"""The ``mxp`` command line, run as real subprocesses (and in-process for the decode details)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from typing import Any

import pytest
import trio

from mxp._cli import main
from mxp.bodies import format_address
from mxp.registry import Registration, RegistryClient
from mxp.transport import Endpoint

MXP = [sys.executable, "-m", "mxp"]
FIELDS = (
    "message_type",
    "type_byte",
    "flags",
    "flags_decoded",
    "message_id",
    "trace_id",
    "payload_len",
    "payload_hex",
    "checksum",
)


def named(vectors: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(vector for vector in vectors if vector["name"] == name)


def run_mxp(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MXP, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


# -- decode -------------------------------------------------------------------------------------


def test_decode_subprocess_valid_and_invalid(all_vectors: list[dict[str, Any]]) -> None:
    valid = named(all_vectors, "register_json")
    done = run_mxp("decode", valid["hex"])
    assert done.returncode == 0, done.stderr
    assert "AgentRegister (0x01)" in done.stdout
    assert f"0x{valid['fields']['message_id']:016x}" in done.stdout
    assert "payload as JSON:" in done.stdout
    assert '"capabilities": [' in done.stdout

    invalid = named(all_vectors, "checksum_mismatch")
    done = run_mxp("decode", invalid["hex"])
    assert done.returncode == 1
    assert invalid["error"]["display"] in done.stderr
    assert done.stdout == ""


def test_decode_every_vector_in_process(
    all_vectors: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    for vector in all_vectors:
        status = main(["decode", "--json", vector["hex"]])
        out, err = capsys.readouterr()
        if vector["valid"]:
            assert status == 0, vector["name"]
            shown = json.loads(out)
            assert {k: shown[k] for k in FIELDS} == {k: vector["fields"][k] for k in FIELDS}
        else:
            assert status == 1, vector["name"]
            assert vector["error"]["display"] in err
            assert vector["error"]["variant"] in err


def test_decode_payload_views(
    all_vectors: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    hello = named(all_vectors, "call_hello")["hex"]
    assert main(["decode", "0x" + hello[:10] + " " + hello[10:]]) == 0  # prefix, spaces
    out = capsys.readouterr().out
    assert "Call (0x10)" in out
    assert "payload as text:\nhello" in out
    assert main(["decode", named(all_vectors, "event_encrypted_flag")["hex"]]) == 0
    out = capsys.readouterr().out
    assert "ENCRYPTED" in out
    assert "payload as hex:" in out
    assert "00 01 02 ff" in out
    assert main(["decode", "not hex"]) == 2
    assert "not valid hex" in capsys.readouterr().err


# -- demo ---------------------------------------------------------------------------------------


def test_demo_subprocess() -> None:
    done = run_mxp("demo")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for heading in (
        "Registered agents",
        "Discovery",
        "Calls",
        "Deregistration",
        "Endpoint metrics",
    ):
        assert heading in out
    assert "math.add(2, 3)" in out
    assert "demo.echo('hello')" in out
    assert out.count(" ok") >= 6
    assert "the registry now holds 0 agent(s)" in out
    assert out.rstrip().splitlines()[-1].startswith("OK - demo finished in")


# -- registry + ping ----------------------------------------------------------------------------


async def _first_line(stream: trio.abc.ReceiveStream) -> str:
    data = b""
    while b"\n" not in data:
        chunk = await stream.receive_some()
        if not chunk:
            break
        data += chunk
    return data.split(b"\n", 1)[0].decode()


async def _read_all(stream: trio.abc.ReceiveStream) -> bytes:
    data = b""
    while chunk := await stream.receive_some():
        data += chunk
    return data


async def test_registry_and_ping_subprocesses() -> None:
    with trio.fail_after(30):
        process = await trio.lowlevel.open_process(
            [*MXP, "registry", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            assert process.stdout is not None
            assert process.stderr is not None
            first = await _first_line(process.stdout)
            assert first.startswith("mxp registry listening on 127.0.0.1:")
            address = first.rsplit(" ", 1)[1]

            ping = await trio.run_process(
                [*MXP, "ping", address, "--count", "2", "--interval", "0"],
                capture_stdout=True,
                capture_stderr=True,
                check=False,
            )
            out = ping.stdout.decode()
            assert ping.returncode == 0, out + ping.stderr.decode()
            assert out.count(f"reply from {address}: Response") == 2
            assert "2 probes sent, 2 replies, 0 lost" in out

            async with Endpoint.bind("127.0.0.1", 0) as endpoint:
                client = RegistryClient(endpoint, address)
                registration = Registration(
                    id="cli-agent",
                    name="cli",
                    capabilities=["demo.echo"],
                    address=format_address(*endpoint.local_address),
                )
                await client.register(registration)
                assert [a.id for a in await client.discover("demo.echo")] == ["cli-agent"]
                await client.deregister("cli-agent")

            process.send_signal(signal.SIGINT)
            assert await process.wait() == 0
            logs = (await _read_all(process.stderr)).decode()
            assert "agent cli-agent (cli) registered at" in logs
            assert "agent cli-agent (cli) deregistered" in logs
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()


async def test_ping_without_reply_exits_1() -> None:
    with trio.fail_after(30):
        silent = trio.socket.socket(trio.socket.AF_INET, trio.socket.SOCK_DGRAM)
        with silent:
            await silent.bind(("127.0.0.1", 0))
            address = format_address(*silent.getsockname())
            ping = await trio.run_process(
                [*MXP, "ping", address, "--count", "1", "--timeout", "0.3"],
                capture_stdout=True,
                capture_stderr=True,
                check=False,
            )
    out = ping.stdout.decode()
    assert ping.returncode == 1
    assert "timed out after 0.3 s" in out
    assert "1 probes sent, 0 replies, 1 lost" in out


def test_bad_arguments_exit_2() -> None:
    done = run_mxp("ping", "localhost")
    assert done.returncode == 2
    assert "ip:port" in done.stderr

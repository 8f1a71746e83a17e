"""``mxp-agents registry`` and ``mxp-agents agents`` as real subprocesses."""

from __future__ import annotations

import json
from pathlib import Path

import trio
from agent_cli_helpers import run_cli_async, serving

from mxp.bodies import format_address
from mxp.registry import Registration, RegistryClient
from mxp.transport import Endpoint


async def test_registry_lists_a_registered_agent(tmp_path: Path) -> None:
    with trio.fail_after(60):
        async with serving(tmp_path, "registry", "--port", "0") as registry:
            first = await registry.readline()
            assert first.startswith("mxp-agents registry listening on 127.0.0.1:")
            address = first.rsplit(" ", 1)[1]

            empty = await run_cli_async("agents", "--registry", address)
            assert empty.returncode == 0, empty.stderr
            assert f"no agents registered at {address}" in empty.stdout.decode()

            async with Endpoint.bind("127.0.0.1", 0) as endpoint:
                client = RegistryClient(endpoint, address)
                fake = Registration(
                    id="fake-agent-1",
                    name="fake",
                    capabilities=["math.calculate", "files.read"],
                    address=format_address(*endpoint.local_address),
                )
                await client.register(fake)

                listed = await run_cli_async("agents", "--registry", address)
                out = listed.stdout.decode()
                assert listed.returncode == 0, listed.stderr
                assert "1 agent(s)" in out
                for header in ("id", "name", "capabilities", "address", "status", "last heartbeat"):
                    assert header in out
                row = next(line for line in out.splitlines() if "fake-agent-1" in line)
                for cell in ("fake", "math.calculate, files.read", fake.address, "Online", "UTC"):
                    assert cell in row

                by_capability = await run_cli_async(
                    "agents", "--registry", address, "--capability", "files.read", "--json"
                )
                records = json.loads(by_capability.stdout)
                assert [record["id"] for record in records] == ["fake-agent-1"]
                assert records[0]["status"] == "Online"

                none = await run_cli_async(
                    "agents", "--registry", address, "--capability", "nobody.has.this"
                )
                assert "no agents with capability 'nobody.has.this'" in none.stdout.decode()
                await client.deregister("fake-agent-1")

            status, rest = await registry.stop()
            assert status == 0
            assert "mxp-agents registry stopped" in rest
            log = registry.stderr()
            assert "fake-agent-1" in log
            assert "SIGINT received: stopping" in log


async def test_agents_without_a_registry_fails_with_status_1() -> None:
    with trio.fail_after(30):
        done = await run_cli_async("agents", "--registry", "127.0.0.1:9", "--timeout", "0.3")
    assert done.returncode == 1
    assert "no reply from the registry at 127.0.0.1:9" in done.stderr.decode()


async def test_bad_registry_address_is_a_usage_error() -> None:
    done = await run_cli_async("agents", "--registry", "localhost")
    assert done.returncode == 2
    assert "--registry: expected 'ip:port' or '[ipv6]:port', got 'localhost'" in (
        done.stderr.decode()
    )

"""Hot reload of Rego bundles: validate first, never replace a working policy with a broken
one, report where it broke, count generations, and a watcher that polls the directory."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest
import trio
import trio.testing

from mxp_agents.policy import (
    DecisionKind,
    InvokeTool,
    PolicyContext,
    PolicyError,
    PolicyLoadError,
    PolicyRequest,
)
from mxp_agents.policy._rego import RegoBundle, RegoEngine

AGENT = "0190c3a0-0000-7000-8000-000000000001"
PAYMENTS = Path(__file__).parent / "rego" / "payments"
BIG = PolicyRequest(AGENT, InvokeTool("pay", arguments={"amount": 500}), PolicyContext())
SMALL = PolicyRequest(AGENT, InvokeTool("pay", arguments={"amount": 5}), PolicyContext())


@pytest.fixture
def bundle_dir(tmp_path: Path) -> Path:
    target = tmp_path / "payments"
    shutil.copytree(PAYMENTS, target)
    return target


def edit(path: Path, text: str) -> None:
    """Rewrite ``path`` and move its mtime on, so even a coarse clock sees the change."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text)
    os.utime(path, ns=(before + 10**9, before + 10**9))


def set_limit(bundle_dir: Path, limit: int) -> None:
    edit(bundle_dir / "limits.json", f'{{"limits": {{"pay": {limit}}}}}')


async def test_reload_with_a_good_change_switches(bundle_dir: Path) -> None:
    engine = RegoEngine.from_bundle(bundle_dir)
    seen: list[int] = []
    engine.on_reload.append(seen.append)
    assert (await engine.evaluate(BIG)).is_escalate
    set_limit(bundle_dir, 1000)
    assert await engine.reload() == 2
    assert engine.generation == 2
    assert seen == [2]
    assert engine.last_error is None
    assert (await engine.evaluate(BIG)).is_allow


async def test_a_broken_module_never_replaces_the_working_policy(
    bundle_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = RegoEngine.from_bundle(bundle_dir)
    seen: list[int] = []
    engine.on_reload.append(seen.append)
    source = (bundle_dir / "policy.rego").read_text()
    edit(bundle_dir / "policy.rego", source + "\ndecision := {\n")
    with (
        caplog.at_level(logging.ERROR, "mxp_agents.policy.rego"),
        pytest.raises(PolicyLoadError, match=r"policy\.rego:\d+:\d+: ") as caught,
    ):
        await engine.reload()
    assert engine.last_error is caught.value
    assert "generation 1 keeps answering" in caplog.text
    assert "policy.rego:" in caplog.text
    assert engine.generation == 1
    assert seen == []
    assert (await engine.evaluate(BIG)).is_escalate  # the old policy still answers
    edit(bundle_dir / "policy.rego", source)
    assert await engine.reload() == 2
    assert engine.last_error is None


async def test_broken_data_is_refused_with_file_and_line(bundle_dir: Path) -> None:
    engine = RegoEngine.from_bundle(bundle_dir)
    edit(bundle_dir / "limits.json", '{"limits":\n  {"pay": 10,}}')
    with pytest.raises(PolicyLoadError, match=r"limits\.json:2:14: invalid JSON"):
        await engine.reload()
    assert (await engine.evaluate(SMALL)).is_allow


async def test_smoke_samples_gate_the_swap(bundle_dir: Path) -> None:
    engine = RegoEngine.from_bundle(bundle_dir, samples=[SMALL, (BIG, "escalate")])
    set_limit(bundle_dir, 1000)  # compiles, but BIG no longer escalates
    with pytest.raises(
        PolicyLoadError, match=r"sample 1 .*expected escalate, the policy answered allow"
    ):
        await engine.reload()
    edit(
        bundle_dir / "policy.rego",
        'package mxp\nimport rego.v1\ndecision := {"allow": true} if false\n',
    )
    set_limit(bundle_dir, 100)
    with pytest.raises(PolicyLoadError, match=r"sample 0 \(tool `pay`\): .*undefined"):
        await engine.reload()
    assert engine.generation == 1
    assert (await engine.evaluate(BIG)).kind is DecisionKind.ESCALATE


def test_samples_are_checked_at_start_too(bundle_dir: Path) -> None:
    with pytest.raises(PolicyLoadError, match="sample 0"):
        RegoEngine.from_bundle(bundle_dir, samples=[(BIG, "allow")])
    with pytest.raises(PolicyError, match="expected kind allow, deny or escalate"):
        RegoEngine.from_bundle(bundle_dir, samples=[(BIG, "maybe")])


async def test_in_memory_bundles_reload_from_a_new_bundle() -> None:
    allow = RegoBundle({"p.rego": 'package mxp\nimport rego.v1\ndecision := {"allow": true}\n'})
    deny = RegoBundle(
        {"p.rego": 'package mxp\nimport rego.v1\ndecision := {"deny": true, "reason": "off"}\n'}
    )
    engine = RegoEngine(allow)
    with pytest.raises(PolicyLoadError, match="built in memory"):
        await engine.reload()
    assert await engine.reload(deny) == 2
    assert (await engine.evaluate(SMALL)).reason == "off"
    with pytest.raises(PolicyError, match="directory can be watched"):
        await engine.check()


async def test_a_failing_callback_is_reported_but_the_reload_stands(bundle_dir: Path) -> None:
    engine = RegoEngine.from_bundle(bundle_dir)
    calls: list[int] = []

    def broken(generation: int) -> None:
        raise RuntimeError("cache down")

    engine.on_reload.extend([broken, calls.append])
    set_limit(bundle_dir, 1000)
    with pytest.raises(PolicyError, match="generation 2 is live but an on_reload callback failed"):
        await engine.reload()
    assert engine.generation == 2
    assert calls == [2]


async def test_check_reloads_only_on_change_and_not_twice_for_the_same_breakage(
    bundle_dir: Path,
) -> None:
    engine = RegoEngine.from_bundle(bundle_dir)
    assert await engine.check() is False
    edit(bundle_dir / "extra.rego", "package mxp\nthis is not rego\n")
    assert await engine.check() is False
    assert engine.last_error is not None
    engine.last_error = None
    assert await engine.check() is False
    assert engine.last_error is None
    edit(bundle_dir / "extra.rego", "package extra\n\nlimit := 3\n")
    assert await engine.check() is True
    assert engine.generation == 2
    assert await engine.check() is False


async def test_watcher_picks_up_changes_and_stops_when_cancelled(bundle_dir: Path) -> None:
    # The watcher's file checks run in worker threads, which MockClock's autojump cannot see,
    # so this one test uses the real clock with a short poll and waits for the reload event.
    engine = RegoEngine.from_bundle(bundle_dir)
    reloaded = trio.Event()
    engine.on_reload.append(lambda generation: reloaded.set())
    async with trio.open_nursery() as nursery:
        scope = await nursery.start(engine.watch, 0.01)
        set_limit(bundle_dir, 1000)
        with trio.fail_after(10):
            await reloaded.wait()
        assert engine.generation == 2
        assert (await engine.evaluate(BIG)).is_allow
        scope.cancel()
    assert scope.cancelled_caught  # the watcher ended through its cancel scope


async def test_watch_interval_must_be_positive(bundle_dir: Path) -> None:
    engine = RegoEngine.from_bundle(bundle_dir)
    with pytest.raises(ValueError, match="interval"):
        await engine.watch(0.0)

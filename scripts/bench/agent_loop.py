"""Benchmark of the agent loop: one run = model call -> one tool call -> model call.

Usage: python scripts/bench/agent_loop.py [--json] [--quick]

The model is a `ScriptedModel` (prepared answers, a few microseconds a call) and the tool an
async ``add``, so the figures are the kernel's own cost. Measured in one process:

- baseline: the same work without the loop — ``model.complete``, ``executor.execute``,
  ``model.complete`` — so the loop's own overhead is the difference;
- ``Agent.run`` (and ``Agent.run_stream``, and ``Agent.run`` with the OpenTelemetry SDK recording
  into an in-memory exporter, for information): median and p99 microseconds per run, runs/s;
- 1,000 concurrent runs through one Agent (one nursery): wall time;
- ``import mxp_agents.kernel`` in a fresh interpreter (``-X importtime``, bytecode cached),
  beside the import of its dependencies alone;
- peak RSS of this process.

Goals: <= 150 us per run, 1,000 concurrent runs <= 1 s, import <= 200 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import trio
from _common import emit_json, percentile, print_table, verdict

from mxp_agents.adapters import ModelRequest
from mxp_agents.adapters.testing import ScriptedModel, Step
from mxp_agents.kernel import Agent
from mxp_agents.primitives import Message, Role, ToolCall
from mxp_agents.tools import ToolExecutor, ToolRegistry, tool

GOAL_RUN_US = 150.0
GOAL_CONCURRENT_S = 1.0
GOAL_IMPORT_MS = 200.0
CONCURRENT = 1_000
DEPENDENCIES = "trio, msgspec, mxp, mxp_agents.adapters, mxp_agents.tools, mxp_agents.prompts"

CALL = ToolCall("call_1", "add", {"a": 2, "b": 3})
TOOL_STEP = Step.tool_calls(CALL)
TEXT_STEP = Step.text("2 + 3 = 5")


@tool
async def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: The first.
        b: The second.
    """
    return a + b


def make_agent(runs: int) -> tuple[Agent[str], ScriptedModel]:
    model = ScriptedModel([TOOL_STEP, TEXT_STEP] * runs)
    agent = Agent("bench", instructions="You add numbers.", model=model, tools=[add])
    return agent, model


async def latencies(run: Callable[[], Awaitable[object]], number: int, repeat: int) -> list[float]:
    """Microseconds of each of ``number * repeat`` calls of ``run`` (after a warm-up)."""
    for _ in range(min(number, 200)):
        await run()
    samples: list[float] = []
    clock = time.perf_counter_ns
    for _ in range(repeat):
        for _ in range(number):
            start = clock()
            await run()
            samples.append((clock() - start) / 1000)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    median = statistics.median(ordered)
    return {
        "median_us": median,
        "p99_us": percentile(ordered, 0.99),
        "runs_per_s": 1e6 / statistics.fmean(ordered),
    }


async def measure_loop(number: int, repeat: int) -> dict[str, dict[str, float]]:
    total = (number * repeat + 200) * 2
    # Baseline: the loop's work done by hand, without the loop.
    base_model = ScriptedModel([TOOL_STEP, TEXT_STEP] * total)
    executor = ToolExecutor(ToolRegistry([add]))
    request = ModelRequest((Message.system("You add numbers."), Message.user("What is 2 + 3?")))

    async def bare() -> None:
        await base_model.complete(request)
        await executor.execute(CALL)
        await base_model.complete(request)
        base_model.requests.clear()

    agent, model = make_agent(total)

    async def run() -> None:
        await agent.run("What is 2 + 3?")
        model.requests.clear()

    stream_agent, stream_model = make_agent(total)

    async def streamed() -> None:
        async with stream_agent.run_stream("What is 2 + 3?") as events:
            async for _ in events:
                pass
        stream_model.requests.clear()

    return {
        "baseline": summary(await latencies(bare, number, repeat)),
        "run": summary(await latencies(run, number, repeat)),
        "run_stream": summary(await latencies(streamed, number, repeat)),
    }


async def measure_traced(number: int, repeat: int) -> dict[str, float] | None:
    """``Agent.run`` with the OpenTelemetry SDK recording every span (installed for good)."""
    try:
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    except ImportError:
        return None
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    agent, model = make_agent((number * repeat + 200) * 2)

    async def run() -> None:
        await agent.run("What is 2 + 3?")
        model.requests.clear()
        exporter.clear()

    try:
        return summary(await latencies(run, number, repeat))
    finally:
        provider.shutdown()


async def measure_concurrent(runs: int) -> float:
    """Seconds for ``runs`` concurrent runs through one Agent."""

    def answer(request: ModelRequest) -> Step:
        return TEXT_STEP if request.messages[-1].role is Role.TOOL else TOOL_STEP

    model = ScriptedModel([Step.respond(answer)] * (2 * runs + 2))
    agent = Agent("bench", instructions="You add numbers.", model=model, tools=[add])
    await agent.run("warm up")
    finished = 0

    async def one(index: int) -> None:
        nonlocal finished
        result = await agent.run(f"What is 2 + {index}?")
        finished += result.ok

    start = time.perf_counter()
    async with trio.open_nursery() as nursery:
        for index in range(runs):
            nursery.start_soon(one, index)
    seconds = time.perf_counter() - start
    assert finished == runs, f"{runs - finished} runs did not complete"
    return seconds


_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)$")


def import_ms(statement: str, modules: str, env: dict[str, str]) -> tuple[float, float]:
    """Import times (ms) in a fresh interpreter running ``statement``: the cumulative time of the
    top-level ``modules`` (comma-separated), and the self time of the kernel's own modules."""
    output = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stderr
    wanted = set(modules.split(", "))
    total = own = 0
    for line in output.splitlines():
        match = _IMPORT_LINE.match(line)
        if match is None:
            continue
        self_us, cumulative_us, indent, name = match.groups()
        if not indent and name in wanted:
            total += int(cumulative_us)
        if name.startswith("mxp_agents.kernel"):
            own += int(self_us)
    return total / 1000, own / 1000


def measure_imports(repeat: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as cache:
        env = {key: value for key, value in os.environ.items()
               if key != "PYTHONDONTWRITEBYTECODE"}  # fmt: skip
        env["PYTHONPYCACHEPREFIX"] = cache  # cached bytecode, as in an installed package
        kernel = "import mxp_agents.kernel"
        deps = f"import {DEPENDENCIES}"
        import_ms(kernel, "mxp_agents.kernel", env)  # compile and cache the bytecode
        kernel_runs = [import_ms(kernel, "mxp_agents.kernel", env) for _ in range(repeat)]
        deps_ms = statistics.median(import_ms(deps, DEPENDENCIES, env)[0] for _ in range(repeat))
    return {
        "kernel_ms": statistics.median(total for total, _ in kernel_runs),
        "dependencies_ms": deps_ms,
        "own_ms": statistics.median(own for _, own in kernel_runs),
    }


def measure(quick: bool) -> dict[str, Any]:
    number = 1_000 if quick else 5_000
    repeat = 3 if quick else 5
    loop = trio.run(measure_loop, number, repeat)
    concurrent_s = min(trio.run(measure_concurrent, CONCURRENT) for _ in range(3 if quick else 5))
    imports = measure_imports(3 if quick else 7)
    traced = trio.run(measure_traced, number, repeat)
    if traced is not None:
        loop["run_with_otel_sdk"] = traced
    peak_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run_us = loop["run"]["median_us"]
    base_us = loop["baseline"]["median_us"]
    return {
        "benchmark": "agent_loop",
        "python": platform.python_version(),
        "runs_measured": number * repeat,
        "results": loop,
        "loop_overhead_us": run_us - base_us,
        "run_vs_baseline": run_us / base_us,
        "concurrent_runs": CONCURRENT,
        "concurrent_seconds": concurrent_s,
        "imports": imports,
        "peak_rss_mib": peak_rss_kib / 1024,
        "goals": {
            "run_us_max": GOAL_RUN_US,
            "run_met": run_us <= GOAL_RUN_US,
            "concurrent_seconds_max": GOAL_CONCURRENT_S,
            "concurrent_met": concurrent_s <= GOAL_CONCURRENT_S,
            "import_ms_max": GOAL_IMPORT_MS,
            "import_met": imports["kernel_ms"] <= GOAL_IMPORT_MS,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark of the agent loop.")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--quick", action="store_true", help="fewer iterations (noisier)")
    options = parser.parse_args()
    data = measure(options.quick)
    if options.json:
        emit_json(data)
        return
    results: dict[str, dict[str, float]] = data["results"]
    base = results["baseline"]["median_us"]
    rows = [
        (label, r["median_us"], r["p99_us"], f"{r['runs_per_s']:,.0f}",
         f"{r['median_us'] / base:.1f}x")
        for label, r in results.items()
    ]  # fmt: skip
    print_table(
        f"Agent loop, us per run (model -> tool -> model), Python {data['python']}, "
        f"{data['runs_measured']:,} runs",
        ["case", "median", "p99", "runs/s", "vs baseline"],
        rows,
    )
    goals, imports = data["goals"], data["imports"]
    print(f"loop overhead: {data['loop_overhead_us']:.1f} us per run over the baseline")
    print(
        f"goal: <= {GOAL_RUN_US:.0f} us per run: {results['run']['median_us']:.1f} us "
        f"({verdict(goals['run_met'])})"
    )
    print(
        f"goal: {CONCURRENT:,} concurrent runs through one Agent <= {GOAL_CONCURRENT_S:.0f} s: "
        f"{data['concurrent_seconds']:.3f} s ({verdict(goals['concurrent_met'])})"
    )
    print(
        f"goal: import mxp_agents.kernel <= {GOAL_IMPORT_MS:.0f} ms: {imports['kernel_ms']:.1f} ms "
        f"({verdict(goals['import_met'])}); its dependencies alone: "
        f"{imports['dependencies_ms']:.1f} ms; the kernel's own modules (self time): "
        f"{imports['own_ms']:.1f} ms"
    )
    print(f"peak RSS: {data['peak_rss_mib']:.1f} MiB")


if __name__ == "__main__":
    main()

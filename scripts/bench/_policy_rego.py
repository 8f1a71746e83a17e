"""Benchmark of the Rego engine: decisions/s and p50/p99 µs for a realistic policy (the
payments bundle of the test suite: data-driven limits and approvers, tool arguments, tags,
metadata), against raw regopy in the same process.

Rows:
- ``RegoEngine.evaluate`` (ours, on the trio thread): input built from the `PolicyRequest`,
  compiled bundle queried, decision object checked into a `PolicyDecision`.
- the same decision run through ``trio.to_thread.run_sync`` (why evaluation stays inline).
- baseline: regopy's public API on a compiled bundle, ``set_input(Input(dict))`` +
  ``query_bundle_entrypoint`` (+ its JSON parse), input dict prepared in advance.
- baseline: regopy's uncompiled ``Interpreter.query("data.mxp.decision")`` per request.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import msgspec
import regopy  # pyright: ignore[reportMissingTypeStubs]
import trio

from mxp_agents.policy import InvokeTool, ModelInference, PolicyContext, PolicyRequest
from mxp_agents.policy._rego import RegoEngine

BUNDLE = Path(__file__).resolve().parents[2] / "packages/agent-policy/tests/rego/payments"
AGENT = "0190c3a0-0000-7000-8000-000000000001"


def _requests() -> list[PolicyRequest]:
    context = PolicyContext({"run_id": "r-17", "run_kind": "day", "caller": "ui"}, ("prod",))
    return [
        PolicyRequest(AGENT, InvokeTool("pay", arguments={"amount": 120, "to": "acme"}), context),
        PolicyRequest(AGENT, InvokeTool("pay", arguments={"amount": 12, "to": "acme"}), context),
        PolicyRequest(AGENT, InvokeTool("search", arguments={"q": "invoices 2024"}), context),
        PolicyRequest(AGENT, ModelInference("openai", "gpt-4o-mini"), context),
    ]


def _stats(samples_ns: list[int]) -> tuple[float, float, float]:
    ordered = sorted(samples_ns)
    p50 = ordered[len(ordered) // 2] / 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] / 1000
    return p50, p99, 1e9 / statistics.fmean(ordered)


async def _ours(engine: RegoEngine, requests: list[PolicyRequest], n: int) -> list[int]:
    samples: list[int] = []
    clock = time.perf_counter_ns
    for i in range(n):
        request = requests[i % len(requests)]
        start = clock()
        await engine.evaluate(request)
        samples.append(clock() - start)
    return samples


async def _threaded(engine: RegoEngine, requests: list[PolicyRequest], n: int) -> list[int]:
    samples: list[int] = []
    clock = time.perf_counter_ns
    decide = engine._decide  # pyright: ignore[reportPrivateUsage]
    runner, compiled = engine._runner, engine._policy.compiled  # pyright: ignore[reportPrivateUsage]
    for i in range(n):
        request = requests[i % len(requests)]
        start = clock()
        await trio.to_thread.run_sync(decide, runner, compiled, request)
        samples.append(clock() - start)
    return samples


def _raw(engine: RegoEngine, inputs: list[dict[str, Any]], n: int, *, compiled: bool) -> list[int]:
    rego: Any = regopy.Interpreter()
    bundle: Any = None
    for name, source in engine.bundle.modules.items():
        rego.add_module(name, source)
    rego.add_data_json(engine.bundle.data_json().decode())
    if compiled:
        bundle = rego.build(None, ["mxp/decision"])
        rego = regopy.Interpreter()
    samples: list[int] = []
    clock = time.perf_counter_ns
    for i in range(n):
        value = inputs[i % len(inputs)]
        start = clock()
        rego.set_input(regopy.Input(value))
        if compiled:
            rego.query_bundle_entrypoint(bundle, "mxp/decision")
        else:
            rego.query("data.mxp.decision")
        samples.append(clock() - start)
    return samples


def measure(*, quick: bool) -> dict[str, Any]:
    """Figures for `scripts/bench/policy.py` (see the module docstring)."""
    n = 2_000 if quick else 20_000
    repeat = 3 if quick else 5
    engine = RegoEngine.from_bundle(BUNDLE)
    requests = _requests()
    inputs = [msgspec.to_builtins(r) for r in requests]
    runs: dict[str, list[tuple[float, float, float]]] = {
        "ours": [],
        "thread": [],
        "bundle": [],
        "query": [],
    }
    for _ in range(repeat):
        runs["ours"].append(_stats(trio.run(_ours, engine, requests, n)))
        runs["thread"].append(_stats(trio.run(_threaded, engine, requests, n // 4)))
        runs["bundle"].append(_stats(_raw(engine, inputs, n, compiled=True)))
        runs["query"].append(_stats(_raw(engine, inputs, max(50, n // 40), compiled=False)))
    figures: dict[str, Any] = {}
    for key, values in runs.items():
        p50, p99, rate = (statistics.median(v[i] for v in values) for i in range(3))
        figures[f"{key}_p50_us"], figures[f"{key}_p99_us"], figures[f"{key}_per_s"] = p50, p99, rate
    base = figures["bundle_p50_us"]
    labels = {
        "ours": "RegoEngine.evaluate (inline)",
        "thread": "same, via trio.to_thread",
        "bundle": "regopy Input + query_bundle_entrypoint",
        "query": "regopy Input + query (uncompiled)",
    }
    rows = [
        [
            labels[key],
            round(figures[f"{key}_per_s"]),
            round(figures[f"{key}_p50_us"], 1),
            round(figures[f"{key}_p99_us"], 1),
            round(figures[f"{key}_p50_us"] / base, 2),
        ]
        for key in runs
    ]
    return {
        "title": "Rego engine (regopy, payments bundle): decisions/s, p50/p99 µs",
        "header": ["path", "decisions/s", "p50 µs", "p99 µs", "p50 ratio to regopy bundle"],
        "rows": rows,
        "json": figures,
        "goals": [("<= 150 µs per Rego decision (p50)", figures["ours_p50_us"] <= 150)],
    }


if __name__ == "__main__":
    import sys

    result = measure(quick="--quick" in sys.argv)
    print(result["title"])
    print("  ", result["header"])
    for row in result["rows"]:
        print("  ", row)
    for goal, ok in result["goals"]:
        print("  ", goal, "met" if ok else "NOT met")

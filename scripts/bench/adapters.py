"""Benchmark of the model adapters: per-call overhead against the raw SDK, local tokens/s.

Usage: python scripts/bench/adapters.py [--json] [--quick] [--no-local]

For each provider (OpenAI, Anthropic, Gemini, Ollama) one loopback fake server answers both
sides with the same scripted reply, in the provider's real wire format:

- baseline: the same request sent straight through the provider's SDK client (the harness's
  ``direct_call``: no mapping of the request, no response types of ours);
- the adapter: ``model.complete(request)`` (request mapping, response mapping, usage, cost).

Calls alternate between the two in blocks, so machine noise hits both alike; the figures are
medians of per-call wall times, and the overhead is adapter / baseline - 1. The local model
(SmolLM2-135M on llama-cpp-python) is measured in output tokens per second, streaming and not,
beside llama-cpp-python's own ``create_chat_completion`` on the same loaded model.

Goal: <= 10 % overhead per call for every provider adapter.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import trio
from _common import emit_json, print_table, verdict

from mxp_agents.adapters import NO_RETRY, ModelRequest, UsageUpdate
from mxp_agents.adapters.testing import conformance
from mxp_agents.adapters.testing.conformance import Reply
from mxp_agents.primitives import Message, Usage

GOAL_OVERHEAD = 0.10
TEXT = "The capital of France is Paris. " * 4
REQUEST = ModelRequest(
    (Message.system("You answer briefly."), Message.user("What is the capital of France?")),
    max_output_tokens=64,
)
PROVIDERS = ("openai", "anthropic", "gemini", "ollama")


def _harness(name: str) -> conformance.Harness:
    from mxp_agents.adapters.testing import fakes

    classes = {
        "openai": "OpenAIHarness",
        "anthropic": "AnthropicHarness",
        "gemini": "GeminiHarness",
        "ollama": "OllamaHarness",
    }
    harness: conformance.Harness = getattr(fakes, classes[name])()
    return harness


async def _timed(call: Callable[[], Awaitable[object]], samples: list[float]) -> None:
    start = time.perf_counter()
    await call()
    samples.append(time.perf_counter() - start)


async def measure_provider(name: str, calls: int, block: int) -> dict[str, Any]:
    harness = _harness(name)
    reply = Reply(text=TEXT, usage=Usage(input_tokens=20, output_tokens=40))
    direct: list[float] = []
    adapter: list[float] = []
    async with harness.model([reply], retry=NO_RETRY, cycle=True) as model:
        for _ in range(block):  # warm up both paths (connections, imports, caches)
            await harness.direct_call(REQUEST)
            await model.complete(REQUEST)
        direct.clear()
        for _ in range(calls // block):
            for _ in range(block):
                await _timed(lambda: harness.direct_call(REQUEST), direct)
            for _ in range(block):
                await _timed(lambda: model.complete(REQUEST), adapter)
    base = statistics.median(direct) * 1e6
    ours = statistics.median(adapter) * 1e6
    overhead = ours / base - 1
    return {
        "provider": name,
        "sdk_us": round(base, 1),
        "adapter_us": round(ours, 1),
        "overhead": round(overhead, 4),
        "goal_met": overhead <= GOAL_OVERHEAD,
    }


async def measure_local(runs: int) -> dict[str, Any] | None:
    from mxp_agents.adapters import local
    from mxp_agents.adapters.testing.fakes import LocalHarness

    if not local.local_model_available():
        return None
    request = ModelRequest((Message.user("Tell me about the sea."),), max_output_tokens=64)
    harness = LocalHarness()
    async with harness.model([]) as model:
        await model.complete(request)  # load once, outside the figures

        async def rate(call: Callable[[], Awaitable[int]]) -> float:
            rates: list[float] = []
            for _ in range(runs):
                start = time.perf_counter()
                tokens = await call()
                rates.append(tokens / (time.perf_counter() - start))
            return statistics.median(rates)

        async def direct() -> int:
            answer: Any = await harness.direct_call(request)
            return int(answer["usage"]["completion_tokens"])

        async def complete() -> int:
            return (await model.complete(request)).usage.output_tokens

        async def streamed() -> int:
            tokens = 0
            async for event in model.stream(request):
                if isinstance(event, UsageUpdate):
                    tokens += event.usage.output_tokens
            return tokens

        baseline = await rate(direct)
        whole = await rate(complete)
        stream = await rate(streamed)
    return {
        "llama_cpp_tokens_s": round(baseline, 1),
        "complete_tokens_s": round(whole, 1),
        "stream_tokens_s": round(stream, 1),
        "complete_ratio": round(whole / baseline, 3),
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    calls, block = (200, 20) if args.quick else (1000, 50)
    providers = [await measure_provider(name, calls, block) for name in PROVIDERS]
    local = None if args.no_local else await measure_local(3 if args.quick else 5)
    return {
        "python": platform.python_version(),
        "calls_per_provider": calls,
        "providers": providers,
        "local": local,
        "goal_overhead": GOAL_OVERHEAD,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--quick", action="store_true", help="fewer calls (a smoke run)")
    parser.add_argument("--no-local", action="store_true", help="skip the local model")
    args = parser.parse_args()
    result = trio.run(main_async, args)
    if args.json:
        emit_json(result)
        return
    rows = [
        (
            p["provider"],
            p["sdk_us"],
            p["adapter_us"],
            f"{p['overhead']:+.1%}",
            verdict(p["goal_met"]),
        )
        for p in result["providers"]
    ]
    print_table(
        f"Per-call overhead against the raw SDK, same fake server, {result['calls_per_provider']} "
        "calls each (median)",
        ("provider", "SDK µs", "adapter µs", "overhead", f"≤ {GOAL_OVERHEAD:.0%}"),
        rows,
    )
    local = result["local"]
    if local is None:
        print("local model: not installed (or --no-local); skipped")
        return
    print_table(
        "Local model (SmolLM2-135M-Instruct Q4_1, llama-cpp-python), output tokens/s (median)",
        ("llama-cpp direct", "LocalModel.complete", "LocalModel.stream", "complete / direct"),
        [
            (
                local["llama_cpp_tokens_s"],
                local["complete_tokens_s"],
                local["stream_tokens_s"],
                f"{local['complete_ratio']:.2f}",
            )
        ],
    )


if __name__ == "__main__":
    main()

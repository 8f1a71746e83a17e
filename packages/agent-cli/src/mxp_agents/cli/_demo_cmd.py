"""``mxp-agents demo``: a registry, a worker and a coordinator in one process on 127.0.0.1.

The coordinator gets a task over MXP (streamed), discovers the worker by capability through the
registry and delegates to it; the worker runs two real tools. The answer is printed, then the
OpenTelemetry trace as a tree, then the checks. Exit 0 only when every check passed.

The model is the configured one (``[model]`` / ``MXP_AGENTS_MODEL__*``; with no API key, the
local SmolLM2 model), served by a third agent over MXP that both agents call (`MxpModel`), or
the scripted models when asked (``--model scripted``).
"""

from __future__ import annotations

import tempfile
import time
from contextlib import AsyncExitStack, aclosing
from pathlib import Path
from typing import TYPE_CHECKING, Final

import trio
from rich.markup import escape

from mxp_agents.cli._demo_agents import (
    DEMO_ANSWER_NUMBER,
    DEMO_FILE,
    DEMO_NOTES,
    DEMO_TASK,
    WORKER_CAPABILITIES,
    build_agents,
    coordinator_model,
    worker_model,
)
from mxp_agents.cli._demo_checks import Check, served_model_checks, trace_checks
from mxp_agents.cli._errors import CommandFailed, UsageError
from mxp_agents.cli._output import stdout_console
from mxp_agents.cli._render import EventPrinter, format_trace_id, render_response
from mxp_agents.cli._spec_file import MODEL_SCRIPTED
from mxp_agents.cli._spec_model import build_model, describe_model
from mxp_agents.cli._trace import SpanCapture
from mxp_agents.cli._trace_tree import render_trace
from mxp_agents.kernel import MxpModel, model_capability, serve_model

if TYPE_CHECKING:
    from rich.console import Console

    from mxp.transport import Endpoint
    from mxp_agents.adapters import ModelAdapter
    from mxp_agents.kernel import Agent, CallResponse

__all__ = ["run_demo"]

_CALL_TIMEOUT: Final = 30.0
_LIVE_CALL_TIMEOUT: Final = 300.0  # a small local model on a small machine takes its time
MODEL_AUTO: Final = "auto"


def run_demo(*, model: str, workdir: str | None) -> int:
    """Run the demo; 0 when the answer and the trace are as expected, else 1.

    Example:
        >>> run_demo(model="scripted", workdir=None)  # doctest: +SKIP
        0
    """
    started = time.perf_counter()
    scripted = model == MODEL_SCRIPTED
    served: ModelAdapter | None = None
    if scripted:
        models: tuple[ModelAdapter, ModelAdapter] = (worker_model(), coordinator_model())
        label = "scripted (no LLM configured): decisions are taken from the task by rules"
    else:
        served = _live_model(model)
        capability = model_capability(served.provider, served.model_name)
        # Both agents call the one served model over MXP, found through the registry.
        models = (MxpModel(capability, timeout=240.0), MxpModel(capability, timeout=240.0))
        label = f"{describe_model(served)}, served over MXP as {capability}"
    folder = _prepare_folder(workdir)
    capture = SpanCapture()
    capture.install()
    worker, coordinator = build_agents(
        folder, worker=models[0], coordinator=models[1], live=not scripted
    )
    console = stdout_console()
    console.print("[bold]MXP Agents demo[/]: a registry and agents in one process on 127.0.0.1")
    console.print(f"model: {label}")
    try:
        response = trio.run(_mesh, console, worker, coordinator, folder, served)
    finally:
        capture.close()
    console.print()
    spans = capture.spans()
    console.print(render_trace(spans, title="trace (OpenTelemetry spans, in-memory exporter)"))
    if scripted:
        checks = [Check("the call completed", response.ok, response.stop_reason)]
    else:  # a live model decides how its runs end; the mechanics are what is checked
        console.print(f"the coordinator's run ended: {response.stop_reason} (the model's choice)")
        checks = served_model_checks(spans)
    if scripted:
        answer = str(response.output)
        checks.append(Check(f"the answer has {DEMO_ANSWER_NUMBER}", DEMO_ANSWER_NUMBER in answer))
        checks.append(Check(f"the answer quotes {DEMO_FILE}", "32-byte header" in answer))
    checks += trace_checks(spans, response.trace_id)
    console.print()
    for check in checks:
        mark = "[green]✓[/]" if check.passed else "[red]✗[/]"
        detail = f" [dim]({escape(check.detail)})[/]" if check.detail else ""
        console.print(f"{mark} {escape(check.name)}{detail}")
    elapsed = time.perf_counter() - started
    if all(check.passed for check in checks):
        console.print(f"[bold green]OK[/] - demo finished in {elapsed:.2f} s")
        return 0
    failed = sum(not check.passed for check in checks)
    raise CommandFailed(f"demo: {failed} check(s) failed (after {elapsed:.2f} s)")


def _prepare_folder(workdir: str | None) -> Path:
    if workdir is None:
        folder = Path(tempfile.mkdtemp(prefix="mxp-agents-demo-"))
    else:
        folder = Path(workdir).resolve()
        if folder.exists() and not folder.is_dir():
            raise UsageError(f"--workdir {workdir!r} is not a folder")
        folder.mkdir(parents=True, exist_ok=True)
    (folder / DEMO_FILE).write_text(DEMO_NOTES, encoding="utf-8")
    return folder


def _live_model(model: str) -> ModelAdapter:
    """The model ``--model`` names: the configured one for ``auto``, else an entry point."""
    if model != MODEL_AUTO:
        return build_model(model, [], where="--model")
    from mxp_agents.adapters import ModelSettings, ModelUnavailableError, model_from_settings
    from mxp_agents.config import ConfigError, load_section

    try:
        return model_from_settings(load_section(ModelSettings, "model"))
    except (ModelUnavailableError, ConfigError) as error:
        raise CommandFailed(
            f"demo: {error}; or run the demo without an LLM: mxp-agents demo --model scripted"
        ) from None


async def _mesh(
    console: Console,
    worker: Agent[str],
    coordinator: Agent[str],
    folder: Path,
    served: ModelAdapter | None,
) -> CallResponse:
    from mxp.bodies import format_address
    from mxp.registry import RegistryServer
    from mxp.transport import Endpoint
    from mxp_agents.kernel import Kernel, KernelConfig

    async with RegistryServer.open("127.0.0.1", 0) as registry, AsyncExitStack() as stack:
        registry_address = format_address(*registry.address)
        config = KernelConfig(host="127.0.0.1", port=0, registry=registry_address)
        console.print(f"registry     {registry_address}")
        if served is not None:
            server = await stack.enter_async_context(serve_model(served, config=config).running())
            console.print(
                f"model        {format_address(*server.address)}  capability "
                f"{server.capability}: serves {describe_model(served)} to both agents"
            )
        async with (
            Kernel(worker, config=config).running() as worker_kernel,
            Kernel(coordinator, config=config).running() as coordinator_kernel,
        ):
            console.print(
                f"worker       {format_address(*worker_kernel.address)}  capabilities "
                f"{', '.join(WORKER_CAPABILITIES)}; tools calculator, read_file "
                f"(confined to {escape(str(folder))})"
            )
            console.print(
                f"coordinator  {format_address(*coordinator_kernel.address)}  tool ask_worker: "
                f"finds an agent with {WORKER_CAPABILITIES[0]} through the registry"
            )
            listed = ", ".join(sorted(record.name for record in registry.list_agents()))
            console.print(f"the registry lists: {listed}")
            console.print(f"\n[bold]task → coordinator[/] (streamed over MXP): {escape(DEMO_TASK)}")
            timeout = _CALL_TIMEOUT if served is None else _LIVE_CALL_TIMEOUT
            async with Endpoint.bind("127.0.0.1", 0) as client:
                response = await _ask(console, client, coordinator_kernel.address, timeout)
    return response


async def _ask(
    console: Console, client: Endpoint, address: tuple[str, int], limit: float
) -> CallResponse:
    from mxp_agents.kernel import CallError, CallResponse, stream_agent

    printer = EventPrinter(console)
    try:
        with trio.fail_after(limit):
            events = stream_agent(client, address, DEMO_TASK, timeout=limit)
            async with aclosing(events):
                async for event in events:
                    printer.show(event)
                    if isinstance(event, CallResponse):
                        render_response(console, event, streamed_text=False)
                        console.print(
                            f"MXP trace_id of the call: {format_trace_id(event.trace_id)}"
                        )
                        return event
    except CallError as error:
        raise CommandFailed(f"demo: the coordinator call failed: {error}") from None
    except trio.TooSlowError:
        raise CommandFailed(f"demo: no answer within {limit:g} s") from None
    raise CommandFailed("demo: the coordinator ended the stream without a response")

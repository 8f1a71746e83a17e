"""``mxp-agents call``: send a task to an agent over MXP and print the answer."""

from __future__ import annotations

from contextlib import aclosing
from typing import TYPE_CHECKING

import msgspec
import trio

from mxp_agents.cli._addresses import local_host_for, parse_cli_address
from mxp_agents.cli._errors import CommandFailed, UsageError
from mxp_agents.cli._output import stdout_console
from mxp_agents.cli._render import EventPrinter, render_response
from mxp_agents.kernel import CallError, CallResponse, CallTimeout, call_agent, stream_agent

if TYPE_CHECKING:
    from mxp.transport import Endpoint

__all__ = ["call_command"]


def call_command(address: str, task: str, *, stream: bool, timeout: float, as_json: bool) -> int:
    """Call the agent at ``address`` with ``task``; 0 when the run completed, else 1.

    Streaming prints text deltas as they arrive, then the tool steps and the output;
    ``as_json`` prints only the `CallResponse` as JSON.

    Example:
        >>> call_command("127.0.0.1:7000", "2 + 3?", stream=True, timeout=30, as_json=False)
        ... # doctest: +SKIP
    """
    target = parse_cli_address(address, "ADDRESS")
    if not task.strip():
        raise UsageError("TASK must not be empty")
    if timeout <= 0:
        raise UsageError(f"--timeout must be > 0 seconds, got {timeout}")
    response = trio.run(_call, target, task, stream, timeout, as_json)
    return 0 if response.ok else 1


async def _call(
    target: tuple[str, int], task: str, stream: bool, wait: float, as_json: bool
) -> CallResponse:
    from mxp.transport import Endpoint

    console = stdout_console()
    async with Endpoint.bind(local_host_for(target), 0) as endpoint:
        try:
            if not stream:
                response = await call_agent(endpoint, target, task, timeout=wait)
                streamed = False
            else:
                response, streamed = await _stream(endpoint, target, task, wait, as_json)
        except (CallTimeout, trio.TooSlowError):
            raise CommandFailed(
                f"no answer from {target[0]}:{target[1]} within {wait} s; is an agent "
                "running there? (a longer task may need a larger --timeout)"
            ) from None
        except CallError as error:
            raise CommandFailed(str(error)) from None
    if as_json:
        console.out(msgspec.json.encode(response).decode(), highlight=False)
    else:
        render_response(console, response, streamed_text=streamed)
    return response


async def _stream(
    endpoint: Endpoint, target: tuple[str, int], task: str, wait: float, quiet: bool
) -> tuple[CallResponse, bool]:
    printer = EventPrinter(stdout_console())
    with trio.fail_after(wait):
        async with aclosing(stream_agent(endpoint, target, task, timeout=wait)) as events:
            async for event in events:
                if not quiet:
                    printer.show(event)
                if isinstance(event, CallResponse):
                    return event, printer.texts > 0
    raise CommandFailed(f"the agent at {target[0]}:{target[1]} ended the stream without a response")

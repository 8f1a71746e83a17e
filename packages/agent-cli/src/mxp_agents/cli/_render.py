"""Printing a call's streamed events and its final `CallResponse` on a rich console."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
from rich.markup import escape

from mxp_agents.kernel import (
    CallEvent,
    CallResponse,
    CallStarted,
    CallStep,
    CallTextDelta,
    CallToolFinished,
    CallToolStarted,
)

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["EventPrinter", "format_trace_id", "render_response"]


def format_trace_id(trace_id: int) -> str:
    """An MXP trace id as ``0x`` and 16 hex digits.

    Example:
        >>> format_trace_id(255)
        '0x00000000000000ff'
    """
    return f"0x{trace_id:016x}"


class EventPrinter:
    """Prints events as they arrive: text deltas inline, tool calls on lines of their own.

    Example:
        >>> printer = EventPrinter(console)
        >>> async for event in events:
        ...     printer.show(event)
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self.texts = 0
        self._line_open = False

    def _end_line(self) -> None:
        if self._line_open:
            self.console.out("")
            self._line_open = False

    def show(self, event: CallEvent) -> None:
        """Print one event (the final `CallResponse` only closes the open text line).

        Example:
            >>> printer.show(CallTextDelta("Hel"))
        """
        console = self.console
        if isinstance(event, CallTextDelta):
            console.out(event.text, end="", highlight=False)
            self._line_open = True
            self.texts += 1
            return
        self._end_line()
        if isinstance(event, CallStarted):
            console.print(
                f"[dim]run {escape(event.run_id[:12])} on agent {escape(event.agent_name)!r} "
                f"(trace {format_trace_id(event.trace_id)})[/]"
            )
        elif isinstance(event, CallToolStarted):
            console.print(f"[yellow]→ tool {escape(event.name)}[/] [dim]({escape(event.id)})[/]")
        elif isinstance(event, CallToolFinished):
            mark = "[red]✗ failed[/]" if event.is_error else "[green]✓ done[/]"
            took = f"{event.duration * 1000:.1f} ms"
            console.print(f"[yellow]← tool {escape(event.name)}[/] {mark} [dim]{took}[/]")
        elif isinstance(event, CallStep):
            console.print(
                f"[dim]model step {event.step} done, {event.usage.total} tokens so far[/]"
            )


def render_response(console: Console, response: CallResponse, *, streamed_text: bool) -> None:
    """Print the tool steps, the final output and how the run ended.

    ``streamed_text``: the text was already printed as it arrived (then it is not repeated
    when the output is that same text).

    Example:
        >>> render_response(console, response, streamed_text=False)
    """
    if response.tool_calls:
        console.print("[bold]tool steps:[/]")
        for number, call in enumerate(response.tool_calls, start=1):
            outcome = "[red]error[/]" if call.is_error else "[green]ok[/]"
            console.print(f"  {number}. {escape(call.name)} [dim]({escape(call.id)})[/] {outcome}")
    output: object = response.output
    if output is not None and not (streamed_text and output == response.text):
        console.print("[bold]output:[/]")
        shown = output if isinstance(output, str) else msgspec.json.encode(output).decode()
        console.out(shown, highlight=False)
    elif output is None and response.text and not streamed_text:
        console.out(response.text, highlight=False)
    status = "[green]completed[/]" if response.ok else f"[red]{escape(response.stop_reason)}[/]"
    console.print(
        f"[dim]{status} in {response.steps} step(s), {response.usage.total} tokens, "
        f"trace {format_trace_id(response.trace_id)}[/]"
    )
    if response.error:
        console.print(f"[red]error:[/] {escape(response.error)}")

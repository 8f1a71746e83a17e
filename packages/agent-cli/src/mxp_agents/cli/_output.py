"""The rich consoles the commands print to, and logging set up on stderr."""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING, Final, Literal, TypeAlias

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["LOG_LEVELS", "LogLevel", "configure_logging", "error_console", "stdout_console"]

LogLevel: TypeAlias = Literal["debug", "info", "warning", "error"]
LOG_LEVELS: Final[tuple[LogLevel, ...]] = ("debug", "info", "warning", "error")
_WIDE: Final = 160  # width when stdout is not a terminal (pipes, tests): no wrapped tables


def _console(*, stderr: bool) -> Console:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or "COLUMNS" in os.environ else _WIDE
    return Console(stderr=stderr, width=width, highlight=False, soft_wrap=stderr)


def stdout_console() -> Console:
    """A console on stdout (160 columns wide when stdout is not a terminal).

    Example:
        >>> stdout_console().print("[bold]hello[/]")
        hello
    """
    return _console(stderr=False)


def error_console() -> Console:
    """A console on stderr for errors and logs (long lines are not wrapped).

    Example:
        >>> error_console().print("[red]error:[/] no reply")
    """
    return _console(stderr=True)


def configure_logging(level: LogLevel) -> None:
    """Send log records at ``level`` and above to stderr: formatted by rich on a terminal,
    as plain ``time level logger: message`` lines otherwise (pipes, files).

    Example:
        >>> configure_logging("info")
    """
    handler: logging.Handler
    if sys.stderr.isatty():
        from rich.logging import RichHandler

        handler = RichHandler(console=error_console(), show_path=False, log_time_format="%X")
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
        )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())

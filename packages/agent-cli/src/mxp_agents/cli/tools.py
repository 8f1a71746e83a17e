"""Two real tools the CLI ships (the demo's worker uses them; specs may too).

- `calculator`: evaluates an arithmetic expression safely (an `ast` walk, never ``eval``).
- `file_reader`: a tool reading text files confined to one folder (no ``..``, absolute paths or
  symlinks leading out).

In a TOML spec: ``tools = ["mxp_agents.cli.tools:calculator", "mxp_agents.cli.tools:file_reader"]``
(``file_reader`` called with no argument is confined to the working directory).

Example:
    >>> import trio
    >>> from mxp_agents.tools import ToolContext
    >>> trio.run(calculator.invoke, {"expression": "6 * 7"}, ToolContext(call_id="c1"))
    '42'
"""

from __future__ import annotations

from pathlib import Path

from mxp_agents.cli._calculator import evaluate
from mxp_agents.cli._errors import ToolInputError
from mxp_agents.cli._files import DEFAULT_MAX_BYTES, read_confined, resolve_confined
from mxp_agents.tools import FunctionTool, tool

__all__ = [
    "DEFAULT_MAX_BYTES",
    "ToolInputError",
    "calculator",
    "evaluate",
    "file_reader",
    "read_confined",
    "resolve_confined",
]


@tool(name="calculator")
def calculator(expression: str) -> int | float:
    """Evaluate an arithmetic expression exactly and return its value.

    Supports numbers, + - * / // % ** and parentheses, the constants pi and e, and the
    functions abs, round, min, max and sqrt.

    Args:
        expression: The expression, like "(17 + 25) * 3".
    """
    return evaluate(expression)


def file_reader(
    root: Path | str | None = None, *, name: str = "read_file", max_bytes: int = DEFAULT_MAX_BYTES
) -> FunctionTool[[str], str]:
    """A tool that reads UTF-8 text files inside ``root`` (default: the working directory).

    The folder is fixed when the tool is made; paths are relative to it and may not leave it.

    Example:
        >>> reader = file_reader("/srv/docs")
        >>> reader.name, reader("hello.txt")
        ('read_file', 'Hello, MXP!\\n')
    """
    folder = Path(root if root is not None else Path.cwd()).resolve()
    if not folder.is_dir():
        raise ToolInputError(f"file_reader: {str(folder)!r} is not a folder")

    def read_file(path: str) -> str:
        """Read a text file from the agent's folder.

        Args:
            path: The file's path relative to the folder, like "notes/todo.txt".
        """
        return read_confined(folder, path, max_bytes=max_bytes)

    return tool(
        name=name,
        description=f"Read a UTF-8 text file (at most {max_bytes} bytes) from the folder "
        f"{folder.name!r}; paths are relative to it and may not leave it.",
    )(read_file)

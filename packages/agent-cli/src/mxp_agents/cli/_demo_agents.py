"""The demo's two agents and their scripted models (decisions taken from the task, no LLM).

- worker: tools ``calculator`` and ``read_file`` (confined to the demo folder); capabilities
  ``math.calculate`` and ``files.read``. Its scripted model calls the calculator on the
  arithmetic in the task and the reader on the file it names, in parallel, then reports both.
- coordinator: one tool, ``ask_worker``, a `peer_tool` that discovers an agent with
  ``math.calculate`` through the registry and sends it the task over MXP; its scripted model
  delegates the task, then relays the worker's answer.

With a live model (``live=True``) the decisions are the model's: the coordinator's first call
must use ``ask_worker`` and the worker's first call must use a tool (``tool_choice``, reset to
``"auto"`` once a tool ran), and runs are capped at a few steps, so even a very small model
walks the whole path.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from mxp_agents.adapters import ModelAdapter, ModelRequest, ModelResponse, ToolChoiceTool
from mxp_agents.adapters.testing import FunctionModel
from mxp_agents.cli.tools import calculator, file_reader
from mxp_agents.kernel import Agent, RunLimits, peer_tool
from mxp_agents.primitives import Message, Role, ToolCall

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "COORDINATOR_CAPABILITY",
    "DEMO_FILE",
    "DEMO_TASK",
    "WORKER_CAPABILITIES",
    "build_agents",
    "coordinator_model",
    "find_expression",
    "find_file",
    "worker_model",
]

WORKER_CAPABILITIES: Final = ("math.calculate", "files.read")
COORDINATOR_CAPABILITY: Final = "demo.coordinate"
DEMO_FILE: Final = "notes.txt"
DEMO_NOTES: Final = (
    "An MXP frame is a 32-byte header, the payload, and an 8-byte xxh3 checksum.\n"
    "Bodies larger than one datagram travel as StreamOpen / StreamChunk / StreamClose.\n"
)
DEMO_TASK: Final = (
    f"How many bytes do two MXP frames with 512-byte payloads take? Compute (32 + 512 + 8) * 2, "
    f"then read {DEMO_FILE} and say what it tells about frames."
)
DEMO_ANSWER_NUMBER: Final = "1104"

_EXPRESSION: Final = re.compile(r"[\d(][\d\s+\-*/%().]*[\d)]")
_FILE: Final = re.compile(r"\b[\w-]+\.(?:txt|md|json|csv|log)\b")


def find_expression(text: str) -> str | None:
    """The longest arithmetic expression in ``text`` (with an operator), or None.

    Example:
        >>> find_expression("Compute (32 + 512 + 8) * 2, then read it.")
        '(32 + 512 + 8) * 2'
    """
    candidates = [
        match.group().strip()
        for match in _EXPRESSION.finditer(text)
        if re.search(r"\d\s*[-+*/%]", match.group()) and _balanced(match.group())
    ]
    return max(candidates, key=len) if candidates else None


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def find_file(text: str) -> str | None:
    """The first file name (``name.txt``, ``.md``, ``.json``, ``.csv``, ``.log``) in ``text``.

    Example:
        >>> find_file("then read notes.txt and say")
        'notes.txt'
    """
    match = _FILE.search(text)
    return match.group() if match else None


def _turn(request_messages: tuple[Message, ...]) -> tuple[str, list[Message]]:
    """The last user message's text and the tool results that followed it."""
    results: list[Message] = []
    for message in reversed(request_messages):
        if message.role is Role.USER:
            return message.content, list(reversed(results))
        if message.role is Role.TOOL:
            results.append(message)
    return "", list(reversed(results))


def worker_model() -> FunctionModel:
    """The worker's scripted model: calculator + read_file in parallel, then a report.

    Example:
        >>> worker_model().model_name
        'scripted'
    """

    def answer(request: ModelRequest) -> ModelResponse:
        task, results = _turn(request.messages)
        if results:
            lines = [_describe(result) for result in results]
            return ModelResponse(text=" ".join(lines))
        calls: list[ToolCall] = []
        expression, name = find_expression(task), find_file(task)
        if expression is not None:
            calls.append(ToolCall("call_calc", "calculator", {"expression": expression}))
        if name is not None:
            calls.append(ToolCall("call_read", "read_file", {"path": name}))
        if not calls:
            return ModelResponse(text="Give me arithmetic to compute or a file name to read.")
        return ModelResponse(tool_calls=tuple(calls))

    return FunctionModel(answer, model_name="scripted")


def _describe(result: Message) -> str:
    if result.name == "calculator":
        return f"The calculator gives {result.content}."
    text = " ".join(result.content.split())
    return f"The file says: {text}"


def coordinator_model() -> FunctionModel:
    """The coordinator's scripted model: delegate the task to ``ask_worker``, relay the answer.

    Example:
        >>> coordinator_model().model_name
        'scripted'
    """

    def answer(request: ModelRequest) -> ModelResponse:
        task, results = _turn(request.messages)
        if results:
            return ModelResponse(text=f"The worker agent reports: {results[-1].content}")
        return ModelResponse(
            text="Delegating to an agent with math.calculate. ",
            tool_calls=(ToolCall("call_delegate", "ask_worker", {"task": task}),),
        )

    return FunctionModel(answer, model_name="scripted")


_LIVE_LIMITS: Final = RunLimits(max_steps=3, max_wall_time=120.0)


def build_agents(
    folder: Path, *, worker: ModelAdapter, coordinator: ModelAdapter, live: bool = False
) -> tuple[Agent[str], Agent[str]]:
    """``(worker, coordinator)`` agents; the worker reads files only inside ``folder``.

    ``live`` (a real model rather than the scripted ones) forces the first tool of each agent
    and caps each run at three model calls.

    Example:
        >>> worker, coordinator = build_agents(
        ...     folder, worker=worker_model(), coordinator=coordinator_model())
    """
    limits = _LIVE_LIMITS if live else RunLimits()
    worker_agent = Agent(
        "worker",
        model=worker,
        instructions="You compute arithmetic with the calculator and read files with read_file.",
        tools=[calculator, file_reader(folder)],
        capabilities=WORKER_CAPABILITIES,
        tool_choice="required" if live else "auto",
        limits=limits,
    )
    ask_worker = peer_tool(
        WORKER_CAPABILITIES[0],
        name="ask_worker",
        description="Send a task to an agent that can compute arithmetic and read files.",
        timeout=150.0 if live else 20.0,
    )
    coordinator_agent = Agent(
        "coordinator",
        model=coordinator,
        instructions="Delegate arithmetic and file questions to ask_worker; relay its answer.",
        tools=[ask_worker],
        capabilities=(COORDINATOR_CAPABILITY,),
        tool_choice=ToolChoiceTool("ask_worker") if live else "auto",
        limits=limits,
    )
    return worker_agent, coordinator_agent

"""`TestModel`: a model adapter that calls the offered tools with schema-valid arguments."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import msgspec
import trio

from mxp_agents.adapters._events import FinishReason
from mxp_agents.adapters._request import ToolChoiceTool
from mxp_agents.adapters._response import ModelResponse
from mxp_agents.adapters._usage_cache import usage_of
from mxp_agents.adapters.testing._schema_values import example_for_schema
from mxp_agents.adapters.testing._stream import (
    estimate_tokens,
    input_tokens,
    output_characters,
    response_events,
)
from mxp_agents.primitives import Role, ToolCall, ToolDefinition

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Iterable

    from mxp_agents.adapters._events import ModelEvent
    from mxp_agents.adapters._request import ModelRequest
    from mxp_agents.primitives import Message

__all__ = ["TestModel"]

_encoder: Final = msgspec.json.Encoder()
NO_TOOLS_TEXT: Final = "done (no tool calls)"


class TestModel:
    """A `ModelAdapter` that exercises an agent's tools without a script.

    To a request with no tool results since the last user message it answers by calling every
    offered tool at once (parallel calls), with arguments generated from each tool's JSON
    Schema (`example_for_schema`). ``call_tools`` picks the tools: True (all), False (none) or
    names; ``tool_choice`` of the request is honoured. Once tool results are in, it answers
    ``final_text``, or by default one line ``name: content`` per result (``"done (no tool
    calls)"`` when there was none); with a ``response_format`` it answers a JSON value of that
    schema instead. The same ``seed`` gives the same answers. Requests are recorded.

    Example:
        >>> from mxp_agents.primitives import Message, ToolDefinition
        >>> tool = ToolDefinition(name="add", parameters={
        ...     "type": "object",
        ...     "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        ...     "required": ["a", "b"],
        ... })
        >>> model = TestModel()
        >>> request = ModelRequest((Message.user("1+2?"),), tools=(tool,))
        >>> response = trio.run(model.complete, request)
        >>> response.tool_calls[0].name, sorted(response.tool_calls[0].arguments)
        ('add', ['a', 'b'])
    """

    __test__ = False  # not a pytest test class, despite its name

    def __init__(
        self,
        *,
        call_tools: bool | Iterable[str] = True,
        final_text: str | None = None,
        seed: int = 0,
        model_name: str = "test",
        chunk_size: int | None = None,
    ) -> None:
        self._call_tools: bool | frozenset[str] = (
            call_tools if isinstance(call_tools, bool) else frozenset(call_tools)
        )
        self._final_text = final_text
        self._seed = seed
        self._model_name = model_name
        self._chunk_size = chunk_size
        self._calls_made = 0
        self.requests: list[ModelRequest] = []
        """Every request received, in order."""

    @property
    def provider(self) -> str:
        """Always ``"test"``.

        Example:
            >>> TestModel().provider
            'test'
        """
        return "test"

    @property
    def model_name(self) -> str:
        """The name given at construction (default ``"test"``).

        Example:
            >>> TestModel(model_name="fake").model_name
            'fake'
        """
        return self._model_name

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Tool calls for a fresh question, the final answer once tool results are in.

        Example:
            >>> trio.run(TestModel(final_text="42").complete, request).text  # doctest: +SKIP
            '42'
        """
        self.requests.append(request)
        await trio.lowlevel.checkpoint_if_cancelled()
        turn = _current_turn(request.messages)
        results = [message for message in turn if message.role is Role.TOOL]
        tools = [] if results else self._tools_to_call(request)
        if tools:
            calls = tuple(self._call(tool) for tool in tools)
            return self._response(request, "", calls, FinishReason.TOOL_CALLS)
        return self._response(request, self._final(request, results), (), FinishReason.STOP)

    async def stream(self, request: ModelRequest) -> AsyncGenerator[ModelEvent, None]:
        """The same answer as `complete`, streamed in deltas of ``chunk_size`` characters.

        Example:
            >>> [e async for e in TestModel().stream(request)][-1]  # doctest: +SKIP
            Finish(reason=<FinishReason.STOP: 'stop'>)
        """
        response = await self.complete(request)
        for event in response_events(response, chunk_size=self._chunk_size):
            yield event

    def _tools_to_call(self, request: ModelRequest) -> list[ToolDefinition]:
        choice = request.tool_choice
        if choice == "none" or not request.tools:
            return []
        if isinstance(choice, ToolChoiceTool):
            return [tool for tool in request.tools if tool.name == choice.name]
        wanted = self._call_tools
        chosen = [
            tool
            for tool in request.tools
            if wanted is True or (not isinstance(wanted, bool) and tool.name in wanted)
        ]
        if not chosen and choice == "required":
            return [request.tools[0]]
        return chosen

    def _call(self, tool: ToolDefinition) -> ToolCall:
        self._calls_made += 1
        arguments = example_for_schema(tool.parameters, seed=f"{self._seed}:{tool.name}")
        raw = _encoder.encode(arguments).decode()
        return ToolCall(f"test_call_{self._calls_made}", tool.name, arguments, raw)

    def _final(self, request: ModelRequest, results: list[Message]) -> str:
        response_format = request.response_format
        if response_format is not None:
            seed = f"{self._seed}:{response_format.name}"
            return _encoder.encode(example_for_schema(response_format.schema, seed=seed)).decode()
        if self._final_text is not None:
            return self._final_text
        if not results:
            return NO_TOOLS_TEXT
        return "\n".join(
            f"{message.name or message.tool_call_id}: {message.content}" for message in results
        )

    def _response(
        self,
        request: ModelRequest,
        text: str,
        calls: tuple[ToolCall, ...],
        reason: FinishReason,
    ) -> ModelResponse:
        usage = usage_of(input_tokens(request), estimate_tokens(output_characters(text, calls)))
        return ModelResponse(
            text=text,
            tool_calls=calls,
            usage=usage,
            finish_reason=reason,
            model=self._model_name,
            provider="test",
        )


def _current_turn(messages: tuple[Message, ...]) -> tuple[Message, ...]:
    """The messages after the last user message (all of them when there is none)."""
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].role is Role.USER:
            return messages[index + 1 :]
    return messages

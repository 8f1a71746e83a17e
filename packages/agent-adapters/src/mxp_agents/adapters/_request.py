"""`ModelRequest` and its parts: what the kernel asks a model, checked before any provider call."""

from __future__ import annotations

import re
from typing import Any, Final, Literal, TypeAlias

import msgspec

from mxp_agents.adapters._errors import InvalidModelValue
from mxp_agents.adapters._validate import kind_of, require_number, require_str, tuple_of
from mxp_agents.primitives import Message, Role, ToolDefinition

__all__ = ["ModelRequest", "ResponseFormat", "ToolChoice", "ToolChoiceTool"]

_NAME: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CHOICES: Final = ("auto", "none", "required")
MAX_TEMPERATURE: Final = 2.0


class ResponseFormat(msgspec.Struct, frozen=True):
    """Ask for structured output: a JSON value that follows ``schema`` (a JSON Schema).

    ``name`` (1-64 characters of ``[A-Za-z0-9_-]``) labels the format for providers that need
    one; ``strict`` asks providers that can to enforce the schema exactly.

    Example:
        >>> class City(msgspec.Struct):
        ...     name: str
        ...     population: int
        >>> ResponseFormat.for_type(City).name
        'City'
    """

    name: str
    schema: dict[str, Any]
    strict: bool = True

    def __post_init__(self) -> None:
        name = require_str(self.name, "$.name")
        if not _NAME.fullmatch(name):
            raise InvalidModelValue(
                f"response format name must be 1-64 characters of [A-Za-z0-9_-], got {name!r}",
                "$.name",
            )
        if not isinstance(self.schema, dict):  # pyright: ignore[reportUnnecessaryIsInstance]
            kind = kind_of(self.schema)
            raise InvalidModelValue(
                f"the schema must be a JSON Schema object, got {kind}", "$.schema"
            )
        if not isinstance(self.strict, bool):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidModelValue(f"expected bool, got {kind_of(self.strict)}", "$.strict")

    @classmethod
    def for_type(cls, type: Any, *, name: str | None = None, strict: bool = True) -> ResponseFormat:
        """The format of a msgspec-compatible type (a Struct, a dataclass, ``list[int]``...),
        with ``msgspec.json.schema(type)``; read the answer with ``response.parsed_json(type)``.

        Example:
            >>> ResponseFormat.for_type(list[int], name="numbers").schema
            {'type': 'array', 'items': {'type': 'integer'}}
        """
        label = name if name is not None else getattr(type, "__name__", "response")
        return cls(label, msgspec.json.schema(type), strict)


class ToolChoiceTool(msgspec.Struct, frozen=True):
    """Make the model call this one tool (which must be among the request's tools).

    Example:
        >>> ToolChoiceTool("search").name
        'search'
    """

    name: str

    def __post_init__(self) -> None:
        require_str(self.name, "$.name", blank=False)


ToolChoice: TypeAlias = Literal["auto", "none", "required"] | ToolChoiceTool
"""Whether the model may (``"auto"``), may not (``"none"``) or must (``"required"``) call a
tool, or must call one named tool (`ToolChoiceTool`)."""


class ModelRequest(msgspec.Struct, frozen=True, omit_defaults=True):
    """One call to a model: the conversation, the tools on offer and the sampling options.

    Checked on construction and decoding (`InvalidModelValue` with the path of the value):
    at least one message, each tool message answers an earlier assistant tool call (once),
    tool names are unique, a `ToolChoiceTool` names an offered tool, ``"required"`` needs a
    tool, ``0 <= temperature <= 2``, ``max_output_tokens > 0``, stop sequences not empty.
    Lists are accepted for the tuple fields.

    Example:
        >>> request = ModelRequest(
        ...     (Message.system("Be brief."), Message.user("Capital of France?")),
        ...     temperature=0.2,
        ...     max_output_tokens=50,
        ... )
        >>> request.messages[-1].content
        'Capital of France?'
    """

    messages: tuple[Message, ...]
    tools: tuple[ToolDefinition, ...] = ()
    tool_choice: ToolChoice = "auto"
    temperature: float | None = None
    max_output_tokens: int | None = None
    stop: tuple[str, ...] = ()
    response_format: ResponseFormat | None = None
    metadata: dict[str, str] = {}

    def __post_init__(self) -> None:
        # Fast paths for the common case (tuples, defaults): the kernel builds one per call.
        messages = tuple_of(self.messages, Message, "$.messages")
        if not messages:
            raise InvalidModelValue("a request needs at least one message", "$.messages")
        _check_conversation(messages)
        _store(self, "messages", messages)
        names: tuple[str, ...] = ()
        if self.tools != ():
            tools = tuple_of(self.tools, ToolDefinition, "$.tools")
            _store(self, "tools", tools)
            names = _tool_names(tools)
        if self.tool_choice != "auto" or type(self.tool_choice) is not str:
            _check_tool_choice(self.tool_choice, names)
        if self.temperature is not None:
            _store(self, "temperature", _checked_temperature(self.temperature))
        if self.max_output_tokens is not None:
            _check_output_tokens(self.max_output_tokens)
        if self.stop != ():
            stop = tuple_of(self.stop, str, "$.stop")
            for index, sequence in enumerate(stop):
                if not sequence:
                    raise InvalidModelValue("a stop sequence cannot be empty", f"$.stop[{index}]")
            _store(self, "stop", stop)
        response_format = self.response_format
        if response_format is not None and not isinstance(response_format, ResponseFormat):  # pyright: ignore[reportUnnecessaryIsInstance]
            kind = kind_of(response_format)
            raise InvalidModelValue(f"expected ResponseFormat, got {kind}", "$.response_format")
        if self.metadata:
            _check_metadata(self.metadata)
        elif type(self.metadata) is not dict:  # pyright: ignore[reportUnnecessaryComparison]
            kind = kind_of(self.metadata)
            raise InvalidModelValue(f"expected object, got {kind}", "$.metadata")


def _checked_temperature(value: object) -> float:
    temperature = require_number(value, "$.temperature")
    if not 0.0 <= temperature <= MAX_TEMPERATURE:
        raise InvalidModelValue(
            f"temperature must be between 0 and 2, got {temperature:g}", "$.temperature"
        )
    return temperature


def _check_output_tokens(limit: object) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise InvalidModelValue(f"expected int, got {kind_of(limit)}", "$.max_output_tokens")
    if limit <= 0:
        raise InvalidModelValue(
            f"max_output_tokens must be > 0, got {limit}", "$.max_output_tokens"
        )


def _store(struct: msgspec.Struct, name: str, value: object) -> None:
    if getattr(struct, name) is not value:
        msgspec.structs.force_setattr(struct, name, value)


_ASSISTANT: Final = Role.ASSISTANT
_TOOL: Final = Role.TOOL


def _check_conversation(messages: tuple[Message, ...]) -> None:
    asked: dict[str, int] = {}  # tool call id -> index of the assistant message asking for it
    answered: set[str] = set()
    for index, message in enumerate(messages):
        role = message.role
        if role is _ASSISTANT:
            for number, call in enumerate(message.tool_calls):
                if call.id in asked:
                    raise InvalidModelValue(
                        f"tool call id {call.id!r} was already used in "
                        f"$.messages[{asked[call.id]}]",
                        f"$.messages[{index}].tool_calls[{number}].id",
                    )
                asked[call.id] = index
        elif role is _TOOL:
            call_id = message.tool_call_id or ""
            path = f"$.messages[{index}].tool_call_id"
            if call_id not in asked:
                raise InvalidModelValue(
                    f"tool message answers tool call {call_id!r}, but no earlier assistant "
                    "message asked for it",
                    path,
                )
            if call_id in answered:
                raise InvalidModelValue(f"tool call {call_id!r} is answered twice", path)
            answered.add(call_id)


def _tool_names(tools: tuple[ToolDefinition, ...]) -> tuple[str, ...]:
    names: dict[str, int] = {}
    for index, tool in enumerate(tools):
        if tool.name in names:
            raise InvalidModelValue(
                f"tool name {tool.name!r} is offered twice (also $.tools[{names[tool.name]}])",
                f"$.tools[{index}].name",
            )
        names[tool.name] = index
    return tuple(names)


def _check_tool_choice(choice: object, names: tuple[str, ...]) -> None:
    if isinstance(choice, ToolChoiceTool):
        if choice.name not in names:
            offered = ", ".join(names) if names else "none"
            raise InvalidModelValue(
                f"tool_choice names tool {choice.name!r}, which is not offered (tools: {offered})",
                "$.tool_choice.name",
            )
    elif choice not in _CHOICES:
        raise InvalidModelValue(
            f"unknown tool_choice {choice!r}; use 'auto', 'none', 'required' or ToolChoiceTool",
            "$.tool_choice",
        )
    elif choice == "required" and not names:
        raise InvalidModelValue("tool_choice 'required' needs at least one tool", "$.tool_choice")


def _check_metadata(metadata: object) -> None:
    if not isinstance(metadata, dict):
        raise InvalidModelValue(f"expected object, got {kind_of(metadata)}", "$.metadata")
    items: dict[object, object] = metadata  # pyright: ignore[reportUnknownVariableType]
    for key, value in items.items():
        if not isinstance(key, str):
            raise InvalidModelValue(f"expected str keys, got {kind_of(key)}", "$.metadata")
        if not isinstance(value, str):
            raise InvalidModelValue(f"expected str, got {kind_of(value)}", f"$.metadata.{key}")

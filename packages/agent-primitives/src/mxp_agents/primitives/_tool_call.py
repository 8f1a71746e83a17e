"""`ToolCall`: a model's request to run a tool, with its JSON arguments."""

from typing import Any

import msgspec

from mxp_agents.primitives._checks import kind_of, quote, require_str, require_text
from mxp_agents.primitives._errors import InvalidMessage

__all__ = ["ToolCall"]

_arguments_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder()


class ToolCall(msgspec.Struct, frozen=True):
    """A tool call a model asked for: call id, tool name and the parsed JSON arguments.

    ``raw_arguments`` keeps the model's original argument text when there was one (useful for
    replay and for reporting bad JSON). ``id`` and ``name`` must not be blank and ``arguments``
    must be a JSON object (a dict), else `InvalidMessage`.

    Example:
        >>> call = ToolCall.parse("call_1", "search", '{"query": "mxp"}')
        >>> call.arguments
        {'query': 'mxp'}
    """

    id: str
    name: str
    arguments: dict[str, Any] = msgspec.field(default_factory=dict[str, Any])
    raw_arguments: str | None = None

    def __post_init__(self) -> None:
        require_text(self.id, "$.id", InvalidMessage, "tool call id")
        require_text(self.name, "$.name", InvalidMessage, "tool name")
        if not _is_dict(self.arguments):
            kind = kind_of(self.arguments)
            raise InvalidMessage(
                f"tool call arguments must be an object, got {kind}", "$.arguments"
            )
        if self.raw_arguments is not None:
            require_str(self.raw_arguments, "$.raw_arguments", InvalidMessage)

    @classmethod
    def parse(cls, id: str, name: str, raw_arguments: str) -> "ToolCall":
        """A call whose arguments are parsed from the model's JSON text (blank text means ``{}``).

        Raises:
            InvalidMessage: the text is not JSON, or not a JSON object.

        Example:
            >>> ToolCall.parse("call_2", "clock", "").arguments
            {}
        """
        text = require_str(raw_arguments, "$.raw_arguments", InvalidMessage)
        if not text.strip():
            return cls(id, name, {}, text)
        try:
            arguments: object = _arguments_decoder.decode(text)
        except msgspec.DecodeError as error:
            raise InvalidMessage(
                f"tool call arguments for {quote(name)} are not valid JSON ({error})",
                "$.raw_arguments",
            ) from None
        if not isinstance(arguments, dict):
            raise InvalidMessage(
                f"tool call arguments for {quote(name)} must be a JSON object, "
                f"got {kind_of(arguments)}",
                "$.raw_arguments",
            )
        parsed: dict[str, Any] = arguments  # pyright: ignore[reportUnknownVariableType]
        return cls(id, name, parsed, text)


def _is_dict(value: object) -> bool:
    return isinstance(value, dict)

"""`ToolDefinition`: what a model is told about a tool (name, description, JSON Schema)."""

import re
from typing import Any, Final

import msgspec

from mxp_agents.primitives._checks import kind_of, quote, require_bool, require_str
from mxp_agents.primitives._errors import InvalidMessage

__all__ = ["MAX_TOOL_NAME_LEN", "ToolDefinition"]

MAX_TOOL_NAME_LEN: Final = 64
_NAME: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")


class ToolDefinition(msgspec.Struct, frozen=True, omit_defaults=True):
    """A tool as offered to a model: its name, a description and a JSON Schema of its arguments.

    ``name`` is 1-64 characters of ``[A-Za-z0-9_-]`` (what every provider accepts);
    ``parameters`` is a JSON Schema object (``{"type": "object", ...}``). Tools and model
    adapters share this type; `mxp_agents.tools` derives it from a function's signature.

    Example:
        >>> ToolDefinition(
        ...     name="add",
        ...     description="Add two integers.",
        ...     parameters={"type": "object", "properties": {"a": {"type": "integer"}}},
        ... ).name
        'add'
    """

    name: str
    description: str = ""
    parameters: dict[str, Any] = msgspec.field(
        default_factory=lambda: {"type": "object", "properties": {}}
    )
    strict: bool = False

    def __post_init__(self) -> None:
        name = require_str(self.name, "$.name", InvalidMessage)
        if not _NAME.fullmatch(name):
            raise InvalidMessage(
                f"tool name must be 1-{MAX_TOOL_NAME_LEN} characters of [A-Za-z0-9_-], "
                f"got {quote(name)}",
                "$.name",
            )
        require_str(self.description, "$.description", InvalidMessage)
        require_bool(self.strict, "$.strict", InvalidMessage)
        if not _is_dict(self.parameters):
            raise InvalidMessage(
                f"tool parameters must be a JSON Schema object, got {kind_of(self.parameters)}",
                "$.parameters",
            )
        schema_type: object = self.parameters.get("type")
        if schema_type != "object":
            raise InvalidMessage(
                f'tool parameters must have "type": "object", got {schema_type!r}',
                "$.parameters.type",
            )


def _is_dict(value: object) -> bool:
    return isinstance(value, dict)

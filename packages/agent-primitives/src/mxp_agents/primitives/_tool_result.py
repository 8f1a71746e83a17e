"""`ToolResult`: what a tool answered to one `ToolCall`."""

import msgspec

from mxp_agents.primitives._checks import require_bool, require_str, require_text
from mxp_agents.primitives._errors import InvalidMessage
from mxp_agents.primitives._message import Message

__all__ = ["ToolResult"]


class ToolResult(msgspec.Struct, frozen=True, kw_only=True):
    """What a tool returned for one call: the call id, tool name, text content and error flag.

    Example:
        >>> result = ToolResult(tool_call_id="call_1", name="search", content="3 hits")
        >>> result.to_message().role
        <Role.TOOL: 'tool'>
    """

    tool_call_id: str
    name: str
    content: str
    is_error: bool = False

    def __post_init__(self) -> None:
        require_text(self.tool_call_id, "$.tool_call_id", InvalidMessage, "tool_call_id")
        require_text(self.name, "$.name", InvalidMessage, "tool name")
        require_str(self.content, "$.content", InvalidMessage)
        require_bool(self.is_error, "$.is_error", InvalidMessage)

    def to_message(self) -> Message:
        """This result as a ``tool`` `Message` answering its call.

        Example:
            >>> ToolResult(tool_call_id="c1", name="t", content="ok").to_message().tool_call_id
            'c1'
        """
        return Message.tool(self.content, tool_call_id=self.tool_call_id, name=self.name)

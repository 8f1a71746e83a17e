"""Reading a ``/v1/chat/completions`` request body back into the conformance `SeenRequest`."""

from __future__ import annotations

from typing import Any

import msgspec

from mxp_agents.adapters.testing.conformance import SeenRequest
from mxp_agents.adapters.testing.fakes._transcript import Transcript

__all__ = ["ChatBody", "seen_request"]


class _Part(msgspec.Struct):
    text: str = ""


class _Function(msgspec.Struct):
    name: str = ""


class _Call(msgspec.Struct):
    id: str = ""


class _Message(msgspec.Struct):
    role: str
    content: str | list[_Part] | None = None
    tool_calls: list[_Call] | None = None
    tool_call_id: str | None = None


class _Tool(msgspec.Struct):
    function: _Function


class _JSONSchema(msgspec.Struct):
    schema: dict[str, Any] | None = None


class _ResponseFormat(msgspec.Struct):
    type: str
    json_schema: _JSONSchema | None = None


class _StreamOptions(msgspec.Struct):
    include_usage: bool | None = None


class ChatBody(msgspec.Struct):
    """The fields of a ``/v1/chat/completions`` request body the fake server reads.

    Example:
        >>> msgspec.json.decode(b'{"model": "m", "stream": true}', type=ChatBody).stream
        True
    """

    model: str = ""
    messages: list[_Message] = []
    tools: list[_Tool] | None = None
    tool_choice: str | _Tool | None = None
    temperature: float | None = None
    max_completion_tokens: int | None = None
    max_tokens: int | None = None
    stop: str | list[str] | None = None
    response_format: _ResponseFormat | None = None
    stream: bool | None = None
    stream_options: _StreamOptions | None = None

    @property
    def include_usage(self) -> bool:
        """Whether the client asked for the usage chunk (``stream_options.include_usage``).

        Example:
            >>> ChatBody().include_usage
            False
        """
        return bool(self.stream_options and self.stream_options.include_usage)


def _text(content: str | list[_Part] | None) -> str:
    if isinstance(content, list):
        return "".join(part.text for part in content)
    return content or ""


def seen_request(body: ChatBody, headers: dict[str, str]) -> SeenRequest:
    """A ``/v1/chat/completions`` request read back into our terms.

    Example:
        >>> body = msgspec.json.decode(
        ...     b'{"messages": [{"role": "system", "content": "Be brief."}]}', type=ChatBody
        ... )
        >>> seen_request(body, {}).system
        'Be brief.'
    """
    transcript = Transcript()
    for message in body.messages:
        if message.role in ("system", "developer"):
            transcript.system.append(_text(message.content))
            continue
        transcript.turn(message.role, _text(message.content))
        transcript.call_ids.extend(call.id for call in message.tool_calls or ())
        if message.role == "tool":
            transcript.result_ids.append(message.tool_call_id or "")
    choice = body.tool_choice
    stop = body.stop
    response_format = body.response_format
    schema = None
    if response_format is not None and response_format.type == "json_schema":
        schema = response_format.json_schema.schema if response_format.json_schema else None
    authorization = headers.get("authorization", "")
    return SeenRequest(
        **transcript.fields(),
        tool_names=tuple(tool.function.name for tool in body.tools or ()),
        tool_choice=choice.function.name if isinstance(choice, _Tool) else choice,
        temperature=body.temperature,
        max_output_tokens=(
            body.max_completion_tokens
            if body.max_completion_tokens is not None
            else body.max_tokens
        ),
        stop=(stop,) if isinstance(stop, str) else tuple(stop or ()),
        response_schema=schema,
        stream=bool(body.stream),
        api_key=authorization.removeprefix("Bearer ") or None,
    )

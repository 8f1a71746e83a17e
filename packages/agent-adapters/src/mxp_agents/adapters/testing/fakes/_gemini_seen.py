"""The Gemini API's ``generateContent`` request body as the fake server reads it, and the
request translated back into `SeenRequest` terms."""

from __future__ import annotations

from typing import Any, Final

import msgspec

from mxp_agents.adapters.testing.conformance import SeenRequest
from mxp_agents.adapters.testing.fakes._transcript import Transcript

__all__ = ["GenerateBody", "decode_body", "missing_signature", "seen_request"]

_encoder: Final = msgspec.json.Encoder()


class _FunctionCall(msgspec.Struct):
    name: str = ""
    args: dict[str, Any] = {}
    id: str | None = None


class _FunctionResponse(msgspec.Struct):
    name: str = ""
    response: dict[str, Any] = {}
    id: str | None = None


class _Part(msgspec.Struct, rename="camel"):
    text: str | None = None
    thought: bool | None = None
    thought_signature: str | None = None
    function_call: _FunctionCall | None = None
    function_response: _FunctionResponse | None = None


class _Content(msgspec.Struct):
    role: str = ""
    parts: list[_Part] = []


class _Declaration(msgspec.Struct):
    name: str = ""


class _Tool(msgspec.Struct, rename="camel"):
    function_declarations: list[_Declaration] = []


class _CallingConfig(msgspec.Struct, rename="camel"):
    mode: str | None = None
    allowed_function_names: list[str] = []


class _ToolConfig(msgspec.Struct, rename="camel"):
    function_calling_config: _CallingConfig | None = None


class _GenerationConfig(msgspec.Struct, rename="camel"):
    temperature: float | None = None
    max_output_tokens: int | None = None
    stop_sequences: list[str] = []
    response_mime_type: str | None = None
    response_json_schema: dict[str, Any] | None = None
    response_schema: dict[str, Any] | None = None


class GenerateBody(msgspec.Struct, rename="camel"):
    """The parts of a ``generateContent`` request body the fake reads.

    Example:
        >>> GenerateBody().contents
        []
    """

    contents: list[_Content] = []
    system_instruction: _Content | None = None
    tools: list[_Tool] = []
    tool_config: _ToolConfig | None = None
    generation_config: _GenerationConfig | None = None


_FREE_FORM: Final = frozenset(
    {
        "args",
        "response",
        "parameters",
        "parametersJsonSchema",
        "responseSchema",
        "responseJsonSchema",
    }
)


def decode_body(raw: bytes) -> GenerateBody:
    """A request body, its field names in either protobuf JSON spelling (``systemInstruction``
    or ``system_instruction``: the API accepts both, and the SDK sends some snake_case).

    Raises:
        msgspec.DecodeError: not JSON. msgspec.ValidationError: not a request body.

    Example:
        >>> body = decode_body(b'{"system_instruction": {"parts": [{"text": "Be brief."}]}}')
        >>> body.system_instruction.parts[0].text
        'Be brief.'
    """
    return msgspec.convert(_camel(msgspec.json.decode(raw)), GenerateBody)


def _camel(value: object) -> object:
    if isinstance(value, list):
        items: list[object] = value  # pyright: ignore[reportUnknownVariableType]
        return [_camel(item) for item in items]
    if not isinstance(value, dict):
        return value
    fields: dict[str, object] = value  # pyright: ignore[reportUnknownVariableType]
    renamed: dict[str, object] = {}
    for name, item in fields.items():
        head, *rest = name.split("_")
        camel = head + "".join(word.title() for word in rest)
        renamed[camel] = item if camel in _FREE_FORM else _camel(item)
    return renamed


def seen_request(body: GenerateBody, *, stream: bool, api_key: str | None) -> SeenRequest:
    """``body`` in our terms: each ``functionResponse`` part is one ``tool`` turn (its text the
    ``result`` field, or the response object as JSON), ``model`` turns are ``assistant``.

    Example:
        >>> seen_request(GenerateBody(), stream=False, api_key=None).roles
        ()
    """
    system = body.system_instruction
    transcript = Transcript(system=[p.text for p in system.parts if p.text] if system else [])
    for content in body.contents:
        text = "".join(p.text for p in content.parts if p.text is not None and not p.thought)
        for part in content.parts:
            result = part.function_response
            if result is not None:
                transcript.turn("tool", _result_text(result.response))
                transcript.result_ids.append(result.id or result.name)
        if content.role == "model":
            transcript.turn("assistant", text)
            calls = [p.function_call for p in content.parts if p.function_call is not None]
            transcript.call_ids.extend(call.id or call.name for call in calls)
        elif text or not any(p.function_response for p in content.parts):
            transcript.turn("user", text)
    config = body.generation_config or _GenerationConfig()
    return SeenRequest(
        **transcript.fields(),
        tool_names=tuple(d.name for tool in body.tools for d in tool.function_declarations),
        tool_choice=_tool_choice(body.tool_config),
        temperature=config.temperature,
        max_output_tokens=config.max_output_tokens,
        stop=tuple(config.stop_sequences),
        response_schema=config.response_json_schema or config.response_schema,
        stream=stream,
        api_key=api_key,
    )


def _result_text(response: dict[str, Any]) -> str:
    result = response.get("result")
    if len(response) == 1 and isinstance(result, str):
        return result
    return _encoder.encode(response).decode()


def _tool_choice(config: _ToolConfig | None) -> str | None:
    calling = None if config is None else config.function_calling_config
    if calling is None or calling.mode is None:
        return None
    if calling.mode == "ANY":
        names = calling.allowed_function_names
        return names[0] if len(names) == 1 else "required"
    return calling.mode.lower()


def missing_signature(body: GenerateBody) -> int | None:
    """The index of the first ``model`` turn whose first function call has no thought
    signature (Gemini 3 rejects such a request), or None.

    Example:
        >>> missing_signature(decode_body(b'{"contents": []}')) is None
        True
    """
    for index, content in enumerate(body.contents):
        calls = [part for part in content.parts if part.function_call is not None]
        if content.role == "model" and calls and not calls[0].thought_signature:
            return index
    return None

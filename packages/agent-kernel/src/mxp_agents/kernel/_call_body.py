"""The request bodies of a Call: our `CallRequest` and the Rust reference runtime's body;
`parse_call` reads either (the answers are in `mxp_agents.kernel._call_response`).

Telling the two request bodies apart: a JSON object with ``task`` or any other key only
`CallRequest` has (``stream``, ``priority``, ``deadline_ms``, ``run_id``, ``metadata``) is a
`CallRequest`; any other object is the reference body (``messages`` plus the optional
``temperature``, ``max_output_tokens`` and ``tools``). An object with keys of both is refused.
A body with nothing but ``messages`` means the same under both readings.
"""

from __future__ import annotations

from typing import Any, Final, Literal, TypeAlias, TypeVar

import msgspec

from mxp_agents.kernel._errors import KernelError
from mxp_agents.primitives import InvalidValue, Message, Role, ToolCall
from mxp_agents.primitives import validation_error_parts as _parts

__all__ = [
    "CallRequest",
    "InvalidCallBody",
    "ParsedCall",
    "PriorityName",
    "ReferenceCall",
    "ReferenceMessage",
    "ReferenceTool",
    "decode_body",
    "encode",
    "parse_call",
]

_T = TypeVar("_T")
PriorityName: TypeAlias = Literal["control", "interactive", "background"]
"""A priority class as Call bodies spell it (see `mxp_agents.kernel.Priority`)."""
OWN_KEYS: Final = frozenset({"task", "stream", "priority", "deadline_ms", "run_id", "metadata"})
REFERENCE_KEYS: Final = frozenset({"temperature", "max_output_tokens", "tools"})


class InvalidCallBody(KernelError, ValueError):
    """A Call body that is not a valid `CallRequest` or reference body; names the path.

    Answered with an Error of code ``invalid_request`` and this text.

    Example:
        >>> parse_call(b'{"task": ""}')
        Traceback (most recent call last):
        ...
        mxp_agents.kernel._call_body.InvalidCallBody: task cannot be empty - at $.task
    """

    def __init__(self, reason: str, path: str = "$") -> None:
        self.reason = reason
        self.path = path
        super().__init__(f"{reason} - at {path}")

    def __reduce__(self) -> tuple[type[InvalidCallBody], tuple[str, str]]:
        return (type(self), (self.reason, self.path))


class CallRequest(
    msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, forbid_unknown_fields=True
):
    """Our Call body: a ``task`` text or a ``messages`` history (exactly one), and options.

    ``stream`` asks for the run's events as Stream frames; ``priority`` is ``control``,
    ``interactive`` or ``background``; ``deadline_ms`` bounds the call from its arrival
    (waiting included; default ``KernelConfig.default_deadline``); ``run_id`` names the run
    (default: a new one); ``metadata`` reaches the run and its tools.

    Example:
        >>> encode(CallRequest(task="add 2 and 3", priority="background"))
        b'{"task":"add 2 and 3","priority":"background"}'
    """

    task: str | None = None
    messages: tuple[Message, ...] | None = None
    stream: bool = False
    priority: PriorityName = "interactive"
    deadline_ms: int | None = None
    run_id: str | None = None
    metadata: dict[str, Any] = {}

    def __post_init__(self) -> None:
        if (self.task is None) == (self.messages is None):
            raise InvalidCallBody("give exactly one of 'task' and 'messages'", "$")
        if self.task is not None and not self.task.strip():
            raise InvalidCallBody("task cannot be empty", "$.task")
        if self.messages is not None and not self.messages:
            raise InvalidCallBody("messages cannot be empty", "$.messages")
        if self.deadline_ms is not None and self.deadline_ms < 1:
            raise InvalidCallBody(
                f"deadline_ms must be >= 1, got {self.deadline_ms}", "$.deadline_ms"
            )
        if self.run_id is not None and not self.run_id.strip():
            raise InvalidCallBody("run_id cannot be blank", "$.run_id")


class ReferenceTool(msgspec.Struct, frozen=True):
    """A tool the reference body asks to run before the model: ``{"name", "input"}``.

    Example:
        >>> ReferenceTool("add", {"a": 1, "b": 2}).name
        'add'
    """

    name: str
    input: Any = None


class ReferenceMessage(msgspec.Struct, frozen=True, kw_only=True):
    """A message of the reference body: ``{"role", "content"}`` (our message fields allowed).

    A ``tool`` message without ``tool_call_id`` (the reference runtime has none) becomes an
    assistant tool call and its answer, so the conversation rules of `Message` hold.

    Example:
        >>> ReferenceMessage(role="user", content="hi").role
        'user'
    """

    role: str
    content: str = ""
    name: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None


class ReferenceCall(msgspec.Struct, frozen=True, kw_only=True):
    """The Rust reference runtime's Call body; unknown fields are ignored, as serde does.

    Example:
        >>> body = b'{"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"clock"}]}'
        >>> parse_call(body).tools[0].name
        'clock'
    """

    messages: tuple[ReferenceMessage, ...]
    temperature: float | None = None
    max_output_tokens: int | None = None
    tools: tuple[ReferenceTool, ...] = ()


class ParsedCall(msgspec.Struct, frozen=True, kw_only=True):
    """A Call body read into one shape (from either request body).

    ``tools`` are the reference body's tool invocations, as calls to run before the model.

    Example:
        >>> parse_call(b'{"task": "hi", "stream": true}').stream
        True
    """

    reference: bool
    task: str | None = None
    messages: tuple[Message, ...] | None = None
    tools: tuple[ToolCall, ...] = ()
    temperature: float | None = None
    max_output_tokens: int | None = None
    stream: bool = False
    priority: PriorityName = "interactive"
    deadline_ms: int | None = None
    run_id: str | None = None
    metadata: dict[str, Any] = {}


_encoder: Final = msgspec.json.Encoder()
_keys: Final = msgspec.json.Decoder(dict[str, msgspec.Raw])
_own: Final = msgspec.json.Decoder(CallRequest)
_reference: Final = msgspec.json.Decoder(ReferenceCall)
_ROLES: Final = ", ".join(role.value for role in Role)


def encode(body: msgspec.Struct) -> bytes:
    """The JSON bytes of a body.

    Example:
        >>> encode(CallRequest(task="hi"))
        b'{"task":"hi"}'
    """
    return _encoder.encode(body)


def parse_call(payload: bytes) -> ParsedCall:
    """Read a Call body, ours or the reference runtime's (see the module docs for which).

    Raises:
        InvalidCallBody: not JSON, not an object, or not a valid body; the text has the path.

    Example:
        >>> parse_call(b'{"messages":[{"role":"user","content":"hi"}]}').messages[0].content
        'hi'
    """
    keys = decode_body(_keys, payload, "a JSON object").keys()
    own, reference = OWN_KEYS.intersection(keys), REFERENCE_KEYS.intersection(keys)
    if own and reference:
        raise InvalidCallBody(
            f"the body mixes CallRequest fields ({', '.join(sorted(own))}) with reference "
            f"body fields ({', '.join(sorted(reference))}); send one or the other"
        )
    if own:
        request = decode_body(_own, payload, "a CallRequest")
        return ParsedCall(
            reference=False,
            task=request.task,
            messages=request.messages,
            stream=request.stream,
            priority=request.priority,
            deadline_ms=request.deadline_ms,
            run_id=request.run_id,
            metadata=request.metadata,
        )
    if "messages" not in keys:
        raise InvalidCallBody(
            "the body has neither 'task' nor 'messages': send a CallRequest with a task or "
            "messages, or the reference body with messages"
        )
    body = decode_body(_reference, payload, "a reference Call body")
    if not body.messages:
        raise InvalidCallBody("messages cannot be empty", "$.messages")
    tools: list[ToolCall] = []
    for index, invocation in enumerate(body.tools):
        arguments: object = {} if invocation.input is None else invocation.input
        if not isinstance(arguments, dict):
            raise InvalidCallBody(
                f"tool input must be a JSON object or null, got {type(arguments).__name__}",
                f"$.tools[{index}].input",
            )
        checked: dict[str, Any] = arguments  # pyright: ignore[reportUnknownVariableType]
        tools.append(_tool_call(f"ref_tool_{index}", invocation.name, checked, index))
    return ParsedCall(
        reference=True,
        messages=_messages(body.messages),
        tools=tuple(tools),
        temperature=body.temperature,
        max_output_tokens=body.max_output_tokens,
    )


def _tool_call(call_id: str, name: str, arguments: dict[str, Any], index: int) -> ToolCall:
    try:
        return ToolCall(call_id, name, arguments)
    except InvalidValue as error:
        raise InvalidCallBody(error.reason, f"$.tools[{index}]") from None


def _messages(items: tuple[ReferenceMessage, ...]) -> tuple[Message, ...]:
    messages: list[Message] = []
    for index, item in enumerate(items):
        path = f"$.messages[{index}]"
        try:
            role = Role(item.role)
        except ValueError:
            raise InvalidCallBody(
                f"unknown role {item.role!r}; use one of {_ROLES}", f"{path}.role"
            ) from None
        try:
            if role is Role.TOOL and item.tool_call_id is None:
                call = ToolCall(f"ref_msg_{index}", item.name or "tool")
                messages.append(Message.assistant(tool_calls=(call,)))
                messages.append(Message.tool(item.content, tool_call_id=call.id, name=item.name))
            else:
                messages.append(
                    Message(role, item.content, item.name, item.tool_calls, item.tool_call_id)
                )
        except InvalidValue as error:
            raise InvalidCallBody(error.reason, path + (error.path or "$")[1:]) from None
    return tuple(messages)


def decode_body(decoder: msgspec.json.Decoder[_T], payload: bytes, what: str) -> _T:
    """``payload`` decoded by ``decoder``, or `InvalidCallBody` saying what and where (``what``
    names what was expected: ``"not a CallRequest: ..."``). Every Call body is read through it
    (agent, model and memory calls).

    Example:
        >>> decode_body(msgspec.json.Decoder(int), b'"x"', "a count")
        Traceback (most recent call last):
        ...
        mxp_agents.kernel._call_body.InvalidCallBody: not a count: expected int, got str - at $
    """
    try:
        return decoder.decode(payload)
    except msgspec.ValidationError as error:
        reason, path = _parts(error)
        cause = error.__cause__
        if isinstance(cause, InvalidCallBody | InvalidValue):
            inner = cause.path or "$"
            raise InvalidCallBody(cause.reason, path + inner[1:]) from None
        raise InvalidCallBody(f"not {what}: {reason}", path) from None
    except msgspec.DecodeError as error:
        raise InvalidCallBody(f"the body is not JSON ({error})") from None

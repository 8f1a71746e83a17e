"""Scripted `Reply`s rendered the way Anthropic's Messages API answers: a ``message`` object,
the SSE events of a streamed one, and error responses."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Final

import msgspec

from mxp_agents.adapters._events import FinishReason
from mxp_agents.adapters.testing.http import HTTPResponse, sse_event

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mxp_agents.adapters.testing.conformance import ErrorReply, Reply
    from mxp_agents.primitives import ToolCall, Usage

__all__ = ["error_body", "error_response", "message_body", "stream_events"]

TEXT_PIECE: Final = 8  # characters per text_delta
JSON_PIECE: Final = 6  # characters per input_json_delta
THINKING: Final = "Let me think this through."
_STOP: Final = {
    FinishReason.STOP: "end_turn",
    FinishReason.LENGTH: "max_tokens",
    FinishReason.TOOL_CALLS: "tool_use",
    FinishReason.CONTENT_FILTER: "refusal",
    FinishReason.OTHER: "pause_turn",
}
# kind -> (HTTP status, error.type, default message)
_ERRORS: Final = {
    "auth": (401, "authentication_error", "invalid x-api-key"),
    "permission": (
        403,
        "permission_error",
        "Your API key does not have permission to use the specified resource.",
    ),
    "rate_limit": (
        429,
        "rate_limit_error",
        "This request would exceed the rate limit for your organization of 50,000 input "
        "tokens per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.",
    ),
    "context_length": (
        400,
        "invalid_request_error",
        "prompt is too long: 208310 tokens > 200000 maximum",
    ),
    "invalid": (400, "invalid_request_error", "max_tokens: Input should be a valid integer"),
    "server": (500, "api_error", "Internal server error"),
    "overloaded": (529, "overloaded_error", "Overloaded"),
}
_encoder: Final = msgspec.json.Encoder()


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def request_id(number: int) -> str:
    """The ``request-id`` of answer ``number``.

    Example:
        >>> request_id(7)
        'req_fake0000000000000007'
    """
    return f"req_fake{number:016d}"


def _usage(usage: Usage, *, output: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "input_tokens": usage.input_tokens - usage.cached_input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": usage.cached_input_tokens,
        "output_tokens": usage.output_tokens if output is None else output,
    }
    if usage.reasoning_tokens and output is None:
        body["output_tokens_details"] = {"thinking_tokens": usage.reasoning_tokens}
    return body


def _content(reply: Reply) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if reply.usage.reasoning_tokens:
        blocks.append({"type": "thinking", "thinking": THINKING, "signature": "c2lnbmF0dXJl"})
    if reply.text:
        blocks.append({"type": "text", "text": reply.text})
    blocks.extend(
        {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}
        for call in reply.tool_calls
    )
    return blocks


def _message(reply: Reply, model: str, number: int, *, streamed: bool) -> dict[str, Any]:
    done = not streamed
    return {
        "id": f"msg_fake{number:016d}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": _content(reply) if done else [],
        "stop_reason": _STOP[reply.finish] if done else None,
        "stop_sequence": None,
        "usage": _usage(reply.usage, output=None if done else min(1, reply.usage.output_tokens)),
    }


def message_body(reply: Reply, *, model: str, number: int) -> dict[str, Any]:
    """The ``message`` object of ``reply`` (``stop_reason`` ``refusal`` for a content filter).

    Example:
        >>> from mxp_agents.adapters.testing.conformance import Reply
        >>> body = message_body(Reply(text="Hi"), model="claude-haiku-4-5", number=1)
        >>> body["content"], body["stop_reason"]
        ([{'type': 'text', 'text': 'Hi'}], 'end_turn')
    """
    return _message(reply, model, number, streamed=False)


def _block_events(index: int, start: dict[str, Any], deltas: list[dict[str, Any]]) -> list[bytes]:
    events = [
        sse_event(
            {"type": "content_block_start", "index": index, "content_block": start},
            event="content_block_start",
        )
    ]
    events.extend(
        sse_event(
            {"type": "content_block_delta", "index": index, "delta": delta},
            event="content_block_delta",
        )
        for delta in deltas
    )
    events.append(
        sse_event({"type": "content_block_stop", "index": index}, event="content_block_stop")
    )
    return events


def _tool_events(index: int, call: ToolCall) -> list[bytes]:
    arguments = _encoder.encode(call.arguments).decode()
    fragments = ["", *_pieces(arguments, JSON_PIECE)]  # the API opens with an empty fragment
    start: dict[str, Any] = {"type": "tool_use", "id": call.id, "name": call.name, "input": {}}
    return _block_events(
        index, start, [{"type": "input_json_delta", "partial_json": f} for f in fragments]
    )


def stream_events(
    reply: Reply, *, model: str, number: int, fail: ErrorReply | None = None
) -> Iterator[bytes]:
    """The SSE events of ``reply`` streamed: ``message_start``, ``ping``, one block per
    thinking / text / tool call (text in small ``text_delta``s, tool input in
    ``input_json_delta`` fragments), ``message_delta`` with the stop reason and cumulative
    usage, ``message_stop``. With ``fail``, an ``error`` event follows the content instead.

    Example:
        >>> from mxp_agents.adapters.testing.conformance import Reply
        >>> events = list(stream_events(Reply(text="Hello"), model="m", number=1))
        >>> events[0].split(b"\\n")[0], events[-1]
        (b'event: message_start', b'event: message_stop\\ndata: {"type":"message_stop"}\\n\\n')
    """
    start = {"type": "message_start", "message": _message(reply, model, number, streamed=True)}
    yield sse_event(start, event="message_start")
    yield sse_event({"type": "ping"}, event="ping")
    index = 0
    if reply.usage.reasoning_tokens:
        deltas = [{"type": "thinking_delta", "thinking": p} for p in _pieces(THINKING, 9)]
        deltas.append({"type": "signature_delta", "signature": "c2lnbmF0dXJl"})
        yield from _block_events(
            index, {"type": "thinking", "thinking": "", "signature": ""}, deltas
        )
        index += 1
    if reply.text:
        deltas = [{"type": "text_delta", "text": p} for p in _pieces(reply.text, TEXT_PIECE)]
        yield from _block_events(index, {"type": "text", "text": ""}, deltas)
        index += 1
    for call in reply.tool_calls:
        yield from _tool_events(index, call)
        index += 1
    if fail is not None:
        yield sse_event(error_body(fail, api_key="", number=number), event="error")
        return
    delta = {"stop_reason": _STOP[reply.finish], "stop_sequence": None}
    usage = _usage(reply.usage)
    yield sse_event(
        {"type": "message_delta", "delta": delta, "usage": usage}, event="message_delta"
    )
    yield sse_event({"type": "message_stop"}, event="message_stop")


def error_body(error: ErrorReply, *, api_key: str, number: int) -> dict[str, Any]:
    """The ``{"type": "error", "error": {...}, "request_id": ...}`` body of ``error``; the
    authentication error echoes ``api_key`` (a test that the adapter masks it).

    Example:
        >>> from mxp_agents.adapters.testing.conformance import ErrorReply
        >>> error_body(ErrorReply(kind="overloaded"), api_key="", number=1)["error"]
        {'type': 'overloaded_error', 'message': 'Overloaded'}
    """
    _, kind, message = _ERRORS.get(error.kind, _ERRORS["invalid"])
    if error.message:
        message = error.message
    elif error.kind == "auth" and api_key:
        message = f"{message}: {api_key}"
    return {
        "type": "error",
        "error": {"type": kind, "message": message},
        "request_id": request_id(number),
    }


def error_response(error: ErrorReply, *, api_key: str, number: int) -> HTTPResponse:
    """``error`` as Anthropic's HTTP error: status, body, ``request-id`` and, for rate limits,
    ``retry-after`` (whole seconds, rounded up) with the rate-limit headers.

    Example:
        >>> from mxp_agents.adapters.testing.conformance import ErrorReply
        >>> response = error_response(ErrorReply(kind="rate_limit", retry_after=2), api_key="",
        ...                           number=1)
        >>> response.status, response.headers["retry-after"]
        (429, '2')
    """
    status = _ERRORS.get(error.kind, _ERRORS["invalid"])[0]
    headers = {"request-id": request_id(number), "x-should-retry": str(status >= 429).lower()}
    if error.kind == "rate_limit":
        headers["anthropic-ratelimit-input-tokens-limit"] = "50000"
        headers["anthropic-ratelimit-input-tokens-remaining"] = "0"
        if error.retry_after is not None:
            headers["retry-after"] = str(max(0, math.ceil(error.retry_after)))
    body = error_body(error, api_key=api_key, number=number)
    return HTTPResponse.json(body, status=status, headers=headers)

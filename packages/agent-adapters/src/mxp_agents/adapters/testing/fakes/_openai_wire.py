"""OpenAI's Chat Completions answers for the fake server: objects, SSE chunks and errors."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Final

import msgspec

from mxp_agents.adapters._events import FinishReason
from mxp_agents.adapters.testing.http import HTTPResponse, sse_event

if TYPE_CHECKING:
    from mxp_agents.adapters.testing.conformance import ErrorReply, Reply
    from mxp_agents.primitives import ToolCall, Usage

__all__ = [
    "CREATED",
    "chunk_events",
    "completion_body",
    "error_response",
    "split",
    "usage_body",
]

CREATED: Final = 1_735_689_600  # the ``created`` timestamp of every answer (2025-01-01)
TEXT_PIECE: Final = 8  # characters per streamed text chunk
ARGUMENT_PIECES: Final = 3  # fragments per streamed tool call's arguments
_FINISH: Final = {
    FinishReason.STOP: "stop",
    FinishReason.LENGTH: "length",
    FinishReason.TOOL_CALLS: "tool_calls",
    FinishReason.CONTENT_FILTER: "content_filter",
    FinishReason.OTHER: "other",  # OpenAI has no such reason; compatible servers invent some
}
_encoder: Final = msgspec.json.Encoder()


def split(text: str, size: int) -> list[str]:
    """``text`` in pieces of ``size`` characters (at least one piece).

    Example:
        >>> split("abcdefg", 3)
        ['abc', 'def', 'g']
    """
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _arguments(call: ToolCall) -> str:
    if call.raw_arguments is not None and call.raw_arguments.strip():
        return call.raw_arguments
    return _encoder.encode(call.arguments).decode()


def usage_body(usage: Usage) -> dict[str, Any]:
    """A ``usage`` block as OpenAI sends it, details included.

    Example:
        >>> from mxp_agents.primitives import Usage
        >>> usage_body(Usage(input_tokens=3, output_tokens=2))["total_tokens"]
        5
    """
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_input_tokens, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": usage.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _envelope(kind: str, number: int, model: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-fake{number:06d}",
        "object": kind,
        "created": CREATED,
        "model": model,
        "service_tier": "default",
        "system_fingerprint": "fp_fake0001",
    }


def completion_body(reply: Reply, *, model: str, number: int) -> dict[str, Any]:
    """The ``chat.completion`` object of ``reply``.

    Example:
        >>> from mxp_agents.adapters.testing.conformance import Reply
        >>> body = completion_body(Reply(text="Hi"), model="gpt-4o-mini", number=1)
        >>> body["choices"][0]["message"]["content"], body["choices"][0]["finish_reason"]
        ('Hi', 'stop')
    """
    message: dict[str, Any] = {
        "role": "assistant",
        "content": reply.text or (None if reply.tool_calls else ""),
        "refusal": None,
        "annotations": [],
    }
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": _arguments(call)},
            }
            for call in reply.tool_calls
        ]
    choice = {
        "index": 0,
        "message": message,
        "logprobs": None,
        "finish_reason": _FINISH[reply.finish],
    }
    return {
        **_envelope("chat.completion", number, model),
        "choices": [choice],
        "usage": usage_body(reply.usage),
    }


def chunk_events(reply: Reply, *, model: str, number: int, include_usage: bool) -> list[bytes]:
    """The SSE events of ``reply`` streamed: a role chunk, text in small chunks, each tool call
    as a first fragment (id, name) and argument fragments, the finish chunk, the usage chunk
    (with ``stream_options.include_usage``), then ``data: [DONE]``.

    Example:
        >>> from mxp_agents.adapters.testing.conformance import Reply
        >>> events = chunk_events(Reply(text="Hi"), model="m", number=1, include_usage=True)
        >>> events[-1]
        b'data: [DONE]\\n\\n'
    """
    envelope = _envelope("chat.completion.chunk", number, model)
    usage_field: dict[str, Any] = {"usage": None} if include_usage else {}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return sse_event({**envelope, "choices": [choice], **usage_field})

    first: dict[str, Any] = {"role": "assistant", "content": "", "refusal": None}
    if reply.tool_calls and not reply.text:
        first["content"] = None
    events = [chunk(first)]
    if reply.text:
        events.extend(chunk({"content": piece}) for piece in split(reply.text, TEXT_PIECE))
    for index, call in enumerate(reply.tool_calls):
        head = {
            "index": index,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        events.append(chunk({"tool_calls": [head]}))
        arguments = _arguments(call)
        size = max(1, math.ceil(len(arguments) / ARGUMENT_PIECES))
        events.extend(
            chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
            for piece in split(arguments, size)
        )
    events.append(chunk({}, _FINISH[reply.finish]))
    if include_usage:
        events.append(sse_event({**envelope, "choices": [], "usage": usage_body(reply.usage)}))
    events.append(sse_event("[DONE]"))
    return events


def _error(message: str, kind: str, code: str | None, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def error_response(error: ErrorReply, *, api_key: str, model: str) -> HTTPResponse:
    """``error`` as OpenAI answers it: status, headers (``retry-after-ms`` / ``retry-after``
    on a rate limit) and an ``{"error": {message, type, param, code}}`` body. The 401 body
    echoes the API key the request carried, as OpenAI's does.

    Example:
        >>> from mxp_agents.adapters.testing.conformance import ErrorReply
        >>> error_response(ErrorReply(kind="context_length"), api_key="sk-x", model="m").status
        400
    """
    headers = {"x-request-id": "req_fake0001"}
    kind = error.kind
    text = error.message
    if kind == "auth":
        status, body = (
            401,
            _error(
                text
                or f"Incorrect API key provided: {api_key}. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                "invalid_request_error",
                "invalid_api_key",
            ),
        )
    elif kind == "permission":
        status, body = (
            403,
            _error(
                text or f"Project `proj_fake` does not have access to model `{model}`",
                "invalid_request_error",
                "model_not_found",
            ),
        )
    elif kind == "rate_limit":
        wait = 20.0 if error.retry_after is None else error.retry_after
        status, body = (
            429,
            _error(
                text
                or f"Rate limit reached for {model} in organization org-fake on requests per min "
                f"(RPM): Limit 3, Used 3, Requested 1. Please try again in {wait:g}s. Visit "
                "https://platform.openai.com/account/rate-limits to learn more.",
                "requests",
                "rate_limit_exceeded",
            ),
        )
        headers["x-ratelimit-limit-requests"] = "3"
        headers["x-ratelimit-remaining-requests"] = "0"
        headers["x-ratelimit-reset-requests"] = f"{wait:g}s"
        if error.retry_after is not None:
            headers["retry-after-ms"] = str(round(error.retry_after * 1000))
            headers["retry-after"] = str(math.ceil(error.retry_after))
    elif kind == "context_length":
        status, body = (
            400,
            _error(
                text
                or "This model's maximum context length is 128000 tokens. However, your messages "
                "resulted in 131072 tokens. Please reduce the length of the messages.",
                "invalid_request_error",
                "context_length_exceeded",
                "messages",
            ),
        )
    elif kind == "content_filter":
        status, body = (
            400,
            _error(
                text
                or "Your request was rejected as a result of our safety system. Your prompt may "
                "contain text that is not allowed by our safety system.",
                "invalid_request_error",
                "content_policy_violation",
            ),
        )
    elif kind == "invalid":
        status, body = (
            400,
            _error(
                text or "Unrecognized request argument supplied: frobnicate",
                "invalid_request_error",
                None,
            ),
        )
    elif kind == "server":
        status, body = (
            500,
            _error(
                text or "The server had an error while processing your request. Sorry about that!",
                "server_error",
                None,
            ),
        )
    else:  # overloaded
        status, body = (
            503,
            _error(
                text or "The engine is currently overloaded, please try again later.",
                "server_error",
                None,
            ),
        )
    return HTTPResponse.json(body, status=status, headers=headers)

"""Ollama's ``/api/chat`` wire format for the fake server: answers, errors, requests seen."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, Final

from mxp_agents.adapters._events import FinishReason
from mxp_agents.adapters.testing._http_types import HTTPResponse, StreamingResponse, ndjson_line
from mxp_agents.adapters.testing.conformance._types import SeenRequest
from mxp_agents.adapters.testing.fakes._transcript import Transcript

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from mxp_agents.adapters.testing.conformance._types import ErrorReply, Reply
    from mxp_agents.primitives import Usage

__all__ = [
    "CHUNK_CHARS",
    "answer",
    "error_response",
    "final_line",
    "not_found",
    "seen_request",
    "stream_lines",
]

CHUNK_CHARS: Final = 6
"""Characters of text per streamed chunk (real Ollama sends one token per line)."""

_NDJSON: Final = "application/x-ndjson"
_DONE_REASONS: Final = {
    FinishReason.STOP: "stop",
    FinishReason.TOOL_CALLS: "stop",  # Ollama says "stop" after tool calls too
    FinishReason.LENGTH: "length",
    FinishReason.CONTENT_FILTER: "stop",  # Ollama has no content filter
    FinishReason.OTHER: "unload",
}
_ERRORS: Final[Mapping[str, tuple[int, str]]] = {
    # status and message, as Ollama's server writes them (server/routes.go, llm/server.go).
    "permission": (403, "forbidden: this account may not use this model"),
    "rate_limit": (429, "too many requests, please slow down"),
    "context_length": (400, "the input length exceeds the context length"),
    # Ollama has no content filter; a hosted model's refusal surfaces as an error message.
    "content_filter": (400, "the response was blocked by the content filter"),
    "invalid": (400, '"{model}" does not support tools'),
    "server": (500, "llama runner process has terminated: exit status 2"),
    "overloaded": (503, "server busy, please try again.  maximum pending requests exceeded"),
}


def _now() -> str:
    stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="microseconds")
    return stamp.replace("+00:00", "Z")


def _metrics(usage: Usage) -> dict[str, Any]:
    # Go's omitempty: zero counts and durations are left out, as the real server does.
    metrics: dict[str, Any] = {"total_duration": 182242375, "load_duration": 41295167}
    if usage.input_tokens:
        metrics["prompt_eval_count"] = usage.input_tokens
        metrics["prompt_eval_duration"] = 24573166
    if usage.output_tokens:
        metrics["eval_count"] = usage.output_tokens
        metrics["eval_duration"] = 115959084
    return metrics


def _tool_calls(reply: Reply) -> list[dict[str, Any]]:
    return [
        {
            "id": call.id,
            "function": {"index": index, "name": call.name, "arguments": call.arguments},
        }
        for index, call in enumerate(reply.tool_calls)
    ]


def final_line(reply: Reply, model: str) -> dict[str, Any]:
    """The last line of a streamed answer: empty message, ``done``, reason and counts.

    Example:
        >>> from mxp_agents.adapters.testing.conformance import Reply
        >>> line = final_line(Reply(text="hi"), "llama3.2")
        >>> line["done"], line["done_reason"], line["eval_count"]
        (True, 'stop', 7)
    """
    return {
        "model": model,
        "created_at": _now(),
        "message": {"role": "assistant", "content": ""},
        "done_reason": _DONE_REASONS[reply.finish],
        "done": True,
        **_metrics(reply.usage),
    }


def answer(reply: Reply, model: str) -> HTTPResponse:
    """A whole (``"stream": false``) answer: the full message, tool calls and counts.

    Example:
        >>> from mxp_agents.adapters.testing.conformance import Reply
        >>> answer(Reply(text="Paris."), "llama3.2").status
        200
    """
    message: dict[str, Any] = {"role": "assistant", "content": reply.text}
    if reply.tool_calls:
        message["tool_calls"] = _tool_calls(reply)
    body = final_line(reply, model)
    body["message"] = message
    return HTTPResponse.json(body)


def stream_lines(reply: Reply, model: str) -> Iterator[bytes]:
    """The NDJSON lines of a streamed answer: text in small pieces, each tool call whole in a
    line of its own (Ollama parses calls before sending them), then the final line.

    Example:
        >>> from mxp_agents.adapters.testing.conformance import Reply
        >>> len(list(stream_lines(Reply(text="Hello, world"), "llama3.2")))
        3
    """
    text = reply.text
    for start in range(0, len(text), CHUNK_CHARS):
        piece = text[start : start + CHUNK_CHARS]
        yield ndjson_line(
            {
                "model": model,
                "created_at": _now(),
                "message": {"role": "assistant", "content": piece},
                "done": False,
            }
        )
    for call in _tool_calls(reply):
        yield ndjson_line(
            {
                "model": model,
                "created_at": _now(),
                "message": {"role": "assistant", "content": "", "tool_calls": [call]},
                "done": False,
            }
        )
    yield ndjson_line(final_line(reply, model))


def streamed(reply: Reply, model: str) -> StreamingResponse:
    """`stream_lines` as an ``application/x-ndjson`` streamed answer with the reply's pacing.

    Example:
        >>> from mxp_agents.adapters.testing.conformance import Reply
        >>> streamed(Reply(text="hi"), "llama3.2").headers["content-type"]
        'application/x-ndjson'
    """
    return StreamingResponse(
        stream_lines(reply, model), chunk_delay=reply.chunk_delay, content_type=_NDJSON
    )


def error_response(error: ErrorReply, model: str, api_key: str | None) -> HTTPResponse:
    """``error`` as Ollama writes it: the status and ``{"error": "..."}``; a rate limit with
    ``retry_after`` gets a ``retry-after`` header. The 401 message echoes the key it got, so
    tests prove the adapter masks it.

    Example:
        >>> from mxp_agents.adapters.testing.conformance import ErrorReply
        >>> error_response(ErrorReply(kind="overloaded"), "llama3.2", None).status
        503
    """
    if error.kind == "auth":
        status, text = 401, f"unauthorized: invalid API key {api_key or '(none)'}"
    else:
        status, text = _ERRORS[error.kind]
        text = text.replace("{model}", model)
    headers: dict[str, str] = {}
    if error.kind == "rate_limit" and error.retry_after is not None:
        headers["retry-after"] = f"{error.retry_after:g}"
    return HTTPResponse.json({"error": error.message or text}, status=status, headers=headers)


def not_found(model: str) -> HTTPResponse:
    """The 404 of a model that is not pulled, word for word as Ollama sends it.

    Example:
        >>> not_found("llama3.2").body
        b'{"error":"model \\\\"llama3.2\\\\" not found, try pulling it first"}'
    """
    return HTTPResponse.json(
        {"error": f'model "{model}" not found, try pulling it first'}, status=404
    )


def seen_request(body: Mapping[str, Any], headers: Mapping[str, str]) -> SeenRequest:
    """An ``/api/chat`` body (and its headers) translated back into our terms.

    Tool results answer their ``tool_call_id``, else their ``tool_name``; ``stream`` is true
    when absent (Ollama's default); there is no ``tool_choice`` on Ollama's wire.

    Example:
        >>> seen_request({"model": "m", "messages": [{"role": "user", "content": "Hi"}]}, {})
        SeenRequest(system='', roles=('user',), texts=('Hi',), ..., stream=True, api_key=None)
    """
    transcript = Transcript()
    for message in body.get("messages") or ():
        role = str(message.get("role", ""))
        content = str(message.get("content") or "")
        if role == "system":
            transcript.system.append(content)
            continue
        transcript.turn(role, content)
        calls = message.get("tool_calls") or ()
        transcript.call_ids.extend(str(call["id"]) for call in calls if call.get("id"))
        if role == "tool":
            answered = message.get("tool_call_id") or message.get("tool_name") or ""
            transcript.result_ids.append(str(answered))
    options: Mapping[str, Any] = body.get("options") or {}
    schema: object = body.get("format")
    authorization = headers.get("authorization", "")
    return SeenRequest(
        **transcript.fields(),
        tool_names=tuple(str(tool["function"]["name"]) for tool in body.get("tools") or ()),
        temperature=options.get("temperature"),
        max_output_tokens=options.get("num_predict"),
        stop=tuple(options.get("stop") or ()),
        response_schema=schema if isinstance(schema, dict) else None,  # pyright: ignore[reportUnknownArgumentType]
        stream=bool(body.get("stream", True)),
        api_key=authorization.removeprefix("Bearer ") if authorization else None,
    )

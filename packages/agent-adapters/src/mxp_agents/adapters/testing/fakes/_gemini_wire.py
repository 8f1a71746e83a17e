"""The Gemini API's ``generateContent`` answers for the fake server: whole responses, streamed
chunks, blocked prompts and error bodies."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any, Final

import msgspec

from mxp_agents.adapters._events import FinishReason
from mxp_agents.adapters.testing.http import HTTPResponse, sse_event

if TYPE_CHECKING:
    from mxp_agents.adapters.testing.conformance import ErrorReply, Reply
    from mxp_agents.primitives import ToolCall, Usage

__all__ = ["answer_body", "answer_chunks", "blocked_body", "error_response", "usage_metadata"]

TEXT_PIECE: Final = 12  # characters per streamed text chunk
_FINISH: Final = {
    FinishReason.STOP: "STOP",
    FinishReason.TOOL_CALLS: "STOP",  # Gemini reports STOP when it calls functions
    FinishReason.LENGTH: "MAX_TOKENS",
    FinishReason.CONTENT_FILTER: "SAFETY",
    FinishReason.OTHER: "OTHER",
}

# -- answers ---------------------------------------------------------------------------------


def usage_metadata(usage: Usage) -> dict[str, Any]:
    """``usageMetadata`` as Gemini sends it (zero counts left out, as protobuf JSON does).

    Example:
        >>> from mxp_agents.primitives import Usage
        >>> usage_metadata(Usage(input_tokens=3, output_tokens=2))["totalTokenCount"]
        5
    """
    visible = usage.output_tokens - usage.reasoning_tokens
    meta: dict[str, Any] = {"promptTokenCount": usage.input_tokens}
    if visible:
        meta["candidatesTokenCount"] = visible
    meta["totalTokenCount"] = usage.input_tokens + usage.output_tokens
    if usage.cached_input_tokens:
        meta["cachedContentTokenCount"] = usage.cached_input_tokens
    meta["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": usage.input_tokens}]
    if usage.reasoning_tokens:
        meta["thoughtsTokenCount"] = usage.reasoning_tokens
    return meta


def _signature(response_id: str) -> str:
    return base64.b64encode(f"fake-thought-signature:{response_id}".encode()).decode()


def _call_parts(
    calls: tuple[ToolCall, ...], response_id: str, with_ids: bool
) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for number, call in enumerate(calls):
        function: dict[str, Any] = {"name": call.name, "args": call.arguments}
        if with_ids:
            function["id"] = call.id
        part: dict[str, Any] = {"functionCall": function}
        if number == 0:  # thinking models sign the first call of a step
            part["thoughtSignature"] = _signature(response_id)
        parts.append(part)
    return parts


def _envelope(response_id: str, model: str, usage: Usage) -> dict[str, Any]:
    return {
        "usageMetadata": usage_metadata(usage),
        "modelVersion": model,
        "responseId": response_id,
    }


def _candidate(parts: list[dict[str, Any]], finish: str | None) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}}
    if finish is not None:
        candidate["finishReason"] = finish
    candidate["index"] = 0
    return candidate


def answer_body(reply: Reply, *, model: str, response_id: str, with_ids: bool) -> dict[str, Any]:
    """The ``GenerateContentResponse`` of ``reply``.

    Example:
        >>> from mxp_agents.adapters.testing.conformance import Reply
        >>> body = answer_body(Reply(text="Hi"), model="m", response_id="r1", with_ids=False)
        >>> body["candidates"][0]["content"]["parts"], body["candidates"][0]["finishReason"]
        ([{'text': 'Hi'}], 'STOP')
    """
    parts: list[dict[str, Any]] = (
        [{"text": reply.text}] if reply.text or not reply.tool_calls else []
    )
    parts += _call_parts(reply.tool_calls, response_id, with_ids)
    candidate = _candidate(parts, _FINISH[reply.finish])
    return {"candidates": [candidate], **_envelope(response_id, model, reply.usage)}


def answer_chunks(reply: Reply, *, model: str, response_id: str, with_ids: bool) -> list[bytes]:
    """``reply`` as ``streamGenerateContent?alt=sse`` events: the text in small pieces, the
    function calls whole in one chunk, the finish reason and full usage on the last chunk
    (earlier chunks carry the prompt's usage only).

    Example:
        >>> from mxp_agents.adapters.testing.conformance import Reply
        >>> len(answer_chunks(Reply(text="x" * 30), model="m", response_id="r", with_ids=False))
        3
    """
    early = msgspec.structs.replace(reply.usage, output_tokens=0, reasoning_tokens=0)
    pieces = [reply.text[i : i + TEXT_PIECE] for i in range(0, len(reply.text), TEXT_PIECE)]
    bodies: list[dict[str, Any]] = [
        {
            "candidates": [_candidate([{"text": piece}], None)],
            **_envelope(response_id, model, early),
        }
        for piece in pieces
    ]
    if reply.tool_calls:
        parts = _call_parts(reply.tool_calls, response_id, with_ids)
        bodies.append(
            {"candidates": [_candidate(parts, None)], **_envelope(response_id, model, early)}
        )
    last = bodies.pop() if bodies else {"candidates": [_candidate([{"text": ""}], None)]}
    last["candidates"][0]["finishReason"] = _FINISH[reply.finish]
    last.update(_envelope(response_id, model, reply.usage))
    bodies.append(last)
    return [sse_event(body) for body in bodies]


def blocked_body(reply: Reply, *, model: str, response_id: str) -> dict[str, Any]:
    """A prompt Gemini refused: no candidates, ``promptFeedback.blockReason``.

    Example:
        >>> from mxp_agents.adapters.testing.conformance import Reply
        >>> blocked_body(Reply(), model="m", response_id="r")["promptFeedback"]["blockReason"]
        'PROHIBITED_CONTENT'
    """
    usage = msgspec.structs.replace(reply.usage, output_tokens=0, reasoning_tokens=0)
    feedback = {
        "blockReason": "PROHIBITED_CONTENT",
        "safetyRatings": [
            {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True}
        ],
    }
    if reply.error is not None and reply.error.message:
        feedback["blockReasonMessage"] = reply.error.message
    return {"promptFeedback": feedback, **_envelope(response_id, model, usage)}


# -- errors ----------------------------------------------------------------------------------

_ERRORS: Final[dict[str, tuple[int, str, str]]] = {
    "auth": (400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key."),
    "permission": (403, "PERMISSION_DENIED", "The caller does not have permission"),
    "rate_limit": (
        429,
        "RESOURCE_EXHAUSTED",
        "You exceeded your current quota, please check your plan and billing details. For more "
        "information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.",
    ),
    "context_length": (
        400,
        "INVALID_ARGUMENT",
        "The input token count (1234567) exceeds the maximum number of tokens allowed (1048576).",
    ),
    "invalid": (
        400,
        "INVALID_ARGUMENT",
        'Invalid JSON payload received. Unknown name "fake_field": Cannot find field.',
    ),
    "server": (
        500,
        "INTERNAL",
        "An internal error has occurred. Please retry or report in "
        "https://developers.generativeai.google/guide/troubleshooting",
    ),
    "overloaded": (503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
}


def error_response(error: ErrorReply, *, api_key: str, model: str) -> HTTPResponse:
    """Gemini's error answer for ``error`` (not ``content_filter``: that is `blocked_body`).

    The invalid-key answer (HTTP 400 with ``API_KEY_INVALID``, as Gemini sends it) echoes
    ``api_key`` once, so tests prove the adapter masks it.

    Example:
        >>> from mxp_agents.adapters.testing.conformance import ErrorReply
        >>> error_response(ErrorReply(kind="overloaded"), api_key="k", model="m").status
        503
    """
    status, code, message = _ERRORS[error.kind]
    message = error.message or message
    details: list[dict[str, Any]] = []
    if error.kind == "auth":
        message = f"{message} (key: {api_key})" if not error.message else message
        details = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            },
            {
                "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                "locale": "en-US",
                "message": "API key not valid. Please pass a valid API key.",
            },
        ]
    elif error.kind == "rate_limit":
        details = _quota_details(model, error.retry_after)
    body: dict[str, Any] = {"code": status, "message": message, "status": code}
    if details:
        body["details"] = details
    return HTTPResponse.json({"error": body}, status=status)


_QUOTA_METRIC: Final = "generativelanguage.googleapis.com/generate_content_free_tier_requests"


def _quota_details(model: str, retry_after: float | None) -> list[dict[str, Any]]:
    details: list[dict[str, Any]] = [
        {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            "violations": [
                {
                    "quotaMetric": _QUOTA_METRIC,
                    "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                    "quotaDimensions": {"location": "global", "model": model},
                    "quotaValue": "10",
                }
            ],
        },
        {
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [
                {
                    "description": "Learn more about Gemini API quotas",
                    "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
                }
            ],
        },
    ]
    if retry_after is not None:
        details.append(
            {
                "@type": "type.googleapis.com/google.rpc.RetryInfo",
                "retryDelay": _duration(retry_after),
            }
        )
    return details


def _duration(seconds: float) -> str:
    """A protobuf ``Duration`` in JSON: ``"1s"``, ``"1.500s"``."""
    if seconds == int(seconds):
        return f"{int(seconds)}s"
    return f"{seconds:.3f}s"

"""The embeddings endpoints of the fake servers, in each provider's wire format.

Vectors are made up, deterministically: `fake_vector` hashes the text, so a test can tell
which vector belongs to which text. The length is what the request asks for (OpenAI
``dimensions``, Gemini ``outputDimensionality``, Ollama ``dimensions``), else the fake's
``embed_dimensions``.
"""

from __future__ import annotations

import array
import base64
import hashlib
import math
import struct
import sys
from typing import Any, Final

from mxp_agents.adapters.testing.http import HTTPResponse

__all__ = [
    "fake_vector",
    "gemini_batch_embed",
    "gemini_embed",
    "ollama_embed",
    "openai_embeddings",
    "token_count",
]

_BLOCK: Final = 64  # bytes of one blake2b digest: 16 floats


def fake_vector(text: str, dimensions: int) -> list[float]:
    """A unit vector of ``dimensions`` float32-exact values made from the hash of ``text``.

    Example:
        >>> vector = fake_vector("hello", 4)
        >>> len(vector), round(sum(x * x for x in vector), 6)
        (4, 1.0)
    """
    data = bytearray()
    block = 0
    while len(data) < dimensions * 4:
        data += hashlib.blake2b(f"{block}\x00{text}".encode(), digest_size=_BLOCK).digest()
        block += 1
    raw = struct.unpack(f"<{dimensions}i", bytes(data[: dimensions * 4]))
    values = [x / 2**31 for x in raw]
    norm = math.sqrt(sum(x * x for x in values)) or 1.0
    # Round through float32, so the base64 encoding gives back exactly the same floats.
    return array.array("f", [x / norm for x in values]).tolist()


def token_count(texts: list[str]) -> int:
    """A token count for usage blocks: about four characters a token, at least one a text.

    Example:
        >>> token_count(["hello world"])
        3
    """
    return sum(max(1, -(-len(text) // 4)) for text in texts)


def _as_items(value: object) -> list[object] | None:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        return None
    items: list[object] = value  # pyright: ignore[reportUnknownVariableType]
    return items


def _float32_base64(vector: list[float]) -> str:
    packed = array.array("f", vector)
    if sys.byteorder != "little":
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode("ascii")


def _dimensions(requested: object, default: int) -> int:
    if isinstance(requested, int) and not isinstance(requested, bool) and requested > 0:
        return requested
    return default


def openai_embeddings(body: dict[str, Any], *, default_dimensions: int) -> HTTPResponse:
    """OpenAI's answer to ``POST /v1/embeddings``: a ``list`` of ``embedding`` objects
    (float lists, or base64 little-endian float32 with ``encoding_format: "base64"``, which the
    SDK asks for by default) and a usage block; OpenAI's 400 for a bad input.

    Example:
        >>> body = {"model": "m", "input": ["a"], "encoding_format": "float"}
        >>> openai_embeddings(body, default_dimensions=3).status
        200
    """
    items = _as_items(body.get("input"))
    if not items:
        return _openai_error("'input' must be a non-empty string or array of strings", "input")
    strings: list[str] = []
    for index, text in enumerate(items):
        if not isinstance(text, str) or not text:
            return _openai_error(f"'$.input[{index}]' is invalid: expected a non-empty string")
        strings.append(text)
    size = _dimensions(body.get("dimensions"), default_dimensions)
    encoding = body.get("encoding_format", "float")
    if encoding not in ("float", "base64"):
        return _openai_error(
            f"Invalid value for 'encoding_format': {encoding!r}. Supported values are: "
            "'float' and 'base64'.",
            "encoding_format",
        )
    data: list[dict[str, Any]] = []
    for index, text in enumerate(strings):
        vector = fake_vector(text, size)
        value: object = _float32_base64(vector) if encoding == "base64" else vector
        data.append({"object": "embedding", "index": index, "embedding": value})
    tokens = token_count(strings)
    answer = {
        "object": "list",
        "data": data,
        "model": str(body.get("model", "")),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
    return HTTPResponse.json(answer)


def _openai_error(message: str, param: str | None = None) -> HTTPResponse:
    error = {"message": message, "type": "invalid_request_error", "param": param, "code": None}
    return HTTPResponse.json({"error": error}, status=400)


def _gemini_text(content: object) -> str | None:
    if not isinstance(content, dict):
        return None
    parts: object = content.get("parts")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
    if not isinstance(parts, list):
        return None
    texts: list[str] = []
    for part in parts:  # pyright: ignore[reportUnknownVariableType]
        text: object = part.get("text") if isinstance(part, dict) else None  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        if not isinstance(text, str):
            return None
        texts.append(text)
    return " ".join(texts)


def gemini_embed(body: dict[str, Any], *, default_dimensions: int) -> HTTPResponse:
    """Gemini's answer to ``models/{model}:embedContent``: ``{"embedding": {"values": [...]}}``.

    Example:
        >>> body = {"content": {"parts": [{"text": "hi"}]}}
        >>> gemini_embed(body, default_dimensions=3).status
        200
    """
    text = _gemini_text(body.get("content"))
    if text is None:
        return _gemini_error("* EmbedContentRequest.content: contents must not be empty")
    size = _dimensions(body.get("outputDimensionality"), default_dimensions)
    return HTTPResponse.json({"embedding": {"values": fake_vector(text, size)}})


def gemini_batch_embed(
    body: dict[str, Any], *, model: str, default_dimensions: int
) -> HTTPResponse:
    """Gemini's answer to ``models/{model}:batchEmbedContents``: ``{"embeddings": [{"values":
    [...]}, ...]}``; its 400 for an empty text, more than 100 requests, or a request naming
    another model than the URL.

    Example:
        >>> body = {"requests": [{"model": "models/m", "content": {"parts": [{"text": "hi"}]}}]}
        >>> gemini_batch_embed(body, model="m", default_dimensions=3).status
        200
    """
    requests: object = body.get("requests")
    if not isinstance(requests, list) or not requests:
        return _gemini_error("* BatchEmbedContentsRequest.requests: must not be empty")
    items: list[object] = requests  # pyright: ignore[reportUnknownVariableType]
    if len(items) > 100:
        return _gemini_error(
            "* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch"
        )
    embeddings: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        fields: dict[str, Any] = item if isinstance(item, dict) else {}  # pyright: ignore[reportUnknownVariableType]
        if fields.get("model") != f"models/{model}":
            return _gemini_error(
                f"* BatchEmbedContentsRequest.requests[{index}].model: the model "
                f"{fields.get('model')!r} differs from the batch's models/{model}"
            )
        text = _gemini_text(fields.get("content"))
        if not text:
            return _gemini_error(
                f"* BatchEmbedContentsRequest.requests[{index}].content: contents must not be empty"
            )
        size = _dimensions(fields.get("outputDimensionality"), default_dimensions)
        embeddings.append({"values": fake_vector(text, size)})
    return HTTPResponse.json({"embeddings": embeddings})


def _gemini_error(message: str) -> HTTPResponse:
    error = {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}
    return HTTPResponse.json({"error": error}, status=400)


def ollama_embed(body: dict[str, Any], *, model: str, default_dimensions: int) -> HTTPResponse:
    """Ollama's answer to ``POST /api/embed``: ``model``, ``embeddings`` and the timing and
    ``prompt_eval_count`` fields.

    Example:
        >>> ollama_embed({"input": ["hi"]}, model="m", default_dimensions=3).status
        200
    """
    items = _as_items(body.get("input"))
    if items is None:
        return HTTPResponse.json({"error": "invalid input type"}, status=400)
    strings = [text for text in items if isinstance(text, str)]
    if len(strings) != len(items):
        return HTTPResponse.json({"error": "invalid input type"}, status=400)
    size = _dimensions(body.get("dimensions"), default_dimensions)
    answer = {
        "model": model,
        "embeddings": [fake_vector(text, size) for text in strings],
        "total_duration": 14_143_917,
        "load_duration": 1_019_500,
        "prompt_eval_count": token_count(strings),
    }
    return HTTPResponse.json(answer)

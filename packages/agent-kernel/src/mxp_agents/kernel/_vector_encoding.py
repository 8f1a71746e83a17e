"""Vectors and points as `MxpVectorStore` sends them: checked (type, length, finite values,
metadata JSON can carry) and JSON-encoded, each error naming its path in the caller's terms."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Final, cast

import msgspec

from mxp_agents.memory import InvalidRecord, VectorPoint
from mxp_agents.primitives import kind_of

__all__ = ["encoded_points", "floats", "json_safe"]

_encoder: Final = msgspec.json.Encoder()


def floats(vector: object, dimensions: int | None, path: str) -> list[float]:
    """``vector`` (a list, tuple, NumPy array, ...) as finite floats of length ``dimensions``
    (any length when None).

    Raises:
        InvalidRecord: not a sequence of numbers, a NaN or infinity, the wrong length.

    Example:
        >>> floats((1, 2.5), 2, "$.vector")
        [1.0, 2.5]
        >>> floats([1.0], 2, "$.points[0].vector")
        Traceback (most recent call last):
        ...
        mxp_agents.memory._errors.InvalidRecord: expected 2 values, got 1 - at $.points[0].vector
    """
    tolist = getattr(vector, "tolist", None)
    raw: object = tolist() if callable(tolist) else vector
    if isinstance(raw, str | bytes | dict) or not isinstance(raw, Sequence | list):
        raise InvalidRecord(f"a vector must be a sequence of floats, got {kind_of(vector)}", path)
    values: list[Any] = list(raw)  # pyright: ignore[reportUnknownArgumentType]
    if dimensions is not None and len(values) != dimensions:
        raise InvalidRecord(f"expected {dimensions} values, got {len(values)}", path)
    if not values:
        raise InvalidRecord("a vector must not be empty", path)
    for index, value in enumerate(values):
        if value.__class__ is not float:
            if isinstance(value, bool | str | bytes) or not hasattr(value, "__float__"):
                raise InvalidRecord(f"expected float, got {kind_of(value)}", f"{path}[{index}]")
            value = values[index] = float(value)
        if not math.isfinite(value):
            raise InvalidRecord(f"expected a finite float, got {value!r}", f"{path}[{index}]")
    return values


def encoded_points(points: Sequence[object], dimensions: int) -> list[bytes]:
    """Each point checked and JSON-encoded (``$.points[i]`` paths), all before any is sent.

    Raises:
        InvalidRecord: the first bad point, naming its path.

    Example:
        >>> encoded_points([VectorPoint("a", [1.0, 0.0])], 2)
        [b'{"id":"a","vector":[1.0,0.0],"tags":[],"metadata":{}}']
    """
    encoded: list[bytes] = []
    for index, point in enumerate(points):
        where = f"$.points[{index}]"
        if not isinstance(point, VectorPoint):
            raise InvalidRecord(f"expected a VectorPoint, got {kind_of(point)}", where)
        vector = floats(point.vector, dimensions, f"{where}.vector")
        if point.metadata:
            json_safe(point.metadata, f"{where}.metadata")
        try:
            encoded.append(
                _encoder.encode(VectorPoint(point.id, vector, point.tags, point.metadata))
            )
        except (TypeError, ValueError, msgspec.EncodeError) as error:
            raise InvalidRecord(
                f"cannot encode the metadata: {error}", f"{where}.metadata"
            ) from None
    return encoded


def json_safe(value: object, path: str) -> None:
    """Refuse what JSON would change on the way: bytes (base64 text) and NaN or infinities
    (null); nested dicts and lists are walked.

    Raises:
        InvalidRecord: naming the path of the value.

    Example:
        >>> json_safe({"k": [1, b"x"]}, "$.metadata")
        Traceback (most recent call last):
        ...
        mxp_agents.memory._errors.InvalidRecord: bytes cannot travel as JSON - at $.metadata.k[1]
    """
    if isinstance(value, dict):
        mapping = cast("dict[object, object]", value)
        for key, item in mapping.items():
            if item.__class__ not in _PLAIN:
                json_safe(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        items = cast("list[object]", value)
        for index, item in enumerate(items):
            if item.__class__ not in _PLAIN:
                json_safe(item, f"{path}[{index}]")
    elif isinstance(value, bytes | bytearray | memoryview):
        raise InvalidRecord("bytes cannot travel as JSON", path)
    elif isinstance(value, float) and not math.isfinite(value):
        raise InvalidRecord(f"expected a finite float, got {value!r}", path)


_PLAIN: Final = frozenset({str, int, bool, type(None)})

"""Vectors on the memory-call wire. A vector travels as a plain JSON array of numbers or,
compactly, as ``{"f32": "<base64 of little-endian float32 values>"}`` (4 bytes a value, about
5.3 characters in the body instead of ~20: a 384-d vector is ~2 KB instead of ~8 KB).

`MxpVectorStore` checks each vector here (type, length, finite values, metadata JSON can
carry) and sends the compact form; the server (`unpacked_points`, `unpacked_vector`) accepts
both forms and turns the compact one into an ``array.array("f")`` for the served store. Each
error names its path. Standard library only: no NumPy on this path.
"""

from __future__ import annotations

import array
import math
import struct
import sys
from collections.abc import Sequence
from typing import Any, Final, cast

import msgspec

from mxp_agents.memory import InvalidRecord, VectorPoint
from mxp_agents.primitives import kind_of

__all__ = [
    "F32",
    "F32Vector",
    "encoded_points",
    "floats",
    "json_safe",
    "packed",
    "unpacked_points",
    "unpacked_vector",
]

F32: Final = "f32"
"""The key of the compact vector form."""
_SWAP: Final = sys.byteorder == "big"
"""The wire is little-endian: a big-endian host swaps each value's bytes."""
_as_floats: Final = msgspec.convert
_HIGH: Final = bytes(0xFF if byte & 0x7F == 0x7F else 0 for byte in range(256))
_LOW: Final = bytes(0xFF if byte & 0x80 else 0 for byte in range(256))
_encoder: Final = msgspec.json.Encoder()


class F32Vector(msgspec.Struct, frozen=True):
    """A vector in its compact wire form: ``{"f32": "<base64>"}`` of little-endian float32
    values (msgspec writes ``bytes`` as base64).

    Example:
        >>> msgspec.json.encode(F32Vector(b"\\x00\\x00\\x80\\x3f"))
        b'{"f32":"AACAPw=="}'
    """

    f32: bytes


class _WirePoint(msgspec.Struct, frozen=True):
    """A `VectorPoint` as sent (same fields; the point was checked when it was built)."""

    id: str
    vector: object
    tags: tuple[str, ...]
    metadata: dict[str, Any]


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
    values = _values(vector, dimensions, path)
    for index, value in enumerate(values):
        if value.__class__ is not float:
            if isinstance(value, bool | str | bytes) or not hasattr(value, "__float__"):
                raise InvalidRecord(f"expected float, got {kind_of(value)}", f"{path}[{index}]")
            try:
                value = values[index] = float(value)
            except (OverflowError, TypeError, ValueError) as error:
                raise InvalidRecord(
                    f"expected a finite float ({error})", f"{path}[{index}]"
                ) from None
        if not math.isfinite(value):
            raise InvalidRecord(f"expected a finite float, got {value!r}", f"{path}[{index}]")
    return values


def packed(vector: object, dimensions: int | None, path: str) -> F32Vector:
    """``vector`` checked as `floats` does and packed as float32 (what the stores keep);
    a value beyond the float32 range (about 3.4e38) is refused.

    Raises:
        InvalidRecord: as `floats`, or a value float32 cannot hold.

    Example:
        >>> packed([1.0, -2], 2, "$.vector")
        F32Vector(f32=b'\\x00\\x00\\x80?\\x00\\x00\\x00\\xc0')
        >>> packed([1e39], 1, "$.vector")
        Traceback (most recent call last):
        ...
        mxp_agents.memory._errors.InvalidRecord: 1e+39 is beyond the float32 range - at $.vector[0]
    """
    values = _values(vector, dimensions, path)
    try:  # the common case in C: floats and ints (not bools), each within float32's range
        checked: list[float] = _as_floats(values, list[float])
        data = struct.pack(f"<{len(checked)}f", *checked)
    except (msgspec.ValidationError, OverflowError, struct.error):
        checked = floats(values, None, path)  # the precise error, or numpy scalars converted
        try:
            data = struct.pack(f"<{len(checked)}f", *checked)
        except OverflowError:
            index = next(i for i, value in enumerate(checked) if not _fits(value))
            raise InvalidRecord(
                f"{checked[index]!r} is beyond the float32 range", f"{path}[{index}]"
            ) from None
    index = _non_finite(data)
    if index is not None:
        raise InvalidRecord(f"expected a finite float, got {checked[index]!r}", f"{path}[{index}]")
    return F32Vector(data)


def encoded_points(
    points: Sequence[object], dimensions: int, *, compact: bool = True
) -> list[bytes]:
    """Each point checked and JSON-encoded (``$.points[i]`` paths), all before any is sent;
    its vector compact (`packed`), else a JSON array (``compact=False``).

    Raises:
        InvalidRecord: the first bad point, naming its path.

    Example:
        >>> encoded_points([VectorPoint("a", [1.0, 0.0])], 2)
        [b'{"id":"a","vector":{"f32":"AACAPwAAAAA="},"tags":[],"metadata":{}}']
    """
    encoded: list[bytes] = []
    for index, point in enumerate(points):
        where = f"$.points[{index}]"
        if not isinstance(point, VectorPoint):
            raise InvalidRecord(f"expected a VectorPoint, got {kind_of(point)}", where)
        path = f"{where}.vector"
        vector: object = (
            packed(point.vector, dimensions, path)
            if compact
            else floats(point.vector, dimensions, path)
        )
        if point.metadata:
            json_safe(point.metadata, f"{where}.metadata")
        try:
            encoded.append(
                _encoder.encode(_WirePoint(point.id, vector, point.tags, point.metadata))
            )
        except (TypeError, ValueError, msgspec.EncodeError) as error:
            raise InvalidRecord(
                f"cannot encode the metadata: {error}", f"{where}.metadata"
            ) from None
    return encoded


def unpacked_vector(value: object, dimensions: int, path: str) -> object:
    """A vector as it came in a call body: the compact form decoded to ``array("f")``
    (checked: base64, whole float32 values, ``dimensions`` of them, all finite); anything
    else as it is, for the served store to check.

    Raises:
        InvalidRecord: a bad compact vector, naming its path.

    Example:
        >>> unpacked_vector({"f32": "AACAPwAAAAA="}, 2, "$.vector")
        array('f', [1.0, 0.0])
        >>> unpacked_vector({"f32": "AACAPw=="}, 2, "$.points[3].vector")
        Traceback (most recent call last):
        ...
        mxp_agents.memory._errors.InvalidRecord: expected 2 values, got 1 - at $.points[3].vector
    """
    if not isinstance(value, dict):
        return value
    fields = cast("dict[str, object]", value)
    if set(fields) != {F32}:
        other = sorted(set(fields) - {F32})
        if other:
            raise InvalidRecord(
                f"a vector object has one field, 'f32', got {other[0]!r}", f"{path}.{other[0]}"
            )
        raise InvalidRecord(
            "expected an array of numbers or {'f32': <base64 of little-endian float32>}", path
        )
    text = fields[F32]
    if not isinstance(text, str):
        raise InvalidRecord(f"expected base64 str, got {kind_of(text)}", f"{path}.{F32}")
    try:
        data: bytes = msgspec.convert(text, bytes)
    except msgspec.ValidationError:
        raise InvalidRecord(
            "invalid base64 (standard alphabet, padded, no line breaks)", f"{path}.{F32}"
        ) from None
    if len(data) % 4:
        raise InvalidRecord(
            f"expected whole float32 values (a multiple of 4 bytes), got {len(data)} bytes", path
        )
    if len(data) != 4 * dimensions:
        raise InvalidRecord(f"expected {dimensions} values, got {len(data) // 4}", path)
    vector = array.array("f")
    vector.frombytes(data)
    if _SWAP:
        vector.byteswap()
    index = _non_finite(data)
    if index is not None:
        raise InvalidRecord(f"expected a finite float, got {vector[index]!r}", f"{path}[{index}]")
    return vector


def unpacked_points(points: tuple[VectorPoint, ...], dimensions: int) -> tuple[VectorPoint, ...]:
    """An upsert's freshly decoded points, their compact vectors decoded in place
    (`unpacked_vector`).

    Raises:
        InvalidRecord: the first bad compact vector, at ``$.points[i].vector``.

    Example:
        >>> unpacked_points((VectorPoint("a", {"f32": "AACAPw=="}),), 1)[0].vector
        array('f', [1.0])
    """
    for index, point in enumerate(points):
        vector = unpacked_vector(point.vector, dimensions, f"$.points[{index}].vector")
        if vector is not point.vector:
            # the points were just decoded from the call body and are this call's alone:
            # setting the field avoids rebuilding (and re-checking) each point
            msgspec.structs.force_setattr(point, "vector", vector)
    return points


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


def _non_finite(data: bytes) -> int | None:
    """The index of the first NaN or infinity among little-endian float32 ``data`` (None: all
    finite). Such a value has every exponent bit set: the low 7 bits of its 4th byte and the
    high bit of its 3rd; the bytes are tested at once (translate, then one big-int AND)."""
    flags = int.from_bytes(data[3::4].translate(_HIGH), "little") & int.from_bytes(
        data[2::4].translate(_LOW), "little"
    )
    if not flags:
        return None
    return ((flags & -flags).bit_length() - 1) // 8


def _fits(value: float) -> bool:
    """Whether float32 holds ``value`` (rounded to the nearest float32, not to infinity)."""
    try:
        struct.pack("<f", value)
    except OverflowError:
        return False
    return True


def _values(vector: object, dimensions: int | None, path: str) -> list[Any]:
    """``vector`` as a list (NumPy arrays through ``tolist``), its length checked."""
    tolist = getattr(vector, "tolist", None)
    raw: object = tolist() if callable(tolist) else vector
    if isinstance(raw, str | bytes | dict) or not isinstance(raw, Sequence | list):
        raise InvalidRecord(f"a vector must be a sequence of floats, got {kind_of(vector)}", path)
    values: list[Any] = list(raw)  # pyright: ignore[reportUnknownArgumentType]
    if dimensions is not None and len(values) != dimensions:
        raise InvalidRecord(f"expected {dimensions} values, got {len(values)}", path)
    if not values:
        raise InvalidRecord("a vector must not be empty", path)
    return values


_PLAIN: Final = frozenset({str, int, bool, type(None)})

"""Turning points and queries into checked float32 arrays, with errors that name the path."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import msgspec
import numpy as np
import numpy.typing as npt

from mxp_agents.memory._errors import InvalidRecord
from mxp_agents.memory._vector_api import VectorPoint
from mxp_agents.primitives import kind_of

__all__ = ["Matrix", "PreparedBatch", "check_ids", "prepare_points", "prepare_vector"]

Matrix = npt.NDArray[np.float32]

_ENCODER: Final = msgspec.msgpack.Encoder()
_DECODER: Final = msgspec.msgpack.Decoder(list[dict[str, Any]])


class PreparedBatch(msgspec.Struct, frozen=True):
    """A checked batch: ids, an (n, dimensions) float32 matrix, tags, and copied metadata."""

    ids: list[str]
    vectors: Matrix
    tags: list[tuple[str, ...]]
    metadata: list[dict[str, Any]]


def prepare_vector(value: object, dimensions: int, path: str) -> Matrix:
    """``value`` as a finite float32 vector of ``dimensions`` values, or InvalidRecord at path.

    Example:
        >>> prepare_vector([1, 2], 2, "$.vector").dtype
        dtype('float32')
    """
    kind = kind_of(value)
    if kind in ("str", "bytes", "object", "null"):
        raise InvalidRecord(f"expected an array of {dimensions} numbers, got {kind}", path)
    array = _numbers(value)
    if array is None:
        raise _locate(value, dimensions, path)
    if array.ndim != 1:
        if array.ndim == 0:
            raise InvalidRecord(f"expected an array of {dimensions} numbers, got a number", path)
        raise InvalidRecord(f"expected a flat array, got {array.ndim} dimensions", path)
    if array.shape[0] != dimensions:
        raise InvalidRecord(f"expected {dimensions} values, got {array.shape[0]}", path)
    with np.errstate(over="ignore"):
        array = array.astype(np.float32)
    _check_finite(array[None, :], [path])
    return array


def prepare_points(points: Sequence[VectorPoint], dimensions: int) -> PreparedBatch:
    """Check a batch for ``upsert``: every point, id (once each), vector, and its metadata.

    Example:
        >>> prepare_points([VectorPoint("a", [1.0, 0.0])], 2).ids
        ['a']
    """
    if isinstance(points, str | bytes) or not isinstance(points, Sequence):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise InvalidRecord(f"expected an array of VectorPoint, got {kind_of(points)}", "$.points")
    ids: list[str] = []
    seen: dict[str, int] = {}
    raw: list[object] = []
    tags: list[tuple[str, ...]] = []
    metadata: list[dict[str, Any]] = []
    for index, point in enumerate(points):
        if not isinstance(point, VectorPoint):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidRecord(f"expected VectorPoint, got {kind_of(point)}", f"$.points[{index}]")
        first = seen.setdefault(point.id, index)
        if first != index:
            raise InvalidRecord(
                f"duplicate id {point.id!r} (also at $.points[{first}])", f"$.points[{index}].id"
            )
        ids.append(point.id)
        raw.append(point.vector)
        tags.append(point.tags)
        metadata.append(point.metadata)
    vectors = _stack(raw, dimensions)
    return PreparedBatch(ids, vectors, tags, _copy_metadata(metadata))


def check_ids(ids: Sequence[str]) -> list[str]:
    """The ids of a ``remove`` call, checked to be non-blank str.

    Example:
        >>> check_ids(["a", "b"])
        ['a', 'b']
    """
    if isinstance(ids, str | bytes) or not isinstance(ids, Sequence):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise InvalidRecord(f"expected an array of str, got {kind_of(ids)}", "$.ids")
    checked: list[str] = []
    for index, value in enumerate(ids):
        if not isinstance(value, str):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidRecord(f"expected str, got {kind_of(value)}", f"$.ids[{index}]")
        if not value.strip():
            raise InvalidRecord("id must not be blank", f"$.ids[{index}]")
        checked.append(value)
    return checked


def _stack(raw: list[object], dimensions: int) -> Matrix:
    """One (n, dimensions) matrix; numpy converts in C, Python only checks per point."""
    if not raw:
        return np.zeros((0, dimensions), dtype=np.float32)
    paths = [f"$.points[{index}].vector" for index in range(len(raw))]
    if all(isinstance(value, np.ndarray) for value in raw):
        arrays: list[npt.NDArray[Any]] = raw  # pyright: ignore[reportAssignmentType]
        for array, path in zip(arrays, paths, strict=True):
            if array.shape != (dimensions,) or array.dtype.kind not in "fiub":
                prepare_vector(array, dimensions, path)  # raises the precise error
        with np.errstate(over="ignore"):  # too large for float32: inf, refused just below
            matrix = np.stack(arrays).astype(np.float32, copy=False)
    else:
        numbers = _numbers(raw)
        if numbers is None or numbers.shape != (len(raw), dimensions):
            for value, path in zip(raw, paths, strict=True):
                prepare_vector(value, dimensions, path)
            raise InvalidRecord(f"expected arrays of {dimensions} numbers", "$.points")
        with np.errstate(over="ignore"):
            matrix = numbers.astype(np.float32)
    _check_finite(matrix, paths)
    return np.ascontiguousarray(matrix)


def _numbers(value: object) -> npt.NDArray[Any] | None:
    """``value`` as a numeric array (numpy converts in C), or None if it holds anything else."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return array if array.dtype.kind in "fiub" else None


def _check_finite(matrix: Matrix, paths: list[str]) -> None:
    finite = np.isfinite(matrix)
    if finite.all():
        return
    row, column = (int(i) for i in np.argwhere(~finite)[0])
    value = float(matrix[row, column])
    raise InvalidRecord(f"values must be finite numbers, got {value}", f"{paths[row]}[{column}]")


def _locate(value: object, dimensions: int, path: str) -> InvalidRecord:
    """The precise error for a vector numpy could not convert."""
    if not isinstance(value, Sequence):
        return InvalidRecord(
            f"expected an array of {dimensions} numbers, got {kind_of(value)}", path
        )
    items: Sequence[object] = value  # pyright: ignore[reportUnknownVariableType]
    if len(items) != dimensions:
        return InvalidRecord(f"expected {dimensions} values, got {len(items)}", path)
    for index, item in enumerate(items):
        if isinstance(item, bool) or not isinstance(item, int | float | np.number):
            return InvalidRecord(f"expected number, got {kind_of(item)}", f"{path}[{index}]")
    return InvalidRecord("values must be numbers that fit a float32", path)


def _copy_metadata(metadata: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A deep copy through msgpack: what is stored is what a reopened store returns."""
    try:
        return _DECODER.decode(_ENCODER.encode(metadata))
    except (TypeError, ValueError, msgspec.MsgspecError):
        for index, item in enumerate(metadata):
            try:
                msgspec.msgpack.Decoder(dict[str, Any]).decode(_ENCODER.encode(item))
            except (TypeError, ValueError, msgspec.MsgspecError) as error:
                raise InvalidRecord(
                    f"metadata must be msgpack-encodable with str keys: {error}",
                    f"$.points[{index}].metadata",
                ) from None
        raise

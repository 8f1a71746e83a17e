"""Saving a store to a directory, atomically, and mapping it back on restart.

Layout: ``manifest.msgpack`` (ids, tags, metadata, norms, options, and the names of the data
files) plus ``vectors-<n>.npy`` (the float32 unit rows) and ``hnsw-<n>.usearch`` (the graph).
Data files are written under a temporary name, flushed, and renamed; the manifest is renamed
last, so a crash leaves either the old store or the new one. Files no manifest names are
deleted after the rename. A data file that has not changed since it was last saved (or mapped)
is named again, not rewritten.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import msgspec
import numpy as np

from mxp_agents.memory._errors import VectorStoreError
from mxp_agents.memory._vector_api import Metric

if TYPE_CHECKING:
    from mxp_agents.memory._vectors._validate import Matrix

__all__ = ["MANIFEST", "Manifest", "load_vectors", "read_manifest", "write_file", "write_manifest"]

MANIFEST: Final = "manifest.msgpack"
FORMAT: Final = 1


class Manifest(msgspec.Struct, kw_only=True):
    """What a saved store holds; slot ``i`` is ``ids[i]`` (None: a free slot)."""

    format: int = FORMAT
    dimensions: int
    metric: Metric
    generation: int
    vectors_file: str
    index_file: str | None
    ids: list[str | None]
    tags: list[tuple[str, ...]]
    metadata: list[dict[str, Any]]
    norms: bytes


def fsync_directory(directory: Path) -> None:
    """Make renames in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file(directory: Path, name: str, write: Any) -> None:
    """Call ``write(temporary_path)``, flush the file to disk and rename it to ``name``."""
    temporary = directory / f".{name}.tmp"
    try:
        write(str(temporary))
        with temporary.open("rb+") as file:
            os.fsync(file.fileno())
        temporary.replace(directory / name)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def save_vectors(directory: Path, name: str, unit: Matrix) -> None:
    """Write the unit rows as ``name`` (a ``.npy`` file)."""

    def write(path: str) -> None:
        with open(path, "wb") as file:
            np.save(file, np.ascontiguousarray(unit), allow_pickle=False)

    write_file(directory, name, write)


def write_manifest(directory: Path, manifest: Manifest) -> None:
    """Commit ``manifest`` (the atomic step of a save), then delete files it no longer names."""
    data = msgspec.msgpack.encode(manifest)

    def write(path: str) -> None:
        Path(path).write_bytes(data)

    write_file(directory, MANIFEST, write)
    fsync_directory(directory)
    keep = {MANIFEST, manifest.vectors_file, manifest.index_file}
    for entry in directory.iterdir():
        if entry.name not in keep and entry.name.startswith(("vectors-", "hnsw-")):
            with contextlib.suppress(OSError):
                entry.unlink()


def read_manifest(directory: Path) -> Manifest | None:
    """The manifest saved in ``directory``, or None when there is none."""
    try:
        data = (directory / MANIFEST).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise VectorStoreError(f"cannot read {directory / MANIFEST}: {error}") from error
    try:
        manifest = msgspec.msgpack.decode(data, type=Manifest)
    except (msgspec.MsgspecError, ValueError) as error:
        raise VectorStoreError(f"corrupted vector store {directory / MANIFEST}: {error}") from None
    if manifest.format != FORMAT:
        raise VectorStoreError(f"{directory}: unknown vector store format {manifest.format}")
    slots = len(manifest.ids)
    if len(manifest.tags) != slots or len(manifest.metadata) != slots:
        raise VectorStoreError(f"corrupted vector store {directory / MANIFEST}: lengths differ")
    if len(manifest.norms) != 4 * slots:
        raise VectorStoreError(f"corrupted vector store {directory / MANIFEST}: norms")
    return manifest


def load_vectors(directory: Path, manifest: Manifest) -> Matrix:
    """The saved unit rows, memory-mapped read-only, checked against the manifest."""
    path = directory / manifest.vectors_file
    try:
        mode = "r" if manifest.ids else None  # an empty array cannot be memory-mapped
        unit: Matrix = np.load(path, mmap_mode=mode, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise VectorStoreError(f"cannot map {path}: {error}") from None
    expected = (len(manifest.ids), manifest.dimensions)
    if unit.shape != expected or unit.dtype != np.float32:
        raise VectorStoreError(
            f"corrupted vector store {path}: {unit.dtype}{unit.shape}, expected float32{expected}"
        )
    return unit

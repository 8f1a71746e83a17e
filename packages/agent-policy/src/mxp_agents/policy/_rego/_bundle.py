"""`RegoBundle`: the Rego modules and data documents of a policy, read from a directory or
given in memory; `signature` tells a watcher whether the directory changed."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, cast

import msgspec

from mxp_agents.policy._errors import PolicyLoadError
from mxp_agents.primitives import kind_of

__all__ = ["RegoBundle", "signature"]

_encode: Final = msgspec.json.Encoder(order="sorted")
_decode: Final = msgspec.json.Decoder()


def _files(root: Path) -> list[Path]:
    found: list[Path] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(
            Path(folder, name)
            for name in sorted(names)
            if name.endswith((".rego", ".json")) and not name.startswith(".")
        )
    return found


def signature(root: str | os.PathLike[str]) -> tuple[tuple[str, int, int], ...]:
    """(relative path, mtime ns, size) of every ``*.rego`` / ``*.json`` file under ``root``:
    any edit, addition or removal changes it. Blocking I/O.

    Example:
        >>> signature(tmp_path)  # doctest: +SKIP
        (('policy.rego', 1719000000000000000, 412),)
    """
    base = Path(root)
    result: list[tuple[str, int, int]] = []
    for path in _files(base):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue  # removed while listing: the next signature will not have it either
        result.append((path.relative_to(base).as_posix(), stat.st_mtime_ns, stat.st_size))
    return tuple(result)


def _line_col(raw: bytes, pos: int) -> str:
    head = raw[:pos]
    line = head.count(b"\n") + 1
    column = pos - (head.rfind(b"\n") + 1) + 1
    return f"{line}:{column}"


def _merge(
    into: dict[str, Any], doc: dict[str, Any], path: str, name: str, owners: dict[str, str]
) -> None:
    for key, value in doc.items():
        at = f"{path}.{key}"
        if key in into and isinstance(into[key], dict) and isinstance(value, dict):
            _merge(into[key], value, at, name, owners)  # pyright: ignore[reportUnknownArgumentType]
        elif key in into:
            raise PolicyLoadError(f"{name}: {at} is already defined by {owners[at]}")
        else:
            into[key] = value
            owners[at] = name


class RegoBundle(msgspec.Struct, frozen=True):
    """A policy's Rego ``modules`` (file name -> source) and its ``data`` document, plus the
    ``root`` directory it was read from (None: built in memory).

    In a directory, every ``*.rego`` file is a module and every ``*.json`` file a data
    document mounted at its folder's path, as OPA bundles do: ``limits.json`` at the root
    merges into ``data``, ``teams/data.json`` into ``data.teams``. Two files defining the
    same value is an error. Hidden files and other extensions are not part of the bundle.

    Example:
        >>> bundle = RegoBundle({"p.rego": "package mxp\\ndecision := {\\"allow\\": true}"})
        >>> sorted(bundle.modules), bundle.data
        (['p.rego'], {})
    """

    modules: Mapping[str, str]
    data: Mapping[str, Any] = msgspec.field(default_factory=dict[str, Any])
    root: Path | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.modules, Mapping) or not self.modules:  # pyright: ignore[reportUnnecessaryIsInstance]
            raise PolicyLoadError("a Rego bundle needs at least one module (*.rego)")
        for name, source in self.modules.items():
            if not isinstance(name, str) or not isinstance(source, str):  # pyright: ignore[reportUnnecessaryIsInstance]
                raise PolicyLoadError(
                    f"modules map file names to sources (str -> str), got {kind_of(name)} -> "
                    f"{kind_of(source)}"
                )
        if not isinstance(self.data, Mapping):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise PolicyLoadError(f"data must be an object, got {kind_of(self.data)}")

    @classmethod
    def load(cls, root: str | os.PathLike[str]) -> RegoBundle:
        """Read the bundle in directory ``root`` (blocking I/O: call it from a worker thread
        inside trio). `PolicyLoadError` names the file, and line and column for bad JSON.

        Example:
            >>> RegoBundle.load("policies/payments").modules.keys()  # doctest: +SKIP
            dict_keys(['payments.rego'])
        """
        base = Path(root)
        if not base.is_dir():
            raise PolicyLoadError(f"{base}: not a directory of *.rego and *.json files")
        modules: dict[str, str] = {}
        data: dict[str, Any] = {}
        owners: dict[str, str] = {}
        for path in _files(base):
            name = path.relative_to(base).as_posix()
            try:
                raw = path.read_bytes()
            except OSError as error:
                raise PolicyLoadError(f"{name}: cannot read: {error.strerror}") from None
            if path.suffix == ".rego":
                try:
                    modules[name] = raw.decode()
                except UnicodeDecodeError as error:
                    raise PolicyLoadError(
                        f"{name}:{_line_col(raw, error.start)}: not UTF-8"
                    ) from None
                continue
            doc = _decode_json(raw, name)
            mount = [part for part in Path(name).parent.parts if part != "."]
            target: dict[str, Any] = data
            for depth, part in enumerate(mount):
                child: object = target.setdefault(part, {})
                if not isinstance(child, dict):
                    at = "data." + ".".join(mount[: depth + 1])
                    raise PolicyLoadError(f"{name}: {at} is already defined by {owners[at]}")
                target = cast("dict[str, Any]", child)
            _merge(target, doc, "data" + "".join(f".{p}" for p in mount), name, owners)
        if not modules:
            raise PolicyLoadError(f"{base}: no Rego module (*.rego) in the bundle")
        return cls(modules, data, base)

    def data_json(self) -> bytes:
        """The data document as JSON (sorted keys), as rego-cpp takes it.

        Example:
            >>> RegoBundle({"p.rego": "package p"}, {"b": 1, "a": 2}).data_json()
            b'{"a":2,"b":1}'
        """
        return _encode.encode(self.data)


def _decode_json(raw: bytes, name: str) -> dict[str, Any]:
    try:
        doc = _decode.decode(raw)
    except msgspec.DecodeError as error:
        text = str(error)
        pos = text.rfind("(byte ")
        where = _line_col(raw, int(text[pos + 6 : -1])) if pos >= 0 else "1:1"
        raise PolicyLoadError(f"{name}:{where}: invalid JSON: {text}") from None
    if not isinstance(doc, dict):
        raise PolicyLoadError(f"{name}: a data document is a JSON object, got {kind_of(doc)}")
    return doc  # pyright: ignore[reportUnknownVariableType]

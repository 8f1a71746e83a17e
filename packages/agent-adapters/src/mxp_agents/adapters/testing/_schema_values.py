"""Generating a JSON value that fits a JSON Schema: the arguments and answers of `TestModel`."""

from __future__ import annotations

import base64
import copy
import datetime
import math
import random
import uuid
from collections.abc import Mapping
from typing import Any, Final

import msgspec

from mxp_agents.adapters._errors import InvalidModelValue

__all__ = ["example_for_schema"]

_MAX_DEPTH: Final = 6  # below this, only what the schema requires (ends recursive schemas)
_WORDS: Final = ("alpha", "bravo", "delta", "echo", "kilo", "lima", "oscar", "sierra", "tango")
_BASE_DATE: Final = datetime.date(2025, 1, 1)
_encoder: Final = msgspec.json.Encoder(order="sorted")


def example_for_schema(schema: Mapping[str, Any], *, seed: int | str = 0) -> Any:
    """A JSON value (dicts, lists, str, int, float, bool, None) that validates against ``schema``.

    Supports ``type`` (one or a list), ``properties`` / ``required`` / ``additionalProperties``,
    ``items`` / ``prefixItems`` / ``minItems`` / ``maxItems`` / ``uniqueItems``, ``enum``,
    ``const``, ``anyOf`` / ``oneOf`` (the first branch), ``allOf``, ``$ref`` into the schema
    (``#/$defs/Name``, as msgspec writes them), string ``minLength`` / ``maxLength`` and
    ``format`` (date, date-time, time, email, uuid, uri, duration, ...), number bounds and
    ``multipleOf``. ``pattern`` is not honoured. The same ``seed`` gives the same value.

    Raises:
        InvalidModelValue: a ``$ref`` that does not resolve (with its path in the schema).

    Example:
        >>> example_for_schema({"type": "object", "properties": {"n": {"const": 3}},
        ...                     "required": ["n"]})
        {'n': 3}
    """
    return _Generator(schema, random.Random(seed)).value(schema, 0, "$")


class _Generator:
    def __init__(self, root: Mapping[str, Any], rng: random.Random) -> None:
        self.root = root
        self.rng = rng

    def value(self, schema: object, depth: int, path: str) -> Any:
        if schema is True or not isinstance(schema, Mapping) or not schema:
            return "value"  # an empty (or boolean) schema accepts anything
        node: Mapping[str, Any] = schema  # pyright: ignore[reportUnknownVariableType]
        if "$ref" in node:
            target = self.resolve(node["$ref"], path)
            rest = {key: item for key, item in node.items() if key != "$ref"}
            return self.value({**target, **rest}, depth + 1, path)
        if "const" in node:
            return copy.deepcopy(node["const"])
        if "enum" in node:
            return copy.deepcopy(self.rng.choice(list(node["enum"])))
        if "allOf" in node:
            merged = {key: item for key, item in node.items() if key != "allOf"}
            for part in node["allOf"]:
                merged = _merge(merged, self.resolved(part, path))
            return self.value(merged, depth, path)
        for key in ("anyOf", "oneOf"):
            if key in node:
                branch = self.branch(node[key], depth)
                rest = {name: item for name, item in node.items() if name != key}
                return self.value({**rest, **self.resolved(branch, path)}, depth + 1, path)
        kind = self.kind(node, depth)
        if kind == "object":
            return self.object(node, depth, path)
        if kind == "array":
            return self.array(node, depth, path)
        if kind == "string":
            return self.string(node)
        if kind == "integer":
            return self.integer(node)
        if kind == "number":
            return self.number(node)
        if kind == "boolean":
            return self.rng.random() < 0.5
        return None

    def resolve(self, ref: object, path: str) -> Mapping[str, Any]:
        target: object = self.root
        if isinstance(ref, str) and ref.startswith("#"):
            for part in filter(None, ref[1:].split("/")):
                key = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, Mapping) or key not in target:
                    target = None
                    break
                target = target[key]  # pyright: ignore[reportUnknownVariableType]
            if isinstance(target, Mapping):
                return target  # pyright: ignore[reportUnknownVariableType]
        raise InvalidModelValue(f"cannot resolve $ref {ref!r} in the schema", path)

    def resolved(self, schema: object, path: str) -> Mapping[str, Any]:
        if not isinstance(schema, Mapping):
            return {}
        node: Mapping[str, Any] = schema  # pyright: ignore[reportUnknownVariableType]
        if "$ref" in node:
            rest = {key: item for key, item in node.items() if key != "$ref"}
            return {**self.resolve(node["$ref"], path), **rest}
        return node

    def branch(self, options: list[Any], depth: int) -> Any:
        if depth < _MAX_DEPTH or len(options) < 2:
            return options[0]
        # Deep in a recursive schema: prefer a branch that ends (null, a scalar) over a $ref.
        for option in options:
            if isinstance(option, Mapping):
                node: Mapping[str, Any] = option  # pyright: ignore[reportUnknownVariableType]
                if "$ref" not in node and node.get("type") not in ("object", "array"):
                    return node
        return options[0]

    def kind(self, node: Mapping[str, Any], depth: int) -> str | None:
        kind: object = node.get("type")
        if isinstance(kind, list):
            kinds: list[str] = kind  # pyright: ignore[reportUnknownVariableType]
            concrete = [name for name in kinds if name != "null"]
            if not concrete or ("null" in kinds and depth >= _MAX_DEPTH):
                return "null"
            return concrete[0]
        if isinstance(kind, str):
            return kind
        if "properties" in node or "additionalProperties" in node:
            return "object"
        if "items" in node or "prefixItems" in node:
            return "array"
        return "string"

    def object(self, node: Mapping[str, Any], depth: int, path: str) -> dict[str, Any]:
        properties: Mapping[str, Any] = node.get("properties") or {}
        required: list[str] = list(node.get("required") or ())
        result: dict[str, Any] = {}
        for name, schema in properties.items():
            if name in required or (depth < _MAX_DEPTH and self.rng.random() < 0.5):
                result[name] = self.value(schema, depth + 1, f"{path}.{name}")
        for name in required:
            result.setdefault(name, "value")
        extra: object = node.get("additionalProperties")
        wanted = int(node.get("minProperties") or 0)
        if isinstance(extra, Mapping) or extra is True:
            wanted = max(wanted, 1 if depth < _MAX_DEPTH else 0)
        optional = [name for name in properties if name not in result]
        while len(result) < wanted and optional:
            name = optional.pop(0)
            result[name] = self.value(properties[name], depth + 1, f"{path}.{name}")
        number = 0
        while len(result) < wanted and extra is not False:
            number += 1
            key = f"key{number}"
            result[key] = self.value(extra, depth + 1, f"{path}.{key}")  # pyright: ignore[reportUnknownArgumentType]
        return result

    def array(self, node: Mapping[str, Any], depth: int, path: str) -> list[Any]:
        prefix: list[Any] = list(node.get("prefixItems") or ())
        items: object = node.get("items", True)
        low = int(node.get("minItems") or 0)
        high_value: object = node.get("maxItems")
        high = int(high_value) if isinstance(high_value, int) else low + 3
        if items is False:
            high = min(high, len(prefix))
        if depth >= _MAX_DEPTH:
            count = max(low, len(prefix) if items is False else 0)
        else:
            count = self.rng.randint(max(low, 1, len(prefix)), max(low, 1, len(prefix)) + 2)
        count = max(low, min(count, high))
        unique = bool(node.get("uniqueItems"))
        result: list[Any] = []
        seen: set[bytes] = set()
        attempts = 0
        while len(result) < count and attempts < count * 10 + 10:
            attempts += 1
            index = len(result)
            schema = prefix[index] if index < len(prefix) else items
            value = self.value(schema, depth + 1, f"{path}[{index}]")
            if unique:
                key = _encoder.encode(value)
                if key in seen:
                    continue
                seen.add(key)
            result.append(value)
        return result

    def string(self, node: Mapping[str, Any]) -> str:
        rng = self.rng
        fmt: object = node.get("format")
        if fmt == "date":
            return (_BASE_DATE + datetime.timedelta(days=rng.randrange(365))).isoformat()
        if fmt == "date-time":
            return f"{_BASE_DATE + datetime.timedelta(days=rng.randrange(365))}T12:00:00Z"
        if fmt == "time":
            return f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:00"
        if fmt == "email":
            return f"{rng.choice(_WORDS)}{rng.randrange(100)}@example.com"
        if fmt == "uuid":
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if fmt in ("uri", "url", "iri"):
            return f"https://example.com/{rng.choice(_WORDS)}"
        if fmt == "hostname":
            return f"{rng.choice(_WORDS)}.example.com"
        if fmt == "ipv4":
            return f"192.0.2.{rng.randrange(1, 255)}"
        if fmt == "ipv6":
            return f"2001:db8::{rng.randrange(1, 0xFFFF):x}"
        if fmt == "duration":
            return f"PT{rng.randrange(1, 3600)}S"
        if fmt == "decimal":
            return f"{rng.randrange(1000)}.{rng.randrange(100):02d}"
        if node.get("contentEncoding") == "base64":
            return base64.b64encode(rng.randbytes(rng.randrange(1, 12))).decode()
        low = int(node.get("minLength") or 0)
        high_value: object = node.get("maxLength")
        high = int(high_value) if isinstance(high_value, int) else max(low, 12)
        text = rng.choice(_WORDS)
        while len(text) < low:
            text += "_" + rng.choice(_WORDS)
        return text[: max(high, low)]

    def integer(self, node: Mapping[str, Any]) -> int:
        low, high = _bounds(node, integers=True)
        first, last = math.ceil(low), math.floor(high)
        multiple: object = node.get("multipleOf")
        if isinstance(multiple, int) and multiple > 0:
            first, last = -(-first // multiple), last // multiple
            return multiple * (self.rng.randint(first, last) if first <= last else first)
        return self.rng.randint(first, last) if first <= last else first

    def number(self, node: Mapping[str, Any]) -> float:
        low, high = _bounds(node, integers=False)
        value = round(self.rng.uniform(low, high), 2)
        minimum, maximum = node.get("exclusiveMinimum"), node.get("exclusiveMaximum")
        if not low <= value <= high or value in (minimum, maximum):
            value = (low + high) / 2
        multiple: object = node.get("multipleOf")
        if isinstance(multiple, int | float) and multiple > 0:
            value = float(round(value / multiple) * multiple)
        return value


def _bounds(node: Mapping[str, Any], *, integers: bool) -> tuple[float, float]:
    """``(low, high)`` from minimum / maximum / exclusive bounds, defaulting to a span of 100."""
    low: float | None = _number(node.get("minimum"))
    high: float | None = _number(node.get("maximum"))
    exclusive_low = _number(node.get("exclusiveMinimum"))
    exclusive_high = _number(node.get("exclusiveMaximum"))
    if exclusive_low is not None:
        candidate = math.floor(exclusive_low) + 1 if integers else exclusive_low
        low = candidate if low is None else max(low, candidate)
    if exclusive_high is not None:
        candidate = math.ceil(exclusive_high) - 1 if integers else exclusive_high
        high = candidate if high is None else min(high, candidate)
    if low is None:
        return (0, 100) if high is None else (high - 100, high)
    return (low, low + 100) if high is None else (low, high)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if key == "properties" and isinstance(merged.get(key), Mapping):
            merged[key] = {**merged[key], **value}
        elif key == "required" and isinstance(merged.get(key), list):
            merged[key] = [*merged[key], *value]
        else:
            merged[key] = value
    return merged

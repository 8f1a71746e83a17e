"""The JSON Schema of a tool's arguments: msgspec's schema, made self-contained and flat.

msgspec describes a Struct as ``{"$ref": ..., "$defs": {...}}``. Models and providers read a flat
schema best, so every reference is inlined, except the ones a recursive type needs (those stay
in a top-level ``$defs``). The top level is ``{"type": "object", "properties": ...,
"required": [...], "additionalProperties": false}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, cast

import msgspec

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["arguments_schema"]

_REF_PREFIX: Final = "#/$defs/"


def arguments_schema(
    args_type: type[msgspec.Struct],
    descriptions: Mapping[str, str],
    defaults: Mapping[str, Any],
) -> dict[str, Any]:
    """The schema of ``args_type`` with ``descriptions`` and extra ``defaults`` on its properties.

    A description already set (``Annotated[int, msgspec.Meta(description=...)]``) wins over the
    docstring's.

    Raises:
        TypeError: msgspec cannot describe a field's type.

    Example:
        >>> Args = msgspec.defstruct("Args", [("a", int)], forbid_unknown_fields=True)
        >>> arguments_schema(Args, {"a": "First."}, {})["properties"]
        {'a': {'type': 'integer', 'description': 'First.'}}
    """
    raw = msgspec.json.schema(args_type)
    defs: dict[str, Any] = raw.get("$defs", {})
    root_name = str(raw["$ref"]).removeprefix(_REF_PREFIX)
    inliner = _Inliner(defs)
    root: dict[str, Any] = inliner.expand(defs[root_name], (root_name,))
    properties: dict[str, Any] = root.get("properties", {})
    for name, text in descriptions.items():
        if name in properties and "description" not in properties[name]:
            properties[name]["description"] = text
    for name, value in defaults.items():
        if name in properties:
            properties[name].setdefault("default", value)
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(root.get("required", [])),
        "additionalProperties": False,
    }
    kept = inliner.kept_defs()
    if kept:
        schema["$defs"] = kept
    return schema


class _Inliner:
    """Replaces ``$ref``s with the definitions they point to, keeping recursive ones."""

    def __init__(self, defs: dict[str, Any]) -> None:
        self._defs = defs
        self._kept: dict[str, Any] = {}
        self._needed: list[str] = []

    def expand(self, node: Any, stack: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            items = cast("list[Any]", node)
            return [self.expand(item, stack) for item in items]
        if not isinstance(node, dict):
            return node
        mapping = cast("dict[str, Any]", node)
        ref = mapping.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF_PREFIX):
            name = ref.removeprefix(_REF_PREFIX)
            siblings = {key: self.expand(value, stack) for key, value in mapping.items()}
            if name in stack:  # recursion: refer to a kept definition instead
                if name not in self._needed:
                    self._needed.append(name)
                return siblings
            del siblings["$ref"]
            return {**self.expand(self._defs[name], (*stack, name)), **siblings}
        return {key: self.expand(value, stack) for key, value in mapping.items()}

    def kept_defs(self) -> dict[str, Any]:
        """The definitions that recursive references still point to, themselves inlined."""
        index = 0
        while index < len(self._needed):  # expanding one may need another
            name = self._needed[index]
            self._kept[name] = self.expand(self._defs[name], (name,))
            index += 1
        return {name: self._kept[name] for name in sorted(self._kept)}

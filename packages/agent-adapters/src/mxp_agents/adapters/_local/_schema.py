"""The JSON Schemas a local model's output is constrained to: tool-call envelopes, answers."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from mxp_agents.primitives import ToolDefinition

__all__ = [
    "ANY_OBJECT",
    "answer_alternative",
    "envelope_schema",
    "response_schema",
    "tool_alternative",
]

ANY_OBJECT: Final[dict[str, Any]] = {"type": "object"}
_DEF_KEYS: Final = ("$defs", "definitions")


def tool_alternative(tool: ToolDefinition, prefix: str) -> dict[str, Any]:
    """``{"tool": <name>, "arguments": <the tool's parameters>}`` as a JSON Schema.

    The parameters' own ``$defs`` come back under ``$defs`` of the result, renamed with
    ``prefix`` (the caller hoists them to the root, where ``#/$defs/...`` references point).

    Example:
        >>> tool_alternative(ToolDefinition("clock"), "t0_")["properties"]["tool"]
        {'const': 'clock'}
    """
    arguments, defs = _hoisted(tool.parameters, prefix)
    alternative: dict[str, Any] = {
        "type": "object",
        "properties": {"tool": {"const": tool.name}, "arguments": arguments},
        "required": ["tool", "arguments"],
    }
    if defs:
        alternative["$defs"] = defs
    return alternative


def answer_alternative(schema: dict[str, Any] | None) -> dict[str, Any]:
    """``{"answer": ...}``: a plain-text answer, or one following ``schema``.

    Example:
        >>> answer_alternative(None)["properties"]
        {'answer': {'type': 'string'}}
    """
    value, defs = _hoisted(schema, "answer_") if schema is not None else ({"type": "string"}, {})
    alternative: dict[str, Any] = {
        "type": "object",
        "properties": {"answer": value},
        "required": ["answer"],
    }
    if defs:
        alternative["$defs"] = defs
    return alternative


def envelope_schema(
    tools: Sequence[ToolDefinition],
    *,
    answer: dict[str, Any] | None,
    convertible: Callable[[dict[str, Any]], bool],
) -> dict[str, Any]:
    """One schema choosing between a call of each tool and (when ``answer`` is given) an answer.

    ``convertible`` says whether llama.cpp can turn a schema into a grammar; a tool whose
    parameters it cannot handle gets arguments constrained only to be a JSON object.

    Example:
        >>> schema = envelope_schema([ToolDefinition("clock")], answer=None, convertible=bool)
        >>> len(schema["oneOf"])
        1
    """
    alternatives: list[dict[str, Any]] = []
    for index, tool in enumerate(tools):
        alternative = tool_alternative(tool, f"t{index}_")
        if not convertible(alternative):
            alternative = tool_alternative(_loose(tool), f"t{index}_")
        alternatives.append(alternative)
    if answer is not None:
        alternative = answer_alternative(answer)
        if not convertible(alternative):
            alternative = answer_alternative(ANY_OBJECT)
        alternatives.append(alternative)
    return _hoist_defs({"oneOf": alternatives})


def response_schema(
    schema: dict[str, Any], convertible: Callable[[dict[str, Any]], bool]
) -> dict[str, Any] | None:
    """``schema`` if llama.cpp can constrain output to it, else None (any JSON then).

    Example:
        >>> response_schema({"type": "integer"}, convertible=bool)
        {'type': 'integer'}
    """
    return schema if convertible(schema) else None


def _loose(tool: ToolDefinition) -> ToolDefinition:
    from mxp_agents.primitives import ToolDefinition

    return ToolDefinition(tool.name, tool.description, dict(ANY_OBJECT))


def _hoisted(schema: dict[str, Any], prefix: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A copy of ``schema`` without its definitions, and those, renamed with ``prefix``."""
    body = copy.deepcopy(schema)
    defs: dict[str, Any] = {}
    for key in _DEF_KEYS:
        found: object = body.pop(key, None)
        if isinstance(found, dict):
            for name, value in found.items():  # pyright: ignore[reportUnknownVariableType]
                defs[f"{prefix}{name}"] = value
    renamed = _renamed_refs(body, prefix)
    return renamed, {name: _renamed_refs(value, prefix) for name, value in defs.items()}


def _renamed_refs(node: Any, prefix: str) -> Any:
    if isinstance(node, dict):
        result: dict[str, Any] = {}
        for key, value in node.items():  # pyright: ignore[reportUnknownVariableType]
            if key == "$ref" and isinstance(value, str):
                result[key] = _renamed_ref(value, prefix)
            else:
                result[str(key)] = _renamed_refs(value, prefix)  # pyright: ignore[reportUnknownArgumentType]
        return result
    if isinstance(node, list):
        return [_renamed_refs(item, prefix) for item in node]  # pyright: ignore[reportUnknownVariableType]
    return node


def _renamed_ref(ref: str, prefix: str) -> str:
    for key in _DEF_KEYS:
        start = f"#/{key}/"
        if ref.startswith(start):
            return f"#/$defs/{prefix}{ref[len(start) :]}"
    return ref


def _hoist_defs(schema: dict[str, Any]) -> dict[str, Any]:
    """Move the ``$defs`` of each ``oneOf`` alternative to the root."""
    defs: dict[str, Any] = {}
    for alternative in schema["oneOf"]:
        found = alternative.pop("$defs", None)
        if found:
            defs.update(found)
    if defs:
        schema["$defs"] = defs
    return schema

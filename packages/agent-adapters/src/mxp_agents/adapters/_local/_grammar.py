"""llama.cpp grammars (GBNF) that hold a local model's output to a JSON Schema."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final

from mxp_agents.adapters._local._prompt import Mode
from mxp_agents.adapters._local._schema import envelope_schema, response_schema

if TYPE_CHECKING:
    from llama_cpp.llama_grammar import LlamaGrammar

    from mxp_agents.adapters._local._prompt import Plan

__all__ = ["convertible", "gbnf", "grammar_for"]

# llama-cpp-python's JSON-Schema converter lets strings hold raw control characters (a
# newline), which strict JSON parsers reject; this is the string character of its JSON_GBNF.
_LOOSE_CHAR: Final = 'char ::= [^"\\\\] |'
_STRICT_CHAR: Final = 'char ::= [^"\\\\\\x7F\\x00-\\x1F] |'


def gbnf(schema: dict[str, Any]) -> str:
    """The GBNF grammar of ``schema`` (strings without raw control characters).

    Raises whatever llama-cpp-python's converter raises for a schema it cannot handle.

    Example:
        >>> "root ::=" in gbnf({"type": "integer"})
        True
    """
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    text = json_schema_to_gbnf(json.dumps(schema))
    return text.replace(_LOOSE_CHAR, _STRICT_CHAR)


def convertible(schema: dict[str, Any]) -> bool:
    """Whether llama-cpp-python can turn ``schema`` into a grammar.

    Example:
        >>> convertible({"type": "object", "properties": {"a": {"type": "string"}}})
        True
    """
    try:
        gbnf(schema)
    except Exception:  # the converter raises AssertionError, KeyError, ValueError...
        return False
    return True


def grammar_for(plan: Plan) -> LlamaGrammar | None:
    """The grammar the output of ``plan`` must follow, or None for free text.

    JSON mode follows the response format's schema (any JSON object if llama.cpp cannot
    express the schema); tools mode follows the envelope of `envelope_schema`.

    Example:
        >>> grammar_for(plan_request(ModelRequest((Message.user("Hi"),)))) is None
        True
    """
    from llama_cpp.llama_grammar import JSON_GBNF, LlamaGrammar

    if plan.mode is Mode.TEXT:
        return None
    if plan.mode is Mode.JSON:
        schema = response_schema(plan.schema or {}, convertible)
        text = gbnf(schema) if schema is not None else JSON_GBNF
    else:
        text = gbnf(envelope_schema(plan.tools, answer=plan.answer, convertible=convertible))
    return LlamaGrammar.from_string(text, verbose=False)

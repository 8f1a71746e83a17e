"""The thin, fast layer over regopy: compile modules and data once into a bundle, then per
decision build the input straight into rego-cpp and run the bundle's entrypoint.

regopy's `Input(value)` pays an `isinstance` against ABCs per value and `set_input_json` goes
through the Rego term parser; building the input with direct calls into the C API is 3-4x faster,
which is most of the difference between meeting the 150 µs budget and not. Only this module
imports regopy.
"""

from __future__ import annotations

import math
import re
from typing import Any, Final

import msgspec
import regopy  # pyright: ignore[reportMissingTypeStubs]
import regopy.rego_shared  # pyright: ignore[reportMissingTypeStubs]

from mxp_agents.policy._errors import PolicyError
from mxp_agents.primitives import kind_of

__all__ = ["Compiled", "EvaluationError", "Runner", "SourceError", "compile_bundle"]

_rs: Any = regopy.rego_shared
_lib: Any = _rs.rego
_NONE: Final = _rs.LogLevel.NONE
_ERROR_MESSAGE: Final = 1801
_ERROR_CODE: Final = 1803
_INT64: Final = 1 << 63
_decode: Final = msgspec.json.Decoder()
_json: Final = msgspec.json.encode

_new_input = _lib.regoNewInput
_free_input = _lib.regoFreeInput
_set_input = _lib.regoSetInput
_in_str = _lib.regoInputString
_in_int = _lib.regoInputInt
_in_float = _lib.regoInputFloat
_in_bool = _lib.regoInputBoolean
_in_null = _lib.regoInputNull
_in_item = _lib.regoInputObjectItem
_in_object = _lib.regoInputObject
_in_array = _lib.regoInputArray
_query_entry = _lib.regoBundleQueryEntrypoint
_output_ok = _lib.regoOutputOk
_output_string = _rs.rego_output_string
_output_node = _lib.regoOutputNode
_free_output = _lib.regoFreeOutput

# "(error 10:p/x.rego|70|2" then "(errormsg 24:Invalid boolean operator)"
_LOCATED: Final = re.compile(r"\(error (?:\d+:(?P<file>[^|\n]*)\|(?P<pos>\d+)\|\d+)?\s*\n")
_MESSAGE: Final = re.compile(r"\(errormsg (?P<size>\d+):")


class SourceError(PolicyError):
    """A Rego module or data document that does not parse or compile: names file, line and
    column where rego-cpp gives them (``policy.rego:4:11: Invalid boolean operator``).

    Example:
        >>> str(SourceError("policy.rego:4:11: Invalid boolean operator"))
        'policy.rego:4:11: Invalid boolean operator'
    """


class EvaluationError(PolicyError):
    """A Rego query that failed at run time (conflicting outputs, a built-in's error) or gave
    no result; `consult` turns it into a fail-closed deny.

    Example:
        >>> str(EvaluationError("data.mxp.decision is undefined for tool `pay`"))
        'data.mxp.decision is undefined for tool `pay`'
    """


def describe_errors(text: str, sources: dict[str, str]) -> list[str]:
    """``file:line:col: message`` for each error in a rego-cpp error sequence.

    Example:
        >>> text = '(error 6:a.rego|9|1\\n  (errormsg 5:oops!))'
        >>> describe_errors(text, {"a.rego": "package\\nx y"})
        ['a.rego:2:2: oops!']
    """
    found: list[str] = []
    for block in text.split("(error ")[1:]:
        head = _LOCATED.match("(error " + block)
        message = _MESSAGE.search(block)
        if message is None:
            what = block.strip()
        else:  # length-prefixed (UTF-8 bytes)
            raw = block[message.end() :].encode()
            what = raw[: int(message.group("size"))].decode(errors="replace")
        if head is not None and head.group("file"):
            name, pos = head.group("file"), int(head.group("pos"))
            source = sources.get(name, "").encode()[:pos]
            line = source.count(b"\n") + 1
            column = len(source) - (source.rfind(b"\n") + 1) + 1
            where = f"{name}:{line}:{column}" if name in sources else name
            found.append(f"{where}: {what}")
        else:
            found.append(what)
    return found or [text.strip()]


def _interpreter() -> Any:
    rego: Any = regopy.Interpreter()
    rego.log_level = _NONE
    return rego


class Compiled:
    """A built bundle with one entrypoint (``mxp/decision`` for ``data.mxp.decision``).

    Example:
        >>> compiled = compile_bundle({"p.rego": "package mxp\\ndecision := 1"}, {}, "mxp/decision")
        >>> compiled.entrypoint
        'mxp/decision'
    """

    __slots__ = ("_bundle", "_entry", "entrypoint")

    def __init__(self, bundle: Any, entrypoint: str) -> None:
        self._bundle = bundle
        self.entrypoint = entrypoint
        self._entry = entrypoint.encode()


def compile_bundle(modules: dict[str, str], data_json: bytes, entrypoint: str) -> Compiled:
    """Parse and compile ``modules`` (name -> source) with the ``data_json`` document; raise
    `SourceError` naming every problem's file, line and column. Blocking: seconds for huge
    policies, so callers run it in a worker thread.

    Example:
        >>> compile_bundle({"p.rego": "package mxp\\nx := "}, b"{}", "mxp/x")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        mxp_agents.policy._rego._native.SourceError: p.rego:2:...
    """
    rego = _interpreter()
    try:
        for name, source in modules.items():
            rego.add_module(name, source)
        if data_json:
            rego.add_data_json(data_json.decode())
        bundle = rego.build(None, [entrypoint])
    except regopy.RegoError as error:
        raise SourceError("; ".join(describe_errors(str(error), modules))) from None
    if not bundle.ok():
        raise SourceError(f"rego-cpp could not build a bundle for entrypoint {entrypoint!r}")
    return Compiled(bundle, entrypoint)


class _BadValue(Exception):
    def __init__(self, reason: str, path: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = path


class Runner:
    """One interpreter that evaluates compiled bundles: `set_input` then `query`. Not shared
    between threads; nothing may run between setting the input and querying.

    Example:
        >>> runner = Runner()
        >>> runner.set_input({"amount": 5})
        >>> runner.query(compile_bundle({"p.rego": "package t\\nd := input.amount"}, b"", "t/d"))
        5
    """

    __slots__ = ("_impl", "_rego")

    def __init__(self) -> None:
        self._rego = _interpreter()
        self._rego.strict_built_in_errors = True
        self._impl = self._rego._impl

    def set_input(self, value: dict[str, Any]) -> None:
        """Make ``value`` (JSON-like: str keys, str/int/float/bool/None/list/dict) ``input``;
        `EvaluationError` naming the path of a value rego cannot take.

        Example:
            >>> Runner().set_input({"n": 1 << 70})  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            mxp_agents.policy._rego._native.EvaluationError: input: int out of the 64-bit ...
        """
        handle = _new_input()
        try:
            _add(handle, value)
            if _set_input(self._impl, handle) != 0:
                raise EvaluationError(
                    f"rego-cpp refused the input: {_rs.rego_get_error(self._impl)}"
                )
        except _BadValue as bad:
            raise EvaluationError(f"input: {bad.reason} - at input{bad.path}") from None
        finally:
            _free_input(handle)

    def query(self, compiled: Compiled) -> Any:
        """The value of ``compiled``'s entrypoint for the current input (`EvaluationError`
        when it is undefined or evaluation fails).

        Example:
            >>> runner.query(compiled)  # doctest: +SKIP
            {'allow': True}
        """
        output = _query_entry(self._impl, compiled._bundle._impl, compiled._entry)  # pyright: ignore[reportPrivateUsage]
        if not output:
            raise EvaluationError(_rs.rego_get_error(self._impl).strip())
        try:
            if not _output_ok(output):
                raise EvaluationError("; ".join(_node_errors(_output_node(output))))
            text: str = _output_string(output)
        finally:
            _free_output(output)
        if text == "undefined":
            raise EvaluationError("undefined")
        if not text.startswith("{"):
            raise EvaluationError("; ".join(describe_errors(text, {})))
        try:
            expressions = _decode.decode(text).get("expressions", [])
        except msgspec.DecodeError as error:
            raise EvaluationError(
                f"rego-cpp returned malformed JSON ({error}): {text[:200]}"
            ) from None
        if len(expressions) != 1:
            raise EvaluationError(f"expected one result, got {len(expressions)}")
        return expressions[0]


def _node_errors(node: Any) -> list[str]:
    found: list[str] = []
    kind = _rs.rego_node_type(node)
    if kind in (_ERROR_MESSAGE, _ERROR_CODE):
        found.append(_rs.rego_node_value(node))
    for index in range(_rs.rego_node_size(node)):
        found.extend(_node_errors(_rs.rego_node_get(node, index)))
    return found or ["rego-cpp reported an error without a message"]


def _add(handle: int, value: object) -> None:
    kind = type(value)
    if kind is str:
        # rego-cpp keeps strings as JSON tokens: give it the quoted, escaped form (regopy's
        # Input passes raw text, which breaks `==` on any string holding a quote or newline).
        _in_str(handle, _json(value))
    elif kind is dict:
        items: dict[Any, Any] = value  # type: ignore[assignment]
        for key, item in items.items():
            if type(key) is not str:
                raise _BadValue(f"object keys must be str, got {kind_of(key)}")
            try:
                _add(handle, key)
                _add(handle, item)
            except _BadValue as bad:
                raise _BadValue(bad.reason, f".{key}{bad.path}") from None
            _in_item(handle)
        _in_object(handle, len(items))
    elif kind is bool:
        _in_bool(handle, value)
    elif kind is int:
        number: int = value  # type: ignore[assignment]
        if not -_INT64 <= number < _INT64:
            raise _BadValue("int out of the 64-bit range")
        _in_int(handle, number)
    elif kind is float:
        real: float = value  # type: ignore[assignment]
        if not math.isfinite(real):
            raise _BadValue(f"float must be finite, got {real!r}")
        _in_float(handle, real)
    elif value is None:
        _in_null(handle)
    elif kind is list or kind is tuple:
        elements: list[Any] = value  # type: ignore[assignment]
        for index, element in enumerate(elements):
            try:
                _add(handle, element)
            except _BadValue as bad:
                raise _BadValue(bad.reason, f"[{index}]{bad.path}") from None
        _in_array(handle, len(elements))
    else:
        raise _BadValue(f"expected a JSON value, got {kind_of(value)}")
